// The run lifecycle: start a run from a config, resume one from its database, with everything opened and closed in order.
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, InterruptedError, OuroborosError, StorageError } from '../../common/errors.js';
import { EvaluationPool, type EvaluationService } from '../../fitness/evaluation-pool.js';
import type { SharedPools } from '../../fitness/shared-pools.js';
import type { QueuePool } from '../queue/queue-pool.js';
import type { PromptTemplates } from '../../operators/llm/prompt-template.js';
import type { ArchiveDescription } from '../../archives/archive.js';
import { describeArchive, storedArchive } from '../config/archive-setup.js';
import type { RunConfig } from '../config/config-schema.js';
import type { GatewayStats } from '../llm/llm-gateway.js';
import type { LlmRecords } from '../store/llm-records.js';
import { createGateway, loadTemplates, promptsDir, resolveEndpoint, storableUrl, usesLlm, type Endpoint } from '../llm/llm-setup.js';
import { loadRunConfig, storedConfig } from '../config/load-config.js';
import { createArms, policyOf } from '../arms/operator-registry.js';
import { loadProblem, storedProblem, type Problem } from '../config/problem.js';
import { removeRun } from './remove-run.js';
import { RunStore } from '../store/run-store.js';
import { SearchEngine, type Budget, type Progress, type StopReason } from '../loop/search-engine.js';

export const ENGINE_VERSION = (JSON.parse(readFileSync(fileURLToPath(new URL(import.meta.url.includes('/dist/') ? '../../../package.json' : '../../package.json', import.meta.url)), 'utf8')) as { version: string }).version;

export interface RunOptions {
  /** Run database; default: the config's `db`, else runs/<config name>.sqlite under the current folder. */
  db?: string;
  seed?: number;
  workers?: number;
  /** Total iterations of the run (not an addition): raises or lowers the budget. */
  maxIterations?: number;
  /** Replace an existing run database at the same path (refused while another process writes it). */
  overwrite?: boolean;
  /** Local pools to take the run's pool from and leave open when it ends (the same problem and limits share one); the result's pool figures are then the pool's since it opened. */
  pools?: SharedPools;
  /** Stops launching new iterations; those in flight are committed. */
  signal?: AbortSignal;
  onProgress?: (progress: Progress) => void;
  /** Called once the engine exists, e.g. to abort it on a second Ctrl-C. */
  onEngine?: (engine: SearchEngine) => void;
  /** Non-fatal notices (a problem that changed since the run started, ...). */
  onWarning?: (message: string) => void;
  /** The LLM endpoint; wins over the config's llm.baseUrl and OPENAI_BASE_URL. */
  baseUrl?: string;
  /** Called once the endpoint is known (to print where the calls go). */
  onEndpoint?: (endpoint: Endpoint) => void;
  /** Send evaluations to a BullMQ queue (wins over the config's evaluation.queue); `where` names the flag for errors. */
  queue?: { url?: string; name?: string; localWorkers?: number };
}

export interface RunResult {
  db: string;
  stopReason: StopReason;
  iterations: number;
  workers: number;
  /** This session's pool figures. */
  pool: { evaluations: number; busyMs: number; wallMs: number; utilisation: number; workersReplaced: number; outOfMemory: number; liveWorkers: number };
  /** This session's LLM figures, when the run has LLM operators. */
  llm?: GatewayStats;
  /** For a replay: whether the archive is the source run's, cell for cell. */
  replay?: { source: string; identical: boolean; cells: number; sourceCells: number };
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
  const archive = describeArchive(config, problem.descriptors, loaded.path);
  const llm = usesLlm(config) ? { templates: loadTemplates(promptsDir(config.llm, dirname(loaded.path)), loaded.path), endpoint: resolveEndpoint(config.llm!, options.baseUrl, undefined) } : null;
  const db = resolve(options.db ?? (config.db !== undefined ? resolve(dirname(loaded.path), config.db) : defaultDbPath(loaded.path)));
  const workers = options.workers ?? config.workers ?? availableParallelism();
  const runId = randomUUID();
  const pool = await openPool(problem, config, workers, options, runId);
  let store: RunStore;
  try {
    if (options.signal?.aborted) throw new InterruptedError('interrupted before the run started; nothing was written');
    mkdirSync(dirname(db), { recursive: true });
    if (options.overwrite && existsSync(db)) removeRun(db); // throws RunLockedError while a live process writes it
    store = RunStore.create(db, {
      engineVersion: ENGINE_VERSION,
      createdAt: new Date().toISOString(),
      configPath: loaded.path,
      config,
      problemDir: problem.dir,
      problem: problem.manifest,
      seedFiles: problem.seedFiles,
      archive,
      runId,
      ...(llm ? { prompts: llm.templates, baseUrl: storableUrl(llm.endpoint.baseURL) ?? null } : {}),
    });
  } catch (error) {
    await pool.close();
    throw error;
  }
  return drive(store, pool, problem, config, archive, config.budget, workers, options, llm);
}

