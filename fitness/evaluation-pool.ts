// EvaluationPool: runs a problem's evaluator on a Piscina worker pool with a hard per-evaluation timeout.
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { Piscina } from 'piscina';
import { EvaluatorError } from '../common/errors.js';
import type { DescriptorSpec, Evaluation, FailureReason, StageResult } from '../common/types.js';
import type { EvaluationInput } from './evaluator.js';
import type { StageSpec, WorkerReply, WorkerTask } from './evaluation-worker.js';
import type { SandboxReason } from './sandbox/sandbox-error.js';
import { MAX_ARTIFACT_CHARS, MAX_MESSAGE_CHARS, capText, validateOutput, withEarlierStages } from './validate-output.js';

export interface EvaluationPoolOptions {
  /** Absolute path of the evaluator module (.js, .mjs or .ts). */
  evaluatorPath: string;
  descriptors: readonly DescriptorSpec[];
  /** Worker threads; one per core by default. */
  workers: number;
  /** Wall-clock limit of one evaluation (all its cascade stages), counted from the moment a worker takes it. */
  timeoutMs: number;
  /** The problem's cascade; by default one stage, the module's `evaluate` (or default) export. */
  stages?: StageSpec[];
  /** V8 heap limit of each worker thread. */
  memoryLimitMb?: number;
  /** Limit on loading the evaluator module at open() (default: the larger of timeoutMs and 60 s). */
  loadTimeoutMs?: number;
}

export interface PoolStats {
  workers: number;
  evaluations: number;
  /** Sum over evaluations of the time a worker spent on them. */
  busyMs: number;
  /** Workers terminated and replaced after a timeout or a crash. */
  workersReplaced: number;
  /** Evaluations whose worker ran out of memory (also counted in workersReplaced). */
  outOfMemory: number;
  /** Errors Piscina reported from workers outside any task (kept, never thrown). */
  workerErrors: string[];
}

/** What the engine evaluates through: this pool, or a queue of remote workers (engine/queue/queue-pool.ts). */
export interface EvaluationService {
  evaluate(input: EvaluationInput): Promise<Evaluation>;
  saturated(): boolean;
  liveWorkers(): number;
  stats(): PoolStats;
  abortAll(): void;
  close(): Promise<void>;
}

const PROBE_TIMEOUT_MS = 60_000;
/** Heap limit of a worker thread when the options give none (the config's evaluation.memoryLimitMb default). */
const DEFAULT_MEMORY_LIMIT_MB = 2048;

