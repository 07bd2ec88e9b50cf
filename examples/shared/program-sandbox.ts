// Shared by the examples that evolve a program.js: runs it in a V8 isolate (fitness/sandbox/js-isolate.ts) under a CPU time limit, optionally driven by a harness, and only plain data comes back.
import { runInIsolate } from '../../fitness/sandbox/js-isolate.js';

export interface SandboxOptions {
  /** The top-level function of program.js the harness receives (e.g. 'pack'). */
  entry: string;
  /**
   * Source of a function expression `function (entry) { ... }` run in the program's context after
   * it has loaded; `entry` is the program's function of that name, or undefined when it defines
   * none. Its return value must survive JSON (NaN and Infinity do; functions and Maps do not).
   * Without one, the entry is called with no arguments and its own answer is the value (a program
   * without the entry fails with `no-result`). The harness runs after the program, which may have
   * replaced any built-in it uses: what it returns is as untrusted as the program's own answer,
   * and the evaluator checks every field of it on the host. Prefer no harness when one call is
   * enough.
   */
  harness?: string;
  /** CPU limit for loading the program and running the harness, together. */
  timeoutMs: number;
  /** Seeds the context's Math.random, so a program that uses it is still deterministic. */
  seed: number;
}

export interface SandboxResult {
  /** What the harness (or the entry) returned, as plain data parsed on the host: check every field. */
  value: unknown;
  /** Lines the program printed with console.log and friends (first 20, each cut to 200 characters). */
  console: string[];
}

/** Lines of console output kept, and characters per line: enough to debug, too little to flood a prompt. */
const MAX_LINES = 20;
const MAX_LINE = 200;

/**
 * Runs `code` and the harness in a fresh context of an isolate that holds only the JavaScript
 * built-ins (no require, process, timers, Date or Intl; eval and WebAssembly disabled), in strict
 * mode, with a 64 MB heap. Throws the sandbox's SandboxError, which the engine records with its
 * reason: `syntax` (program.js does not parse, with the line), `threw` (a throw from the program
 * or the harness, described inside the isolate), `time-limit`, `out-of-memory`, and so on.
 * Promise callbacks the program leaves behind run under the same limit.
 */
export async function runProgram(code: string, options: SandboxOptions): Promise<SandboxResult> {
  const run = await runInIsolate({
    code,
    filename: 'program.js',
    entry: options.entry,
    ...(options.harness === undefined ? {} : { harness: options.harness }),
    cpuTimeMs: options.timeoutMs,
    seed: options.seed,
  });
  const lines = run.console === '' ? [] : run.console.replace(/\n$/, '').split('\n');
  return { value: run.value, console: lines.slice(0, MAX_LINES).map((line) => line.slice(0, MAX_LINE)) };
}
