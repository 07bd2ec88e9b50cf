// Loading a tune config and preparing its run: the tune run is an ordinary run whose problem folder
// (written next to the database) has the search space as its parameters, the tune evaluator, and
// task.json with the base config's baseline scores.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { processIsAlive } from '../store/process-alive.js';
import { basename, dirname, join, resolve } from 'node:path';
import { ConfigError } from '../../common/errors.js';
import { EvaluationPool } from '../../fitness/evaluation-pool.js';
import { checkFile, tuneConfigSchema, type RunConfig, type TuneConfig, type TuneProblem } from '../config/config-schema.js';
import { loadRunConfig } from '../config/load-config.js';
import { loadJson } from '../config/load-json.js';
import { loadProblem } from '../config/problem.js';
import { checkSpace, seedPoint } from './tune-space.js';
import type { TuneProblemRef, TuneTask } from './tune-task.js';

/** An inner search needs at least this many iterations (or evaluations) for two configs to differ measurably. */
export const MIN_INNER_BUDGET = 20;

export interface LoadedTune {
  path: string;
  config: TuneConfig;
  base: RunConfig;
  basePath: string;
  train: TuneProblemRef[];
  heldOut: TuneProblemRef[];
}

/** Reads and checks a tune config and everything it names; every problem is reported at once, naming the file and field. */
export function loadTuneConfig(file: string): LoadedTune {
  const path = resolve(file);
  const parsed = checkFile(tuneConfigSchema, loadJson(path));
  if (!parsed.ok) throw new ConfigError(path, parsed.problems);
  const config = parsed.value;
  const dir = dirname(path);
  const basePath = resolve(dir, config.base);
  if (!existsSync(basePath)) throw new ConfigError(path, [`base: no such run config: ${basePath}`]);
  const base = loadRunConfig(basePath).config;
  // Inner searches run from a config written elsewhere: the base config's own paths are made absolute.
  if (base.llm?.prompts !== undefined) base.llm.prompts = resolve(dirname(basePath), base.llm.prompts);
  if (base.archive.cvt.centroids !== undefined) base.archive.cvt.centroids = resolve(dirname(basePath), base.archive.cvt.centroids);
  // A prompt folder in the space is relative to the tune config; a folder that does not exist is an error.
  const folders = config.space['llm.prompts'];
  if (folders?.type === 'categorical') {
    folders.values = folders.values.map((v) => (typeof v === 'string' ? resolve(dir, v) : v));
  }
  const problems: string[] = [];
  const refs = (set: 'train' | 'heldOut') => config.problems[set].map((entry: TuneProblem, i) => {
    const at = `problems.${set}[${i}]`;
    const folder = resolve(dir, typeof entry === 'string' ? entry : entry.problem);
    try {
      loadProblem(folder);
    } catch (error) {
      problems.push(`${at}: ${(error as Error).message.split('\n').join('; ')}`);
    }
    const qdOffset = typeof entry === 'string' || entry.qdOffset === undefined ? base.archive.qdOffset : entry.qdOffset;
    return { name: basename(folder), dir: folder, qdOffset, at };
  });
  const train = refs('train');
  const heldOut = refs('heldOut');
  for (const [set, list] of [['train', train], ['heldOut', heldOut]] as const) {
    const seen = new Set<string>();
    for (const p of list) {
      if (seen.has(p.name)) problems.push(`${p.at}: a second problem named ${p.name} in problems.${set}`);
      seen.add(p.name);
    }
  }
  for (const p of heldOut) {
    if (train.some((q) => q.dir === p.dir)) problems.push(`${p.at}: ${p.name} is also a training problem; held-out problems must be unseen by the tuner`);
  }
  const budget = config.budget;
  if (budget.iterations === undefined && budget.evaluations === undefined && budget.tokens === undefined) {
    problems.push('budget: give each inner search at least one of iterations, evaluations or tokens');
  }
  for (const key of ['iterations', 'evaluations'] as const) {
    const v = budget[key];
    if (v !== undefined && v < MIN_INNER_BUDGET) problems.push(`budget.${key}: too small to compare configs: an inner search needs at least ${MIN_INNER_BUDGET} (got ${v})`);
    if (v !== undefined && config.metric === 'qd-area' && v < 2 * base.archive.metricsInterval) {
      problems.push(`budget.${key}: the qd-area metric needs at least two stored QD samples: at least ${2 * base.archive.metricsInterval} (2 x the base config's archive.metricsInterval; got ${v})`);
    }
  }
  if (budget.tokens !== undefined && base.llm === undefined) problems.push('budget.tokens: the base config has no LLM operator');
  if (Object.keys(config.space).length === 0) problems.push('space: declare at least one setting to tune');
  problems.push(...checkSpace(config.space, base, 'space'));
  if (folders?.type === 'categorical') for (const v of folders.values) if (typeof v !== 'string' || !existsSync(v)) problems.push(`space.llm.prompts: ${JSON.stringify(v)} is not a prompt folder`);
  if (problems.length > 0) throw new ConfigError(path, problems);
  const strip = ({ at: _at, ...ref }: TuneProblemRef & { at: string }): TuneProblemRef => ref;
  return { path, config, base, basePath, train: train.map(strip), heldOut: heldOut.map(strip) };
}