// The worker is a sibling module; under tsx (tests) it is the .ts file, once compiled the .js one.
const workerFile = fileURLToPath(new URL(`./evaluation-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url));

/**
 * Runs at most `workers` evaluations at once, in the order they were asked for. A timeout
 * aborts the task, which makes Piscina terminate that worker thread (V8 stops even a
 * `while (true) {}`) and start a fresh one; the evaluation is recorded as `timeout`. An
 * exception, a worker that exits or crashes, or output that fails validation become `failed`
 * or `invalid` evaluations with their reason. evaluate() never rejects for a bad candidate.
 */
export class EvaluationPool implements EvaluationService {
  private readonly piscina: Piscina;
  private readonly waiting: Array<() => void> = [];
  private readonly running = new Set<AbortController>();
  private active = 0;
  private closed = false;
  private readonly counters: PoolStats;
  private readonly stages: StageSpec[];

  private constructor(private readonly options: EvaluationPoolOptions) {
    this.piscina = new Piscina({
      filename: workerFile,
      minThreads: options.workers,
      maxThreads: options.workers,
      idleTimeout: 2 ** 31 - 1,
      resourceLimits: { maxOldGenerationSizeMb: options.memoryLimitMb ?? DEFAULT_MEMORY_LIMIT_MB },
    });
    // Errors of a worker whose task already settled must not crash the process; the task that
    // was running has been rejected and is recorded as failed.
    this.piscina.on('error', (error: unknown) => { this.counters.workerErrors.push(capText(error instanceof Error ? error.message : String(error), MAX_MESSAGE_CHARS)); });
    this.counters = { workers: options.workers, evaluations: 0, busyMs: 0, workersReplaced: 0, outOfMemory: 0, workerErrors: [] };
    this.stages = options.stages ?? [{ name: 'evaluate', export: 'evaluate', threshold: null }];
  }

  /** Starts the pool and loads the evaluator once; throws EvaluatorError naming the file when it cannot be loaded. */
  static async open(options: EvaluationPoolOptions): Promise<EvaluationPool> {
    const pool = new EvaluationPool(options);
    let reply: WorkerReply;
    try {
      // Loading may compile TypeScript; a module that takes longer than this never finishes loading.
      const limit = options.loadTimeoutMs ?? Math.max(options.timeoutMs, PROBE_TIMEOUT_MS);
      // One probe per worker, at once: each holds its worker while it loads, so every worker starts
      // warm instead of paying the load on its first evaluation.
      const signal = AbortSignal.timeout(limit);
      const replies = (await Promise.all(Array.from({ length: options.workers }, () =>
        pool.piscina.run({ kind: 'probe', evaluatorPath: options.evaluatorPath, stages: pool.stages } satisfies WorkerTask, { signal })))) as WorkerReply[];
      reply = replies.find((r) => r.kind === 'load-failed') ?? replies[0]!;
    } catch (error) {
      await pool.close();
      const why = (error as Error).name === 'AbortError' ? `loading took more than ${options.loadTimeoutMs ?? Math.max(options.timeoutMs, PROBE_TIMEOUT_MS)} ms` : (error as Error).message;
      throw new EvaluatorError(`${options.evaluatorPath}: the evaluator could not be loaded: ${why}`, { cause: error });
    }
    if (reply.kind === 'load-failed') {
      await pool.close();
      throw new EvaluatorError(`${options.evaluatorPath}: the evaluator could not be loaded: ${capText(reply.message, MAX_MESSAGE_CHARS)}`);
    }
    return pool;
  }

  stats(): PoolStats {
    return { ...this.counters, workerErrors: [...this.counters.workerErrors] };
  }

  /**
   * Whether every worker has an evaluation waiting behind the one it runs: until that changes, the
   * pool stays busy without more being asked of it (the engine then lets commits wait, to group them).
   */
  saturated(): boolean {
    return this.waiting.length >= this.options.workers;
  }

  /** Worker threads alive now (Piscina starts a replacement as soon as one is terminated). */
  liveWorkers(): number {
    return this.piscina.threads.length;
  }

  async evaluate(input: EvaluationInput): Promise<Evaluation> {
    await this.slot();
    if (this.closed) {
      this.release();
      return { status: 'failed', reason: 'worker-exit', message: 'the pool was shut down before the evaluation started', durationMs: 0, seed: input.seed };
    }
    const controller = new AbortController();
    this.running.add(controller);
    let timedOut = false;
    // The limit counts from the moment a worker starts the evaluation (a replacement worker may
    // still be booting when the task is handed over), which the worker reports through shared memory.
    const startedAt = new SharedArrayBuffer(8);
    const started = new Float64Array(startedAt);
    let timer: NodeJS.Timeout;
    const check = (): void => {
      const begun = started[0]!;
      const remaining = begun === 0 ? this.options.timeoutMs : begun + this.options.timeoutMs - (performance.timeOrigin + performance.now());
      if (begun !== 0 && remaining <= 0) { timedOut = true; controller.abort(); return; }
      timer = setTimeout(check, begun === 0 ? 20 : remaining + 1);
    };
    timer = setTimeout(check, 20);
    const submitted = performance.now();
    const runTime = (): number => (started[0]! === 0 ? performance.now() - submitted : performance.timeOrigin + performance.now() - started[0]!);
    const base = { seed: input.seed };
    try {
      const task: WorkerTask = { kind: 'evaluate', evaluatorPath: this.options.evaluatorPath, stages: this.stages, input, startedAt };
      const reply = (await this.piscina.run(task, { signal: controller.signal })) as WorkerReply;
      const durationMs = runTime();
      if (reply.kind !== 'loaded' && reply.kind !== 'load-failed') {
        this.count(reply.busyMs);
        const stages = reply.stages.length > 0 ? { stages: reply.stages } : {};
        // Every message and output is cut here, where it enters the host, whatever the worker did.
        const failed = (status: 'failed' | 'invalid' | 'timeout', reason: FailureReason, message: string, output = ''): Evaluation => ({
          status, reason, message: capText(String(message), MAX_MESSAGE_CHARS), durationMs, ...base, ...stages,
          ...(output ? { artifacts: { output: capText(String(output), MAX_ARTIFACT_CHARS) } } : {}),
        });
        switch (reply.kind) {
          case 'result': {
            const checked = validateOutput(reply.value, this.options.descriptors);
            if (!checked.ok) return failed('invalid', 'invalid-output', checked.message);
            const output = reply.earlier.length > 0 ? withEarlierStages(checked.output, this.stages.map((s) => s.name), reply.earlier) : checked.output;
            return { status: 'ok', ...output, durationMs, ...base, ...stages };
          }
          case 'threw': return failed('failed', 'threw', reply.message);
          case 'sandbox': return failed(reply.reason === 'time-limit' ? 'timeout' : 'failed', sandboxReason(reply.reason), reply.message, reply.output);
          case 'cascade': return failed('failed', 'cascade', reply.message);
          case 'stage-invalid': return failed('invalid', 'invalid-output', reply.message);
          case 'uncloneable': return failed('invalid', 'invalid-output', `the result cannot be copied out of the worker: ${reply.message}`);
        }
      }
      // The module loaded for the probe but not in this (replacement) worker.
      const message = capText(reply.kind === 'load-failed' ? reply.message : `unexpected worker reply ${reply.kind}`, MAX_MESSAGE_CHARS);
      return { status: 'failed', reason: 'threw', message: `the evaluator could not be loaded: ${message}`, durationMs, ...base };
    } catch (error) {
      const durationMs = runTime();
      this.count(durationMs);
      this.counters.workersReplaced++;
      if (timedOut) {
        return { status: 'timeout', reason: 'timeout', message: `evaluation exceeded ${this.options.timeoutMs} ms; its worker was terminated and replaced`, durationMs, ...base };
      }
      if (this.closed) {
        return { status: 'failed', reason: 'worker-exit', message: 'the pool was shut down during the evaluation', durationMs, ...base };
      }
      const message = capText(error instanceof Error ? error.message : String(error), MAX_MESSAGE_CHARS);
      if ((error as { code?: unknown }).code === 'ERR_WORKER_OUT_OF_MEMORY') {
        this.counters.outOfMemory++;
        return { status: 'failed', reason: 'out-of-memory', message: `the worker ran out of memory (limit ${this.options.memoryLimitMb ?? DEFAULT_MEMORY_LIMIT_MB} MB): ${message}; it was replaced`, durationMs, ...base };
      }
      return { status: 'failed', reason: 'worker-exit', message: `the worker died: ${message}; it was replaced`, durationMs, ...base };
    } finally {
      clearTimeout(timer!);
      this.running.delete(controller);
      this.release();
    }
  }

  /** Stops every running evaluation now (their workers are terminated); used on a second Ctrl-C. */
  abortAll(): void {
    this.closed = true;
    for (const c of this.running) c.abort();
    this.drainWaiting();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const c of this.running) c.abort();
    this.drainWaiting();
    await this.piscina.destroy();
  }

  private count(busyMs: number): void {
    this.counters.evaluations++;
    this.counters.busyMs += busyMs;
  }

  private slot(): Promise<void> {
    if (this.active < this.options.workers) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(() => { this.active++; resolve(); }));
  }

  /** Lets every evaluation waiting for a worker go on, to find the pool closed and return at once. */
  private drainWaiting(): void {
    for (const wake of this.waiting.splice(0)) wake();
  }

  private release(): void {
    this.active--;
    this.waiting.shift()?.();
  }
}

/** How a sandbox's reason is recorded: its time limit is the evaluation's timeout, a candidate's exit is `threw`. */
function sandboxReason(reason: SandboxReason): FailureReason {
  return reason === 'time-limit' ? 'timeout' : reason;
}
