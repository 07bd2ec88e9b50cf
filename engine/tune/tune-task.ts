// What a tune run's evaluator is asked to do, as written next to the tune run (task.json), and the
// inner search that scores one run config on one problem and one seed.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import type { RunConfig, TuneConfig } from '../config/config-schema.js';
import { RunReader } from '../output/run-reader.js';
import { startRun } from '../runs/run.js';
import type { SharedPools } from '../../fitness/shared-pools.js';
import type { ParamSpec } from './tune-space.js';

export type TuneMetric = TuneConfig['metric'];

export interface TuneProblemRef {
  /** Short name: the problem folder's name. */
  name: string;
  /** Absolute path of the problem folder. */
  dir: string;
  /** The archive's qdOffset for this problem (the base config's when the tune config gives none). */
  qdOffset: number;
}

/** task.json of a tune run's problem folder: everything its evaluator needs, with absolute paths. */
export interface TuneTask {
  /** The base run config, resolved (defaults filled in). */
  base: RunConfig;
  space: Record<string, ParamSpec>;
  train: TuneProblemRef[];
  heldOut: TuneProblemRef[];
  /** Seeds of the inner searches of every trial. */
  seeds: number[];
  budget: TuneConfig['budget'];
  metric: TuneMetric;
  /** Folder for the inner searches' temporary files. */
  scratch: string;
  /** The tune config and base config files, for messages and for writing the tuned config. */
  tunePath: string;
  basePath: string;
  trialTimeoutSeconds: number;
  validation: TuneConfig['validation'];
  /** The base config's mean metric per training problem, over the same seeds: what a trial is divided by. */
  baseline?: Record<string, number>;
}

/**
 * Scores `config` on one problem and seed: runs the inner search (one worker, its own temporary database) and reads
 * the metric. With `pools`, the inner search takes its one-worker pool from them and leaves it open for the next.
 */
export async function innerScore(config: RunConfig, problem: TuneProblemRef, seed: number, task: Pick<TuneTask, 'budget' | 'metric' | 'scratch'>, pools?: SharedPools): Promise<number> {
  const dir = join(task.scratch, `${process.pid}-${threadId}-${randomUUID()}`);
  mkdirSync(dir, { recursive: true });
  try {
    const inner: RunConfig = {
      ...config,
      problem: problem.dir,
      seed,
      budget: Object.fromEntries(Object.entries(task.budget).filter(([, v]) => v !== undefined)),
      archive: { ...config.archive, qdOffset: problem.qdOffset },
      workers: 1,
    };
    delete inner.db;
    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify(inner));
    const result = await startRun(file, { db: join(dir, 'run.sqlite'), workers: 1, ...(pools ? { pools } : {}) });
    if (result.stopReason === 'interrupted' || result.stopReason === 'aborted') throw new Error(`the inner search of ${problem.name} (seed ${seed}) was interrupted`);
    const reader = RunReader.open(result.db);
    try {
      return metricOf(reader, task.metric);
    } finally {
      reader.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function metricOf(reader: RunReader, metric: TuneMetric): number {
  const status = reader.status();
  const stats = status.archive;
  if (metric === 'best') {
    if (stats.bestFitness === null) throw new Error('the inner search has no scored variant');
    return stats.bestFitness;
  }
  const final = stats.qdScore / stats.totalCells;
  if (metric === 'qd') return final;
  const samples = reader.qdMetrics(-1).map((r) => r.normalizedQdScore);
  return samples.length === 0 ? final : samples.reduce((a, b) => a + b, 0) / samples.length;
}