/** Continues a run from its last committed iteration; the result is the same as if it had never stopped. */
export async function resumeRun(dbFile: string, options: Omit<RunOptions, 'db' | 'seed' | 'overwrite'> & { stealLock?: boolean } = {}): Promise<RunResult> {
  const store = RunStore.open(resolve(dbFile), { write: true, ...(options.stealLock ? { stealLock: true } : {}) });
  let pool: EvaluationService | undefined;
  let driving = false;
  try {
    const config = storedConfig(store.meta('config'), dbFile);
    const problemDir = store.meta<string>('problemDir');
    if (problemDir === undefined) throw new StorageError(`${dbFile}: the run has no stored problem folder`);
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
    const problem = storedProblem(problemDir, stored, seedFiles);
    const budget: Budget = { ...config.budget, ...(options.maxIterations !== undefined ? { iterations: options.maxIterations } : {}) };
    if (options.maxIterations !== undefined) store.setMeta('config', { ...config, budget });
    const workers = options.workers ?? config.workers ?? availableParallelism();
    const runId = store.meta<string>('runId') ?? randomUUID();
    if (store.meta('runId') === undefined) store.setMeta('runId', runId);
    pool = await openPool(problem, config, workers, options, runId);
    const llm = usesLlm(config) ? { templates: store.meta<PromptTemplates>('prompts')!, endpoint: resolveEndpoint(config.llm!, options.baseUrl, store.meta<string | null>('baseUrl') ?? undefined) } : null;
    if (options.signal?.aborted) throw new InterruptedError('interrupted before the resume started; the run is unchanged');
    const archive = storedArchive(store.meta<ArchiveDescription>('archive'), config, problem.descriptors);
    driving = true;
    return await drive(store, pool, problem, config, archive, budget, workers, options, llm);
  } catch (error) {
    // drive() closes both itself; anything thrown before it leaves them to close here (an open queue would keep the process alive).
    if (!driving) { await pool?.close().catch(() => {}); store.close(); }
    throw error;
  }
}

/** The local pool, or with a queue (--queue, else evaluation.queue) the queue beside `localWorkers` local ones. */
async function openPool(problem: Problem, config: RunConfig, workers: number, options: RunOptions = {}, runId = 'local'): Promise<EvaluationService> {
  if (!Number.isInteger(workers) || workers < 1) throw new ConfigError('--workers', [`must be a positive integer (got ${workers})`]);
  const local = (n: number) => {
    const spec = {
      evaluatorPath: problem.evaluatorPath,
      descriptors: problem.descriptors,
      workers: n,
      timeoutMs: config.evaluation.timeoutMs,
      memoryLimitMb: config.evaluation.memoryLimitMb,
      stages: problem.stages,
    };
    return options.pools ? options.pools.get(JSON.stringify(spec), () => EvaluationPool.open(spec)) : EvaluationPool.open(spec);
  };
  const q = config.evaluation.queue;
  const url = options.queue?.url ?? q?.url;
  if (url === undefined) return local(workers);
  const localWorkers = options.queue?.localWorkers ?? q?.localWorkers ?? 0;
  const own = localWorkers > 0 ? await local(localWorkers) : null;
  try {
    // BullMQ and its Redis client take a fifth of a second to load: only a queued run pays for them.
    const { QueuePool } = await import('../queue/queue-pool.js');
    return await QueuePool.open({
      url, where: options.queue?.url !== undefined ? '--queue' : 'evaluation.queue.url', name: options.queue?.name ?? q?.name ?? 'ouroboros', runId, problem,
      timeoutMs: config.evaluation.timeoutMs, memoryLimitMb: config.evaluation.memoryLimitMb, local: own, localWorkers, ...(options.onWarning ? { onWarning: options.onWarning } : {}),
    });
  } catch (error) {
    await own?.close();
    throw error;
  }
}

interface LlmSide {
  templates: PromptTemplates;
  /** null in a replay. */
  endpoint: Endpoint | null;
  replaySource?: LlmRecords;
}

