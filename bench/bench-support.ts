// What the engine-level benches share: a parameter problem written to a folder, commit times seen at the storage seam, a cached long run, and the target line.
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ENGINE_VERSION, resumeRun, startRun, type Progress } from '../index.js';
import { RunStore } from '../engine/store/run-store.js';
import { SCHEMA_VERSION } from '../engine/store/store-schema.js';

/** The machine line every bench prints first. */
export function machine(): string {
  return `${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown cpu'}), node ${process.version}`;
}

/** `figure / target` as a ratio, and whether it meets it (`higher`: the figure must be at least the target). */
export function verdict(figure: number, target: number, higher = true): string {
  const ratio = higher ? figure / target : target / figure;
  return `${ratio.toFixed(2)}x the target (${ratio >= 1 ? 'met' : 'missed'})`;
}

export const argNumber = (name: string, fallback: number): number => {
  const flag = process.argv.indexOf(`--${name}`);
  return flag > 0 ? Number(process.argv[flag + 1]) : fallback;
};

/** Every commit's time since tapCommits(), seen at the storage seam (progress reports are throttled to one per 100 ms). */
export const commitTimes: number[] = [];
let tapped = false;

/** Starts recording commit times in `commitTimes` (once per process; clear the array between measurements). */
export function tapCommits(): void {
  if (tapped) return;
  tapped = true;
  const realCommit = RunStore.prototype.commit;
  RunStore.prototype.commit = function (this: RunStore, ...args: Parameters<RunStore['commit']>) {
    const result = realCommit.apply(this, args);
    commitTimes.push(performance.now());
    return result;
  };
}

/** Commits per second between the first and the last commit of `times`: excludes opening the pool and replaying the log. */
export function commitRate(times: readonly number[]): number {
  return times.length < 2 ? NaN : (times.length - 1) / ((times.at(-1)! - times[0]!) / 1000);
}

export interface ParamProblem {
  /** The evaluator module's body: `export function evaluate(input) { ... }`. */
  evaluator: string;
  /** Descriptors x and y, read from params.x and params.y by the evaluators here. */
  bins: number;
}

/**
 * A problem whose variants are a params.json of two floats x, y in [0, 1] (6 significant digits, so
 * mutation children are distinct variants), with descriptors (x, y) on a bins x bins grid.
 * Returns the config path.
 */
export function writeParamProblem(dir: string, problem: ParamProblem, config: Record<string, unknown>): string {
  mkdirSync(join(dir, 'problem', 'seed'), { recursive: true });
  writeFileSync(join(dir, 'problem', 'evaluator.mjs'), problem.evaluator);
  writeFileSync(join(dir, 'problem', 'seed', 'params.json'), '{"x":0.5,"y":0.5}');
  writeFileSync(join(dir, 'problem', 'problem.json'), JSON.stringify({
    name: 'bench-params', evaluator: 'evaluator.mjs', seed: 'seed',
    params: { file: 'params.json', space: { x: { type: 'float', min: 0, max: 1 }, y: { type: 'float', min: 0, max: 1 } } },
    descriptors: [{ name: 'x', min: 0, max: 1, bins: problem.bins }, { name: 'y', min: 0, max: 1, bins: problem.bins }],
  }));
  const path = join(dir, 'config.json');
  writeFileSync(path, JSON.stringify({ problem: './problem', ...config }));
  return path;
}

/** The no-op evaluator: a fixed fitness, the descriptors read from the parameters. */
export const NOOP_EVALUATOR = 'export function evaluate({ params }) { return { fitness: 1, descriptors: [params.x, params.y] }; }\n';

/**
 * The engine-overhead run: the no-op evaluator, one param-mutation operator, a 1,000 x 1,000 grid (so
 * nearly every child fills a new cell and the archive grows with the run), uniform selection.
 */
export const OVERHEAD_PROBLEM: ParamProblem = { evaluator: NOOP_EVALUATOR, bins: 1000 };
export const OVERHEAD_CONFIG = { seed: 11, pipelineDepth: 64, budget: { iterations: 1000 }, operators: [{ type: 'param-mutation', weight: 1, sigma: 0.1, rate: 0.5 }] };

export interface CachedRun {
  dir: string;
  config: string;
  /** The run after 1,000 iterations (a snapshot, never written to). */
  small: string;
  /** The run after `large` iterations (a snapshot, never written to). */
  large: string;
  largeIterations: number;
}

const log = (line: string) => process.stdout.write(`${line}\n`);

/**
 * The engine-overhead run at 1,000 and at `largeIterations` committed iterations, kept under the temp
 * folder between benches (keyed by the engine, schema and run settings) and built when absent. Work on
 * copies (`snapshot`): resuming writes to the file.
 */
export async function cachedOverheadRun(largeIterations: number, rebuild = process.argv.includes('--rebuild')): Promise<CachedRun> {
  const key = createHash('sha256').update(JSON.stringify([ENGINE_VERSION, SCHEMA_VERSION, OVERHEAD_PROBLEM, OVERHEAD_CONFIG, largeIterations])).digest('hex').slice(0, 12);
  const dir = join(tmpdir(), 'ouroboros-bench-cache', `overhead-${key}`);
  const run: CachedRun = { dir, config: join(dir, 'config.json'), small: join(dir, 'run-1k.sqlite'), large: join(dir, `run-${largeIterations / 1000}k.sqlite`), largeIterations };
  if (!rebuild && existsSync(run.large) && existsSync(run.small)) {
    log(`  using the cached ${largeIterations.toLocaleString('en')}-iteration run in ${dir} (--rebuild builds it again)`);
    return run;
  }
  rmSync(dir, { recursive: true, force: true });
  writeParamProblem(dir, OVERHEAD_PROBLEM, OVERHEAD_CONFIG);
  log(`  building the cached run in ${dir}: 1,000 iterations, then resumed to ${largeIterations.toLocaleString('en')} (once)`);
  const building = join(dir, 'building.sqlite');
  const t0 = performance.now();
  await startRun(run.config, { db: building, maxIterations: 1000 });
  copyFileSync(building, run.small);
  let last = 0;
  const onProgress = (p: Progress) => {
    if (p.iterations - last < 10_000 && p.iterations < largeIterations) return;
    last = p.iterations;
    log(`    ${p.iterations.toLocaleString('en')} iterations, ${p.filledCells.toLocaleString('en')} cells filled, ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  };
  await resumeRun(building, { maxIterations: largeIterations, onProgress });
  copyFileSync(building, run.large);
  rmSync(building, { force: true });
  log(`  built in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  return run;
}

/** A writable copy of a cached snapshot (closed runs have no WAL: the file is the whole run). */
export function snapshot(source: string, into: string): string {
  copyFileSync(source, into);
  return into;
}

/** Stored variants (each has exactly one evaluation) and committed iterations of a closed run. */
export function runSize(db: string): { variants: number; iterations: number; cells: number } {
  const store = RunStore.open(db, { write: false });
  try {
    return { variants: store.evaluationCount(), iterations: store.committedIterations(), cells: store.archiveCells().length };
  } finally {
    store.close();
  }
}

export function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}