/** The folder beside a tune database that holds its problem, outer config and scratch space. */
export function tuneDir(db: string): string {
  return db.replace(/\.sqlite$/, '') + '.tune';
}

/**
 * Removes the inner searches' temporary folders left by this process or by processes no longer alive. Each search
 * removes its own, but not one whose worker was ended (a trial over its time limit, a killed tune). A folder is
 * named <pid>-<thread>-<uuid>, so one of another live process (a concurrent `tune --validate`) is left alone; the
 * scratch folder is the one task.json names (it is absolute), and goes once it is empty.
 */
export function clearScratch(db: string): void {
  const taskFile = join(tuneDir(db), 'problem', 'task.json');
  let scratch = join(tuneDir(db), 'scratch');
  try { scratch = (JSON.parse(readFileSync(taskFile, 'utf8')) as TuneTask).scratch ?? scratch; } catch { /* no task: the default place */ }
  if (!existsSync(scratch)) return;
  for (const entry of readdirSync(scratch)) {
    const pid = Number(entry.split('-')[0]);
    if (pid === process.pid || !(Number.isInteger(pid) && pid > 0 && processIsAlive(pid))) rmSync(join(scratch, entry), { recursive: true, force: true });
  }
  try { rmdirSync(scratch); } catch { /* another process's folder is still there */ }
}

