// The run lifecycle: start a run from a config, resume one from its database, with everything opened and closed in order.
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, InterruptedError, StorageError } from '../common/errors.js';
import type { ParamSpace } from '../common/types.js';
import { EvaluationPool } from '../fitness/evaluation-pool.js';
import type { RunConfig } from './config-schema.js';
import { loadRunConfig } from './load-config.js';
import { createOperators } from './operator-registry.js';
import { loadProblem, type Problem } from './problem.js';
import { RunStore } from './run-store.js';
import { SearchEngine, type Budget, type Progress, type StopReason } from './search-engine.js';

export const ENGINE_VERSION = (JSON.parse(readFileSync(fileURLToPath(new URL(import.meta.url.includes('/dist/') ? '../../package.json' : '../package.json', import.meta.url)), 'utf8')) as { version: string }).version;

export interface RunOptions {
  /** Run database; default: the config's `db`, else runs/<config name>.sqlite under the current folder. */
  db?: string;
  seed?: number;
  workers?: number;
  /** Total iterations of the run (not an addition): raises or lowers the budget. */
  maxIterations?: number;
  /** Replace an existing run database at the same path (refused while another process writes it). */
  overwrite?: boolean;
  /** Stops launching new iterations; those in flight are committed. */
  signal?: AbortSignal;
  onProgress?: (progress: Progress) => void;
  /** Called once the engine exists, e.g. to abort it on a second Ctrl-C. */
  onEngine?: (engine: SearchEngine) => void;
  /** Non-fatal notices (a problem that changed since the run started, ...). */
  onWarning?: (message: string) => void;
}

export interface RunResult {
  db: string;
  stopReason: StopReason;
  iterations: number;
  workers: number;
  /** This session's pool figures. */
  pool: { evaluations: number; busyMs: number; wallMs: number; utilisation: number };
}

/** Default database path of a config: runs/<config file name>.sqlite under the current folder. */
export function defaultDbPath(configPath: string): string {
  return resolve('runs', `${basename(configPath, extname(configPath))}.sqlite`);
}

/** Starts a new run. Bad input (config, problem, evaluator) is reported before any file is written. */
export async function startRun(configFile: string, options: RunOptions = {}): Promise<RunResult> {
  if (options.seed !== undefined && !(Number.isInteger(options.seed) && options.seed >= 0 && options.seed <= 2 ** 32 - 1)) {
    throw new ConfigError('--seed', [`must be an integer between 0 and 4294967295 (got ${options.seed})`]);
  }
  const loaded = loadRunConfig(configFile);
  const config: RunConfig = { ...loaded.config, ...(options.seed !== undefined ? { seed: options.seed } : {}) };
  if (options.maxIterations !== undefined) config.budget = { ...config.budget, iterations: options.maxIterations };
  const problem = loadProblem(loaded.problemDir);
  const db = resolve(options.db ?? (config.db !== undefined ? resolve(dirname(loaded.path), config.db) : defaultDbPath(loaded.path)));
  const workers = options.workers ?? config.workers ?? availableParallelism();
  const pool = await openPool(problem, config, workers);
  let store: RunStore;
  try {
    if (options.signal?.aborted) throw new InterruptedError('interrupted before the run started; nothing was written');
    mkdirSync(dirname(db), { recursive: true });
    if (options.overwrite && existsSync(db)) {
      RunStore.open(db, { write: true }).close(); // throws RunLockedError while a live process writes it
      for (const suffix of ['', '-wal', '-shm']) rmSync(db + suffix, { force: true });
    }
    store = RunStore.create(db, {
      engineVersion: ENGINE_VERSION,
      createdAt: new Date().toISOString(),
      configPath: loaded.path,
      config,
      problemDir: problem.dir,
      problem: problem.manifest,
      seedFiles: problem.seedFiles,
    });
  } catch (error) {
    await pool.close();
    throw error;
  }
  return drive(store, pool, problem, config, config.budget, workers, options);
}

