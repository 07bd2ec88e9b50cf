// The evaluator of a tune run: a variant is a point of the search space (its params.json); evaluating
// it runs the inner searches of the resulting run config, training problems x seeds, through the
// public API (startRun with one worker each), and scores it against the base config on the same seeds.
// `job` (the same module's second export) runs one inner search, for baselines and validation.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isMainThread } from 'node:worker_threads';
import { SharedPools } from '../../fitness/shared-pools.js';
import type { EvaluationInput, EvaluatorResult } from '../../fitness/evaluator.js';
import { check, runConfigSchema, type RunConfig } from '../config/config-schema.js';
import { applySettings, configDescriptors } from './tune-space.js';
import { innerScore, type TuneTask } from './tune-task.js';

/**
 * In a tune run's worker thread, the inner searches of one problem share a one-worker pool for the thread's life
 * (it ends with the thread), instead of starting a worker and loading the evaluator for every inner search. On the
 * main thread (a library caller) each inner search has its own pool, which does not outlive it.
 */
const pools = isMainThread ? undefined : new SharedPools();

function taskOf(problemDir: string): TuneTask {
  return JSON.parse(readFileSync(join(problemDir, 'task.json'), 'utf8')) as TuneTask;
}

/** The run config a point of the space gives; a point that does not make a valid config throws. */
export function configAt(task: TuneTask, values: Record<string, unknown> | null): RunConfig {
  const config = values === null ? task.base : applySettings(task.base, values);
  const parsed = check(runConfigSchema, config);
  if (!parsed.ok) throw new Error(`these settings do not make a valid run config: ${parsed.problems.join('; ')}`);
  return parsed.value;
}

/** One trial: the mean over training problems of (mean metric over the seeds) / (the base config's). */
export async function evaluate(input: EvaluationInput): Promise<EvaluatorResult> {
  const task = taskOf(input.problemDir);
  if (task.baseline === undefined) throw new Error('task.json has no baseline: the tune run was not prepared by `ouroboros tune`');
  const config = configAt(task, input.params);
  const metrics: Record<string, number> = {};
  const ratios: number[] = [];
  const lines: string[] = [];
  for (const problem of task.train) {
    const scores: number[] = [];
    for (const seed of task.seeds) scores.push(await innerScore(config, problem, seed, task, pools));
    const mean = scores.reduce((a, b) => a + b, 0) / scores.length;
    const ratio = mean / task.baseline[problem.name]!;
    ratios.push(ratio);
    metrics[`${problem.name}`] = mean;
    metrics[`${problem.name}.ratio`] = ratio;
    lines.push(`${problem.name}: ${task.metric} ${mean.toPrecision(6)} over seeds ${task.seeds.join(', ')} (base ${task.baseline[problem.name]!.toPrecision(6)}, ratio ${ratio.toFixed(4)}); per seed ${scores.map((s) => s.toPrecision(5)).join(', ')}`);
  }
  const d = configDescriptors(config);
  return {
    fitness: ratios.reduce((a, b) => a + b, 0) / ratios.length,
    descriptors: { mutationShare: d.mutationShare, exploration: d.exploration },
    metrics: { ...metrics, llmShare: d.llmShare },
    artifacts: { summary: lines.join('\n'), config: JSON.stringify(config, null, 2) },
  };
}

/** One inner search, as job.json among the input's files asks: { values (null: the base config), set, problem, seed }. */
export async function job(input: EvaluationInput): Promise<EvaluatorResult> {
  const task = taskOf(input.problemDir);
  const spec = JSON.parse(input.files['job.json'] ?? 'null') as { values: Record<string, unknown> | null; set: 'train' | 'heldOut'; problem: string; seed: number } | null;
  if (spec === null) throw new Error('job.json is missing');
  const problem = (spec.set === 'train' ? task.train : task.heldOut).find((p) => p.name === spec.problem);
  if (problem === undefined) throw new Error(`no ${spec.set} problem named ${spec.problem}`);
  const score = await innerScore(configAt(task, spec.values), problem, spec.seed, task, pools);
  return { fitness: score, descriptors: { mutationShare: 0, exploration: 0 } };
}
