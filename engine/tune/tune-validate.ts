// The held-out comparison of a tune run: its best configs by training score and the base config are
// re-run on the held-out problems with fresh seeds, compared seed by seed (the same inner seed for
// both), with a bootstrap interval; the best config by training score is written as a run config.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { StorageError } from '../../common/errors.js';
import { rngFor } from '../../common/rng.js';
import { RunReader } from '../output/run-reader.js';
import { RunStore } from '../store/run-store.js';
import { configAt } from './tune-evaluator.js';
import { runJobs, validationSeeds, type TuneJob } from './tune-setup.js';
import type { TuneTask } from './tune-task.js';

export interface HeldOutComparison {
  problem: string;
  /** The metric per validation seed, base and tuned, in seed order. */
  base: number[];
  tuned: number[];
  /** tuned / base per seed, and their mean with its bootstrap 95% interval. */
  meanRatio: number;
  interval: [number, number];
  /** Seeds on which the tuned config scored higher than the base. */
  wins: number;
}

export interface ValidatedConfig {
  /** 1 is the best by training score. */
  rank: number;
  variantId: string;
  /** The tune run's score: mean ratio to the base over the training problems. */
  trainingScore: number;
  values: Record<string, unknown>;
  heldOut: HeldOutComparison[];
}

export interface TuneValidation {
  metric: TuneTask['metric'];
  seeds: number[];
  configs: ValidatedConfig[];
  /** The run config written for the rank-1 config. */
  tunedFile: string;
  /** Held-out problems on which the rank-1 config's interval lies above 1. */
  beaten: number;
  verdict: string;
}

const RESAMPLES = 2000;

/** Mean of the ratios and its percentile bootstrap 95% interval, from a stream of its own. */
export function bootstrapMean(ratios: number[], seed: number, purpose: string): { mean: number; interval: [number, number] } {
  const mean = ratios.reduce((a, b) => a + b, 0) / ratios.length;
  const rng = rngFor(seed, 0, `bootstrap/${purpose}`);
  const means: number[] = [];
  for (let r = 0; r < RESAMPLES; r++) {
    let sum = 0;
    for (let i = 0; i < ratios.length; i++) sum += ratios[rng.int(ratios.length)]!;
    means.push(sum / ratios.length);
  }
  means.sort((a, b) => a - b);
  return { mean, interval: [means[Math.floor(0.025 * RESAMPLES)]!, means[Math.ceil(0.975 * RESAMPLES) - 1]!] };
}

