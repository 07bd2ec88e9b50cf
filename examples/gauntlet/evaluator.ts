// The gauntlet's evaluator: program.js runs in the V8 isolate, solve.py in the subprocess sandbox; held-out cases stay private.
import type { EvaluationInput, EvaluatorResult } from '../../fitness/evaluator.js';
import { runInIsolate } from '../../fitness/sandbox/js-isolate.js';
import { SandboxError } from '../../fitness/sandbox/sandbox-error.js';
import { runSubprocess } from '../../fitness/sandbox/subprocess.js';
import { isCorrect, makeCases, reference } from './cases.js';

export const JS_FILE = 'program.js';
export const PY_FILE = 'solve.py';
/** Limits quoted in problem.json's description. */
export const JS_LIMITS = { cpuTimeMs: 250, memoryMb: 32, maxResultBytes: 256 * 1024 };
export const PY_LIMITS = { timeoutMs: 2000, cpuSeconds: 2, memoryMb: 256, maxOutputBytes: 256 * 1024, maxProcesses: 16 };
export const PUBLIC_CASES = 30;
export const HELD_OUT_CASES = 12;
/** The smoke stage's cases: small, fixed, and enough to tell a program that works at all. */
export const SMOKE_CASES: number[][] = [[3, 1, 2], [5], [-1, 4, 10]];

/**
 * Calls summarize on every case inside the isolate (one crossing of the boundary) and awaits async
 * answers there. It is evaluated before program.js loads and captures what it calls then; it reads
 * the cases (copied in before the program ran) by index, and collects the answers in an array with
 * no prototype, so that a `then` or `toJSON` the program puts on Object.prototype or
 * Array.prototype neither sees nor replaces them. The answers are still the program's to shape:
 * the host checks each one (isCorrect).
 */
const HARNESS = `(function () {
  const Refusal = TypeError;
  const bare = Object.setPrototypeOf;
  return async function (summarize, cases) {
    if (typeof summarize !== 'function') throw new Refusal('program.js defines no function summarize');
    const answers = bare([], null);
    const count = cases.length;
    for (let k = 0; k < count; k++) {
      const c = cases[k];
      const copy = [];
      for (let i = 0; i < c.length; i++) copy[i] = c[i];
      answers[k] = await summarize(copy);
    }
    return answers;
  };
})()`;

async function runJs(code: string, cases: number[][], seed: number): Promise<{ answers: unknown[]; console: string }> {
  const run = await runInIsolate({ code, filename: JS_FILE, entry: 'summarize', harness: HARNESS, args: [cases], seed, ...JS_LIMITS });
  // Whatever the harness returns is parsed here from JSON text: check its shape, and each answer with isCorrect.
  if (!Array.isArray(run.value) || run.value.length !== cases.length) throw new SandboxError('no-result', `${JS_FILE} did not give one answer per case`);
  return { answers: run.value, console: run.console };
}

async function runPy(code: string, cases: number[][]): Promise<unknown[]> {
  const run = await runSubprocess({ command: 'python3', args: [PY_FILE], files: { [PY_FILE]: code }, stdin: JSON.stringify({ cases }), ...PY_LIMITS });
  const tail = (text: string) => text.trim().split('\n').slice(-3).join('\n').slice(-500);
  if (run.exitCode !== 0) {
    const how = run.signal !== null ? `was killed by ${run.signal}` : `exited with code ${run.exitCode}`;
    throw new SandboxError(run.signal === 'SIGKILL' || run.signal === 'SIGSEGV' ? 'crashed' : 'threw', `${PY_FILE} ${how}: ${tail(run.stderr) || '(no error output)'}`, run.stderr);
  }
  let answers: unknown;
  try { answers = JSON.parse(run.stdout); } catch { throw new SandboxError('no-result', `${PY_FILE} printed no JSON list: ${tail(run.stdout) || '(nothing)'}`, run.stdout); }
  if (!Array.isArray(answers) || answers.length !== cases.length) throw new SandboxError('no-result', `${PY_FILE} printed ${Array.isArray(answers) ? `${answers.length} answers` : 'no list'} for ${cases.length} cases`);
  return answers;
}

function score(answers: readonly unknown[], cases: readonly number[][]): { share: number; firstWrong: string } {
  let right = 0;
  let firstWrong = '';
  cases.forEach((c, k) => {
    if (isCorrect(answers[k], c)) right++;
    else if (firstWrong === '') firstWrong = `input ${JSON.stringify(c)}: expected ${JSON.stringify(reference(c))}, got ${show(answers[k])}`;
  });
  return { share: cases.length === 0 ? 1 : right / cases.length, firstWrong };
}

function show(value: unknown): string {
  try { return (JSON.stringify(value) ?? String(value)).slice(0, 300); } catch { return 'an answer that cannot be shown'; }
}

function fileOf(input: EvaluationInput, name: string): string {
  const text = input.files[name];
  if (text === undefined) throw new Error(`the variant has no ${name}`);
  return text;
}

/** Cascade stage 1: program.js on three small fixed cases. */
export async function smoke(input: EvaluationInput): Promise<{ fitness: number; metrics: Record<string, number> }> {
  const { answers } = await runJs(fileOf(input, JS_FILE), SMOKE_CASES, input.seed);
  const { share } = score(answers, SMOKE_CASES);
  return { fitness: share, metrics: { correct: share } };
}

/** Cascade stage 2: both programs on the public cases, then on held-out cases whose results the LLM never sees. */
export async function evaluate(input: EvaluationInput): Promise<EvaluatorResult> {
  const js = fileOf(input, JS_FILE);
  const py = fileOf(input, PY_FILE);
  const shown = makeCases(input.seed, PUBLIC_CASES);
  const jsRun = await runJs(js, shown, input.seed);
  const jsPublic = score(jsRun.answers, shown);
  const pyPublic = score(await runPy(py, shown), shown);
  // Held-out cases run apart: a program that fails only on them scores 0 there, privately, and the
  // failure (which would describe them) is never part of the public message.
  const hidden = makeCases(input.seed ^ 0x5eed, HELD_OUT_CASES, true);
  const privately = async (run: () => Promise<unknown[]>) => {
    try { return score(await run(), hidden); } catch (error) { return { share: 0, firstWrong: (error as Error).message }; }
  };
  const jsHidden = await privately(async () => (await runJs(js, hidden, input.seed)).answers);
  const pyHidden = await privately(() => runPy(py, hidden));
  const artifacts: Record<string, string> = {};
  if (jsPublic.firstWrong) artifacts.programJs = jsPublic.firstWrong;
  if (pyPublic.firstWrong) artifacts.solvePy = pyPublic.firstWrong;
  if (jsRun.console) artifacts.console = jsRun.console.slice(0, 2000);
  return {
    fitness: (jsPublic.share + pyPublic.share) / 2,
    descriptors: [Math.min(js.length, 3000), Math.min(py.length, 3000)],
    metrics: { jsCorrect: jsPublic.share, pyCorrect: pyPublic.share },
    artifacts,
    private: {
      metrics: { heldOutJs: jsHidden.share, heldOutPy: pyHidden.share },
      artifacts: { ...(jsHidden.firstWrong ? { programJs: jsHidden.firstWrong } : {}), ...(pyHidden.firstWrong ? { solvePy: pyHidden.firstWrong } : {}) },
    },
  };
}