/** Continues a run from its last committed iteration; the result is the same as if it had never stopped. */
export async function resumeRun(dbFile: string, options: Omit<RunOptions, 'db' | 'seed' | 'overwrite'> & { stealLock?: boolean } = {}): Promise<RunResult> {
  const store = RunStore.open(resolve(dbFile), { write: true, ...(options.stealLock ? { stealLock: true } : {}) });
  let pool: EvaluationPool | undefined;
  try {
    const config = store.meta<RunConfig>('config');
    const problemDir = store.meta<string>('problemDir');
    if (config === undefined || problemDir === undefined) throw new StorageError(`${dbFile}: the run has no stored config`);
    // The stored problem is what the run started with: use it, so that resuming gives the same run.
    // Only the evaluator module comes from the folder.
    const stored = store.meta<Problem['manifest']>('problem')!;
    const seedFiles = store.meta<Problem['seedFiles']>('seedFiles')!;
    const evaluatorPath = join(problemDir, stored.evaluator);
    if (!existsSync(evaluatorPath)) throw new ConfigError(evaluatorPath, ['the run\'s evaluator module is missing (the problem folder was moved or changed)']);
    try {
      const current = loadProblem(problemDir);
      if (JSON.stringify(stored) !== JSON.stringify(current.manifest) || JSON.stringify(seedFiles) !== JSON.stringify(current.seedFiles)) {
        options.onWarning?.(`${problemDir} has changed since the run started; continuing with the problem stored in the run`);
      }
    } catch (error) {
      options.onWarning?.(`${problemDir} no longer loads (${(error as Error).message.split('\n')[0]}); continuing with the problem stored in the run`);
    }
    const problem: Problem = { dir: problemDir, manifest: stored, evaluatorPath, descriptors: stored.descriptors, params: stored.params ? { file: stored.params.file, space: stored.params.space as ParamSpace } : null, seedFiles };
    const budget: Budget = { ...config.budget, ...(options.maxIterations !== undefined ? { iterations: options.maxIterations } : {}) };
    if (options.maxIterations !== undefined) store.setMeta('config', { ...config, budget });
    const workers = options.workers ?? config.workers ?? availableParallelism();
    pool = await openPool(problem, config, workers);
    if (options.signal?.aborted) throw new InterruptedError('interrupted before the resume started; the run is unchanged');
    return await drive(store, pool, problem, config, budget, workers, options);
  } catch (error) {
    if (pool === undefined) store.close();
    else if (error instanceof InterruptedError) { await pool.close(); store.close(); }
    throw error;
  }
}

async function openPool(problem: Problem, config: RunConfig, workers: number): Promise<EvaluationPool> {
  if (!Number.isInteger(workers) || workers < 1) throw new ConfigError('--workers', [`must be a positive integer (got ${workers})`]);
  return EvaluationPool.open({
    evaluatorPath: problem.evaluatorPath,
    descriptors: problem.descriptors,
    workers,
    timeoutMs: config.evaluation.timeoutMs,
    memoryLimitMb: config.evaluation.memoryLimitMb,
  });
}

async function drive(store: RunStore, pool: EvaluationPool, problem: Problem, config: RunConfig, budget: Budget, workers: number, options: RunOptions): Promise<RunResult> {
  const started = performance.now();
  try {
    store.setMeta('status', 'running');
    const engine = new SearchEngine({
      store, pool, problem, config, budget,
      operators: createOperators(config.operators),
      signal: options.signal ?? new AbortController().signal,
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
    options.onEngine?.(engine);
    const { stopReason, iterations } = await engine.run();
    store.setMeta('status', stopReason === 'interrupted' || stopReason === 'aborted' ? 'stopped' : 'finished');
    const wallMs = performance.now() - started;
    const stats = pool.stats();
    return { db: store.path, stopReason, iterations, workers, pool: { evaluations: stats.evaluations, busyMs: stats.busyMs, wallMs, utilisation: stats.busyMs / (wallMs * workers) } };
  } finally {
    await pool.close();
    store.close();
  }
}