/** Validates a finished (or stopped) tune run; stores the result in it and writes the tuned config beside it. */
export async function validateTune(db: string, workers: number, onStage: (message: string) => void): Promise<TuneValidation> {
  const reader = RunReader.open(resolve(db));
  let task: TuneTask;
  let problemDir: string;
  let ranked: Array<{ variantId: string; fitness: number; values: Record<string, unknown> }>;
  let runSeed: number;
  try {
    problemDir = reader.meta<string>('problemDir')!;
    try {
      task = JSON.parse(readFileSync(join(problemDir, 'task.json'), 'utf8')) as TuneTask;
    } catch {
      throw new StorageError(`${db}: not a tune run (no ${join(problemDir, 'task.json')})`);
    }
    runSeed = reader.config().seed;
    const seen = new Set<string>();
    ranked = reader.elites().sort((a, b) => b.fitness - a.fitness || a.iteration - b.iteration)
      .filter((e) => !seen.has(e.variantId) && seen.add(e.variantId))
      .slice(0, task.validation.top)
      .map((e) => ({ variantId: e.variantId, fitness: e.fitness, values: JSON.parse(reader.variantFiles(e.variantId)!['params.json']!) as Record<string, unknown> }));
  } finally {
    reader.close();
  }
  if (ranked.length === 0) throw new StorageError(`${db}: the tune run has no scored config yet`);
  const seeds = validationSeeds(task.validation.seeds);
  const jobs: TuneJob[] = [null, ...ranked.map((r) => r.values)].flatMap((values) =>
    task.heldOut.flatMap((p) => seeds.map((seed) => ({ values, set: 'heldOut' as const, problem: p.name, seed }))));
  onStage(`validation: ${ranked.length} config(s) and the base on ${task.heldOut.length} held-out problem(s) x ${seeds.length} fresh seeds (${jobs.length} inner searches)`);
  const scores = await runJobs(problemDir, workers, task.trialTimeoutSeconds, jobs, (done) => {
    if (done % Math.max(1, Math.floor(jobs.length / 10)) === 0 || done === jobs.length) onStage(`  ${done}/${jobs.length} inner searches done`);
  });
  const block = task.heldOut.length * seeds.length;
  const at = (k: number, p: number) => scores.slice(k * block + p * seeds.length, k * block + (p + 1) * seeds.length);
  const configs: ValidatedConfig[] = ranked.map((r, k) => ({
    rank: k + 1, variantId: r.variantId, trainingScore: r.fitness, values: r.values,
    heldOut: task.heldOut.map((p, pi) => {
      const base = at(0, pi);
      const tuned = at(k + 1, pi);
      if (base.some((b) => !(b > 0))) throw new StorageError(`${p.name}: the base config's ${task.metric} is not above 0 on some validation seed (${base.join(', ')}); ratios cannot be formed (set the problem's qdOffset at or below its lowest fitness)`);
      const { mean, interval } = bootstrapMean(tuned.map((t, i) => t / base[i]!), runSeed, `${r.variantId}/${p.name}`);
      return { problem: p.name, base, tuned, meanRatio: mean, interval, wins: tuned.filter((t, i) => t > base[i]!).length };
    }),
  }));
  const best = configs[0]!;
  const beaten = best.heldOut.filter((h) => h.interval[0] > 1).length;
  const worse = best.heldOut.filter((h) => h.interval[1] < 1).map((h) => h.problem);
  const verdict = beaten === 0
    ? `tuning did NOT beat the base config on the held-out problems: no interval of the best config lies above 1.0${worse.length ? ` (it is worse on ${worse.join(', ')})` : ''}; keep the base config`
    : `the tuned config beats the base on ${beaten} of ${best.heldOut.length} held-out problem(s) (95% interval above 1.0)${worse.length ? `, and is worse on ${worse.join(', ')}` : ''}`;
  const tunedFile = db.replace(/\.sqlite$/, '') + '.tuned.json';
  const config: Record<string, unknown> = { ...configAt(task, best.values) };
  delete config.db;
  delete config.workers;
  config.problem = relative(dirname(resolve(tunedFile)), resolve(dirname(task.basePath), task.base.problem)) || '.';
  writeFileSync(tunedFile, JSON.stringify(config, null, 2) + '\n');
  const validation: TuneValidation = { metric: task.metric, seeds, configs, tunedFile: resolve(tunedFile), beaten, verdict };
  const store = RunStore.open(resolve(db), { write: true });
  try {
    store.setMeta('tuneValidation', validation);
  } finally {
    store.close();
  }
  return validation;
}

/** The comparison as a table, for the terminal. */
export function formatValidation(v: TuneValidation): string {
  const lines = [`held-out comparison (${v.metric}, ${v.seeds.length} fresh seeds, paired; ratio = tuned / base):`];
  for (const c of v.configs) {
    lines.push(`  #${c.rank} ${c.variantId} (training score ${c.trainingScore.toFixed(4)}): ${Object.entries(c.values).map(([k, x]) => `${k}=${typeof x === 'number' ? Number(x.toPrecision(4)) : JSON.stringify(x)}`).join(' ')}`);
    for (const h of c.heldOut) {
      lines.push(`      ${h.problem.padEnd(16)} ratio ${h.meanRatio.toFixed(3)}x  95% [${h.interval[0].toFixed(3)}, ${h.interval[1].toFixed(3)}]  wins ${h.wins}/${h.base.length}`);
    }
  }
  lines.push(v.verdict, `tuned config (rank 1): ${v.tunedFile}`);
  return lines.join('\n');
}
