// The Piscina worker: loads a problem's evaluator module once per thread and runs one evaluation (all its cascade stages) per task.
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import type { StageResult } from '../common/types.js';
import type { EvaluationInput } from './evaluator.js';
import { isSandboxError, type SandboxReason } from './sandbox/sandbox-error.js';
import { MAX_ARTIFACT_CHARS, MAX_MESSAGE_CHARS, capText } from './validate-output.js';

/** One stage of a cascade: a function the evaluator module exports, and the fitness a variant needs to go on. */
export interface StageSpec {
  name: string;
  /** Export name; `evaluate` also accepts a default export. */
  export: string;
  /** Null for the last stage, whose result is the evaluation. */
  threshold: number | null;
}

export interface WorkerTask {
  kind: 'evaluate' | 'probe';
  evaluatorPath: string;
  /** The stages in order; one stage `evaluate` for a problem without a cascade. */
  stages: StageSpec[];
  input?: EvaluationInput;
  /** Shared with the pool: the worker writes the epoch milliseconds at which it starts the evaluation, so the timeout counts from there. */
  startedAt?: SharedArrayBuffer;
}

/** One task's reply: the raw result (validated on the main thread) or what went wrong, as plain data. */
export type WorkerReply =
  | { kind: 'result'; value: unknown; busyMs: number; stages: StageResult[]; earlier: unknown[] }
  | { kind: 'threw'; message: string; busyMs: number; stages: StageResult[] }
  | { kind: 'sandbox'; reason: SandboxReason; message: string; output: string; busyMs: number; stages: StageResult[] }
  | { kind: 'stage-invalid'; message: string; busyMs: number; stages: StageResult[] }
  | { kind: 'cascade'; message: string; busyMs: number; stages: StageResult[] }
  | { kind: 'uncloneable'; message: string; busyMs: number; stages: StageResult[] }
  | { kind: 'loaded' }
  | { kind: 'load-failed'; message: string };

type StageFn = (input: EvaluationInput & { stage: string }) => unknown;
const loaded = new Map<string, Promise<Record<string, unknown>>>();
let tsxRegistered = false;

async function loadModule(path: string): Promise<Record<string, unknown>> {
  // Evaluators written in TypeScript need a loader. Worker threads get none from the parent's
  // --import (Node 20), and the compiled CLI has none at all, so register tsx in this thread first:
  // a failed import would be cached for the URL and could not simply be retried.
  if (/\.[cm]?tsx?$/.test(path) && !tsxRegistered) {
    const { register } = await import('tsx/esm/api');
    register();
    tsxRegistered = true;
  }
  return (await import(pathToFileURL(path).href)) as Record<string, unknown>;
}

/** The stage's function, or why there is none. */
function stageFunction(mod: Record<string, unknown>, stage: StageSpec): StageFn | string {
  const fn = mod[stage.export] ?? (stage.export === 'evaluate' ? mod.default : undefined);
  if (typeof fn === 'function') return fn as StageFn;
  return stage.export === 'evaluate'
    ? 'the module exports neither a function `evaluate` nor a default function'
    : `the module exports no function \`${stage.export}\` (cascade stage "${stage.name}")`;
}

/** What was thrown, as a message of at most MAX_MESSAGE_CHARS: it may carry text a candidate shaped, and a large one would cost a copy to the pool. */
function describe(thrown: unknown): string {
  let text: string;
  try {
    if (thrown instanceof Error) text = `${String(thrown.name)}: ${String(thrown.message)}`;
    else text = `non-Error thrown: ${typeof thrown === 'string' ? thrown : JSON.stringify(thrown) ?? String(thrown)}`;
  } catch {
    try { text = `non-Error thrown: ${String(thrown)}`; } catch { text = 'threw a value that cannot be described'; }
  }
  return capText(text, MAX_MESSAGE_CHARS);
}