async function drive(store: RunStore, pool: EvaluationService, problem: Problem, config: RunConfig, archive: ArchiveDescription, budget: Budget, workers: number, options: RunOptions, llmSide: LlmSide | null): Promise<RunResult> {
  const started = performance.now();
  // A queued run writes what the queue looks like (depth, workers) for status and serve, every 2 s.
  const queued = 'snapshot' in pool ? pool as QueuePool : null;
  const snapshot = async () => {
    if (queued === null) return;
    // At most 2 s: with Redis away the commands wait for it, and a stopping run must not.
    const snap = await Promise.race([queued.snapshot().catch(() => null), new Promise<null>((r) => setTimeout(() => r(null), 2000).unref())]);
    if (snap !== null && !storeClosed) store.setMeta('queue', snap);
  };
  let storeClosed = false;
  const snapshots = queued ? setInterval(() => void snapshot(), 2000) : undefined;
  try {
    store.setMeta('status', 'running');
    if (llmSide?.endpoint) {
      options.onEndpoint?.(llmSide.endpoint);
      const url = storableUrl(llmSide.endpoint.baseURL);
      if (url !== undefined) store.setMeta('baseUrl', url);
    }
    const gateway = llmSide && config.llm ? createGateway(config.llm, store.llm(), llmSide.endpoint, llmSide.replaySource) : null;
    const engine = new SearchEngine({
      store, pool, problem, config, archive, budget,
      arms: createArms(config, gateway && llmSide ? { service: gateway, templates: llmSide.templates } : null),
      policy: policyOf(config),
      ...(gateway && config.llm ? {
        llm: { gateway, maxTokens: config.llm.maxTokens, context: { store, task: problem.manifest.description, descriptors: problem.descriptors, limits: config.llm.context } },
      } : {}),
      signal: options.signal ?? new AbortController().signal,
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
    options.onEngine?.(engine);
    const { stopReason, iterations } = await engine.run().catch((error: unknown) => {
      // The endpoint failing for good (or a replay diverging) stops the run cleanly: it resumes later.
      if (error instanceof OuroborosError && error.code !== 'E_INTERNAL') store.setMeta('status', 'stopped');
      throw error;
    });
    store.setMeta('status', stopReason === 'interrupted' || stopReason === 'aborted' ? 'stopped' : 'finished');
    const wallMs = performance.now() - started;
    const stats = pool.stats();
    return {
      db: store.path, stopReason, iterations, workers,
      pool: {
        evaluations: stats.evaluations, busyMs: stats.busyMs, wallMs, utilisation: stats.busyMs / (wallMs * workers),
        workersReplaced: stats.workersReplaced, outOfMemory: stats.outOfMemory, liveWorkers: pool.liveWorkers(),
      },
      ...(gateway ? { llm: { ...gateway.stats } } : {}),
    };
  } finally {
    clearInterval(snapshots);
    await snapshot();
    storeClosed = true;
    await pool.close();
    store.close();
  }
}

/**
 * Re-runs a finished search from its stored answers only (no endpoint) into a new database, and says whether
 * the archive came out identical. The source's config, problem, seed files and prompts are used; the budget
 * is the source's iteration count, since a wall-clock budget cannot be replayed.
 */
export async function replayRun(sourceFile: string, options: Omit<RunOptions, 'seed' | 'baseUrl'> = {}): Promise<RunResult> {
  const sourcePath = resolve(sourceFile);
  const source = RunStore.open(sourcePath, { write: false });
  let pool: EvaluationService | undefined;
  let driving = false;
  try {
    const config = storedConfig(source.meta('config'), sourcePath);
    const problemDir = source.meta<string>('problemDir');
    if (problemDir === undefined) throw new StorageError(`${sourcePath}: the run has no stored problem folder`);
    const manifest = source.meta<Problem['manifest']>('problem')!;
    const seedFiles = source.meta<Problem['seedFiles']>('seedFiles')!;
    const evaluatorPath = join(problemDir, manifest.evaluator);
    if (!existsSync(evaluatorPath)) throw new ConfigError(evaluatorPath, ['the source run\'s evaluator module is missing (the problem folder was moved or changed)']);
    const problem = storedProblem(problemDir, manifest, seedFiles);
    const archive = storedArchive(source.meta<ArchiveDescription>('archive'), config, problem.descriptors);
    const iterations = source.committedIterations();
    const { wallClockSeconds: _unused, ...rest } = config.budget;
    const budget: Budget = { ...rest, iterations };
    const db = resolve(options.db ?? sourcePath.replace(/(\.sqlite)?$/, '.replay.sqlite'));
    const workers = options.workers ?? config.workers ?? availableParallelism();
    pool = await openPool(problem, config, workers, options, randomUUID());
    if (options.overwrite && existsSync(db)) removeRun(db);
    const store = RunStore.create(db, {
      engineVersion: ENGINE_VERSION, createdAt: new Date().toISOString(), configPath: source.meta<string>('configPath') ?? sourcePath,
      config: { ...config, budget }, problemDir, problem: manifest, seedFiles, replayOf: sourcePath, archive,
      ...(usesLlm(config) ? { prompts: source.meta<PromptTemplates>('prompts') } : {}),
    });
    const llm = usesLlm(config) ? { templates: source.meta<PromptTemplates>('prompts')!, endpoint: null, replaySource: source.llm() } : null;
    driving = true;
    const result = await drive(store, pool, problem, config, archive, budget, workers, options, llm);
    const replayed = RunStore.open(db, { write: false });
    try {
      const mine = JSON.stringify(replayed.archiveCells());
      const theirs = JSON.stringify(source.archiveCells());
      return { ...result, replay: { source: sourcePath, identical: mine === theirs, cells: replayed.archiveCells().length, sourceCells: source.archiveCells().length } };
    } finally {
      replayed.close();
    }
  } catch (error) {
    // drive() closes the pool itself; anything thrown before it leaves the pool to close here.
    if (!driving) await pool?.close().catch(() => {});
    throw error;
  } finally {
    source.close();
  }
}
