// What travels through the queue: an evaluation job, its result, and the Redis keys both sides share.
import type { DescriptorSpec, Evaluation, VariantFiles } from '../../common/types.js';
import type { StageSpec } from '../../fitness/evaluation-worker.js';

/** Everything a worker needs to evaluate one variant: no config, no shared file system. */
export interface EvaluationJob {
  /** The run, iteration, variant and seed: the job's identity; a result naming others is never applied. */
  runId: string;
  iteration: number;
  variantId: string;
  seed: number;
  files: VariantFiles;
  params: unknown;
  problem: {
    /** The problem folder's pack (problem-pack.ts), stored once under packKey(). */
    hash: string;
    /** The evaluator module, relative to the problem folder. */
    evaluator: string;
    descriptors: DescriptorSpec[];
    stages: StageSpec[];
    timeoutMs: number;
    memoryLimitMb: number;
  };
}

export interface EvaluationJobResult {
  runId: string;
  iteration: number;
  variantId: string;
  seed: number;
  evaluation: Evaluation;
  /** host:pid of the worker that evaluated it. */
  worker: string;
}

/** What a worker writes about itself every few seconds. */
export interface WorkerBeat { id: string; host: string; pid: number; concurrency: number; jobsDone: number; startedAt: string; lastSeen: string }

/** BullMQ job ids may not hold ':'; this one is unique per (run, iteration, variant, seed), so sending twice is harmless. */
export const jobIdOf = (j: Pick<EvaluationJob, 'runId' | 'iteration' | 'variantId' | 'seed'>): string => `${j.runId}-${j.iteration}-${j.variantId}-${j.seed}`;
export const packKey = (queue: string, hash: string): string => `ouroboros:${queue}:problem:${hash}`;
export const workersKey = (queue: string): string => `ouroboros:${queue}:workers`;
/** How long a problem pack stays in Redis after the coordinator last renewed it (every minute while it runs). */
export const KEEP_SECONDS = 24 * 3600;
/** How long a finished job's result stays (at most 20,000 of them): a coordinator resumed within it finds the results of what it had in flight; later ones are evaluated again, with the same outcome. */
export const RESULT_SECONDS = 3600;