/** The fitness of an intermediate stage's result, or why it has none. */
function stageFitness(value: unknown): number | string {
  const fitness = value !== null && typeof value === 'object' ? (value as { fitness?: unknown }).fitness : undefined;
  if (typeof fitness !== 'number' || !Number.isFinite(fitness)) return `it returned no finite fitness (got ${typeof fitness === 'number' ? fitness : typeof fitness})`;
  return fitness;
}

export default async function run(task: WorkerTask): Promise<WorkerReply> {
  // The clock starts before the module loads: a replacement worker whose evaluator never finishes
  // loading must time out like any other runaway evaluation.
  if (task.startedAt !== undefined) new Float64Array(task.startedAt)[0] = performance.timeOrigin + performance.now();
  let pending = loaded.get(task.evaluatorPath);
  if (pending === undefined) {
    pending = loadModule(task.evaluatorPath);
    loaded.set(task.evaluatorPath, pending);
  }
  const fns: StageFn[] = [];
  try {
    const mod = await pending;
    for (const stage of task.stages) {
      const fn = stageFunction(mod, stage);
      if (typeof fn === 'string') return { kind: 'load-failed', message: fn };
      fns.push(fn);
    }
  } catch (error) {
    loaded.delete(task.evaluatorPath);
    return { kind: 'load-failed', message: describe(error) };
  }
  if (task.kind === 'probe') return { kind: 'loaded' };
  const start = performance.now();
  const stages: StageResult[] = [];
  const earlier: unknown[] = [];
  const busy = () => performance.now() - start;
  for (let k = 0; k < task.stages.length; k++) {
    const stage = task.stages[k]!;
    const t0 = performance.now();
    let value: unknown;
    try {
      value = await fns[k]!({ ...task.input!, stage: stage.name });
    } catch (error) {
      if (task.stages.length > 1) stages.push({ name: stage.name, fitness: null, threshold: stage.threshold, passed: false, durationMs: performance.now() - t0 });
      const where = task.stages.length > 1 ? `stage "${stage.name}": ` : '';
      if (isSandboxError(error)) {
        const output = capText(typeof error.output === 'string' ? error.output : '', MAX_ARTIFACT_CHARS);
        return { kind: 'sandbox', reason: error.reason, message: capText(`${where}${String(error.message)}`, MAX_MESSAGE_CHARS), output, busyMs: busy(), stages };
      }
      return { kind: 'threw', message: `${where}${describe(error)}`, busyMs: busy(), stages };
    }
    if (stage.threshold === null) {
      if (task.stages.length > 1) {
        const f = stageFitness(value);
        stages.push({ name: stage.name, fitness: typeof f === 'number' ? f : null, threshold: null, passed: typeof f === 'number', durationMs: performance.now() - t0 });
      }
      // A result that cannot be cloned (a function, a symbol) would crash the reply; report it instead.
      try {
        return { kind: 'result', value: structuredClone(value), busyMs: busy(), stages, earlier: structuredClone(earlier) };
      } catch (error) {
        return { kind: 'uncloneable', message: describe(error), busyMs: busy(), stages };
      }
    }
    const fitness = stageFitness(value);
    if (typeof fitness === 'string') {
      stages.push({ name: stage.name, fitness: null, threshold: stage.threshold, passed: false, durationMs: performance.now() - t0 });
      return { kind: 'stage-invalid', message: `stage "${stage.name}": ${fitness}`, busyMs: busy(), stages };
    }
    const passed = fitness >= stage.threshold;
    stages.push({ name: stage.name, fitness, threshold: stage.threshold, passed, durationMs: performance.now() - t0 });
    if (!passed) return { kind: 'cascade', message: `stopped at stage "${stage.name}": fitness ${fitness} is below its threshold ${stage.threshold}`, busyMs: busy(), stages };
    earlier.push(value);
  }
  return { kind: 'threw', message: 'the problem declares no stage', busyMs: busy(), stages };
}