// The tune evaluator is a sibling module: the .ts file under tsx (tests), the .js one once compiled.
const evaluatorModule = new URL(`./tune-evaluator${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url).href;

/** Training seeds of every trial: 1..n. Validation uses fresh ones (validationSeeds). */
export function trainingSeeds(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 1);
}

export function validationSeeds(n: number): number[] {
  return Array.from({ length: n }, (_, i) => 1_000_001 + i);
}

/**
 * Writes the tune run's problem folder and outer config (returns the config's path). The baseline is
 * computed on `workers` workers unless task.json already holds one for the same task.
 */
export async function prepareTune(loaded: LoadedTune, db: string, workers: number, onStage: (message: string) => void): Promise<string> {
  const dir = tuneDir(db);
  const problemDir = join(dir, 'problem');
  mkdirSync(join(problemDir, 'seed'), { recursive: true });
  const c = loaded.config;
  const task: TuneTask = {
    base: loaded.base, space: c.space, train: loaded.train, heldOut: loaded.heldOut,
    seeds: trainingSeeds(c.seeds), budget: c.budget, metric: c.metric, scratch: join(dir, 'scratch'),
    tunePath: loaded.path, basePath: loaded.basePath, trialTimeoutSeconds: c.trialTimeoutSeconds, validation: c.validation,
  };
  const taskFile = join(problemDir, 'task.json');
  const previous = existsSync(taskFile) ? JSON.parse(readFileSync(taskFile, 'utf8')) as TuneTask : undefined;
  if (previous?.baseline !== undefined && JSON.stringify({ ...previous, baseline: undefined }) === JSON.stringify({ ...task, baseline: undefined })) task.baseline = previous.baseline;
  writeFileSync(taskFile, JSON.stringify(task, null, 2));
  writeFileSync(join(problemDir, 'evaluator.mts'), `// Generated by ouroboros tune: the engine's tune evaluator.\nexport { evaluate, job } from ${JSON.stringify(evaluatorModule)};\n`);
  writeFileSync(join(problemDir, 'seed', 'params.json'), JSON.stringify(seedPoint(c.space, loaded.base), null, 2) + '\n');
  writeFileSync(join(problemDir, 'problem.json'), JSON.stringify({
    name: `tune-${basename(loaded.path).replace(/\.json$/, '')}`,
    description: `Run configs for ${loaded.train.map((p) => p.name).join(', ')}, scored by the ${c.metric} of inner searches over the base config's (${loaded.basePath}).`,
    evaluator: 'evaluator.mts', seed: 'seed', params: { file: 'params.json', space: c.space },
    descriptors: [
      { name: 'mutationShare', min: 0, max: 1, bins: 10, description: 'share of operator weight on mutation (vs crossover) operators' },
      { name: 'exploration', min: 0, max: 1, bins: 10, description: 'weight-averaged step size: sigma, blend, temperature / 2' },
    ],
  }, null, 2));
  if (task.baseline === undefined) {
    onStage(`baseline: the base config on ${loaded.train.length} training problem(s) x ${c.seeds} seed(s)`);
    const scores = await runJobs(problemDir, workers, c.trialTimeoutSeconds, loaded.train.flatMap((p) => task.seeds.map((seed) => ({ values: null, set: 'train' as const, problem: p.name, seed }))));
    task.baseline = {};
    const bad: string[] = [];
    loaded.train.forEach((p, i) => {
      const mine = scores.slice(i * c.seeds, (i + 1) * c.seeds);
      const mean = mine.reduce((a, b) => a + b, 0) / mine.length;
      task.baseline![p.name] = mean;
      if (!(mean > 0)) bad.push(`problems.train: ${p.name}: the base config's ${c.metric} is ${mean}; trials are scored as a ratio to it, which needs it above 0 (for a QD metric, set the problem's qdOffset at or below its lowest fitness)`);
    });
    if (bad.length > 0) throw new ConfigError(loaded.path, bad);
    writeFileSync(taskFile, JSON.stringify(task, null, 2));
  }
  const outer = {
    problem: './problem',
    seed: c.seed,
    pipelineDepth: c.pipelineDepth,
    budget: { iterations: c.trials },
    evaluation: { timeoutMs: Math.round(c.trialTimeoutSeconds * 1000) },
    operators: [
      { type: 'param-mutation', name: 'mutate', weight: 3, sigma: 0.2, rate: 0.5 },
      { type: 'param-crossover', name: 'crossover', weight: 1, blend: 0.5 },
    ],
    selection: { strategy: 'tournament', size: 2 },
    archive: { qdOffset: 0, metricsInterval: 1 },
  };
  const outerFile = join(dir, 'tune-run.json');
  writeFileSync(outerFile, JSON.stringify(outer, null, 2));
  return outerFile;
}

export interface TuneJob { values: Record<string, unknown> | null; set: 'train' | 'heldOut'; problem: string; seed: number }

/** Runs inner searches on a pool of `workers` (each inner search itself on one worker), in the order given. */
export async function runJobs(problemDir: string, workers: number, timeoutSeconds: number, jobs: TuneJob[], onDone?: (done: number) => void): Promise<number[]> {
  const pool = await EvaluationPool.open({
    evaluatorPath: join(problemDir, 'evaluator.mts'),
    descriptors: [{ name: 'mutationShare', min: 0, max: 1, bins: 10 }, { name: 'exploration', min: 0, max: 1, bins: 10 }],
    workers: Math.max(1, Math.min(workers, jobs.length)),
    timeoutMs: Math.round(timeoutSeconds * 1000),
    stages: [{ name: 'job', export: 'job', threshold: null }],
  });
  let done = 0;
  try {
    return await Promise.all(jobs.map(async (job, i) => {
      const e = await pool.evaluate({ variantId: `job-${i}`, files: { 'job.json': JSON.stringify(job) }, params: {}, seed: job.seed, iteration: 0, problemDir });
      if (e.status !== 'ok') throw new ConfigError(problemDir, [`the inner search of ${job.problem} (seed ${job.seed}) failed: ${e.reason}: ${e.message}`]);
      onDone?.(++done);
      return e.fitness;
    }));
  } finally {
    await pool.close();
  }
}
