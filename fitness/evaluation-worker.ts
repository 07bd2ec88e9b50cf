// The Piscina worker: loads a problem's evaluator module once per thread and runs one evaluation per task.
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import type { Evaluate, EvaluationInput } from './evaluator.js';

export interface WorkerTask {
  kind: 'evaluate' | 'probe';
  evaluatorPath: string;
  input?: EvaluationInput;
  /** Shared with the pool: the worker writes the epoch milliseconds at which it starts the evaluation, so the timeout counts from there. */
  startedAt?: SharedArrayBuffer;
}

/** One task's reply: the raw result (validated on the main thread) or what went wrong, as plain data. */
export type WorkerReply =
  | { kind: 'result'; value: unknown; busyMs: number }
  | { kind: 'threw'; message: string; busyMs: number }
  | { kind: 'uncloneable'; message: string; busyMs: number }
  | { kind: 'loaded' }
  | { kind: 'load-failed'; message: string };

const loaded = new Map<string, Promise<Evaluate>>();
let tsxRegistered = false;

async function loadEvaluator(path: string): Promise<Evaluate> {
  // Evaluators written in TypeScript need a loader. Worker threads get none from the parent's
  // --import (Node 20), and the compiled CLI has none at all, so register tsx in this thread first:
  // a failed import would be cached for the URL and could not simply be retried.
  if (/\.[cm]?tsx?$/.test(path) && !tsxRegistered) {
    const { register } = await import('tsx/esm/api');
    register();
    tsxRegistered = true;
  }
  const mod = (await import(pathToFileURL(path).href)) as { evaluate?: unknown; default?: unknown };
  const fn = typeof mod.evaluate === 'function' ? mod.evaluate : mod.default;
  if (typeof fn !== 'function') throw new Error('the module exports neither a function `evaluate` nor a default function');
  return fn as Evaluate;
}

function describe(thrown: unknown): string {
  if (thrown instanceof Error) return `${thrown.name}: ${thrown.message}`;
  try {
    return `non-Error thrown: ${typeof thrown === 'string' ? thrown : JSON.stringify(thrown)}`;
  } catch {
    return `non-Error thrown: ${String(thrown)}`;
  }
}

export default async function run(task: WorkerTask): Promise<WorkerReply> {
  // The clock starts before the module loads: a replacement worker whose evaluator never finishes
  // loading must time out like any other runaway evaluation.
  if (task.startedAt !== undefined) new Float64Array(task.startedAt)[0] = performance.timeOrigin + performance.now();
  let pending = loaded.get(task.evaluatorPath);
  if (pending === undefined) {
    pending = loadEvaluator(task.evaluatorPath);
    loaded.set(task.evaluatorPath, pending);
  }
  let evaluate: Evaluate;
  try {
    evaluate = await pending;
  } catch (error) {
    loaded.delete(task.evaluatorPath);
    return { kind: 'load-failed', message: describe(error) };
  }
  if (task.kind === 'probe') return { kind: 'loaded' };
  const start = performance.now();
  try {
    const value = await evaluate(task.input!);
    const busyMs = performance.now() - start;
    // A result that cannot be cloned (a function, a symbol) would crash the reply; report it instead.
    try {
      return { kind: 'result', value: structuredClone(value), busyMs };
    } catch (error) {
      return { kind: 'uncloneable', message: describe(error), busyMs };
    }
  } catch (error) {
    return { kind: 'threw', message: describe(error), busyMs: performance.now() - start };
  }
}
