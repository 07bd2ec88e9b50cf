// Re-checking a new best: the first score and the scores under fresh seeds become one recorded fitness with its spread.
import { rngFor } from '../../common/rng.js';
import type { Evaluation, RecheckResult, Variant } from '../../common/types.js';
import type { RunConfig } from '../config/config-schema.js';
import type { IterationOutcome } from './iteration-record.js';
import type { RunStore } from '../store/run-store.js';

export type Aggregate = RecheckResult['aggregate'];
type Ok = Extract<Evaluation, { status: 'ok' }>;

export function aggregateOf(samples: readonly number[], how: Aggregate): number {
  if (how === 'min') return Math.min(...samples);
  if (how === 'mean') return samples.reduce((a, b) => a + b, 0) / samples.length;
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * The evaluation recorded for a variant re-checked with fresh seeds. Its fitness is the aggregate of
 * the first score and the re-checks' scores, so a lucky first score does not stay best. A re-check
 * that fails (throws, times out, returns no score) makes the whole evaluation failed with reason
 * `not-reproduced`: a candidate that breaks under another seed is not trusted with the run's best.
 * Descriptors, metrics and artifacts stay those of the first evaluation.
 */
export function combineRecheck(first: Ok, rechecks: readonly Evaluation[], seeds: readonly number[], how: Aggregate): Evaluation {
  const failures = rechecks.flatMap((e, k) => (e.status === 'ok' ? [] : [`seed ${seeds[k]}: ${e.status} (${e.reason}): ${e.message}`]));
  const samples = [first.fitness, ...rechecks.flatMap((e) => (e.status === 'ok' ? [e.fitness] : []))];
  const mean = aggregateOf(samples, 'mean');
  const recheck: RecheckResult = {
    samples, seeds: [first.seed, ...seeds], aggregate: how, first: first.fitness, value: aggregateOf(samples, how),
    spread: Math.max(...samples) - Math.min(...samples), std: Math.sqrt(samples.reduce((a, x) => a + (x - mean) ** 2, 0) / samples.length), failures,
  };
  if (failures.length > 0) {
    return {
      status: 'failed', reason: 'not-reproduced', durationMs: first.durationMs, seed: first.seed,
      message: `scored ${first.fitness} first, but ${failures.length} of ${rechecks.length} re-check(s) with fresh seeds failed: ${failures[0]}`,
      ...(first.stages ? { stages: first.stages } : {}), artifacts: first.artifacts,
    };
  }
  return { ...first, fitness: recheck.value, recheck };
}

/**
 * A child that would become the run's best is evaluated again with fresh seeds before it is
 * committed, and recorded with the aggregate. Decided at commit, in order, against the committed
 * best, so it is as deterministic as the rest of the run.
 */
export async function recheckBest(i: number, outcome: IterationOutcome, committedBest: number,
  run: Pick<RunConfig, 'seed' | 'evaluation'> & { store: Pick<RunStore, 'hasEvaluation'>; evaluate: (variant: Variant, i: number, seed: number) => Promise<Evaluation> }): Promise<void> {
  const { count, aggregate } = run.evaluation.recheck;
  let best = committedBest;
  const seen = new Set<string>();
  for (const [k, child] of outcome.children.entries()) {
    // A child the commit will reject as a duplicate (buildRecord) is not re-checked: whether its own
    // evaluation exists depends on timing, and its score must not move `best` for its siblings.
    const duplicate = seen.has(child.variant.id) || run.store.hasEvaluation(child.variant.id);
    seen.add(child.variant.id);
    const first = child.evaluation;
    if (duplicate || first === null || first.status !== 'ok' || first.fitness <= best) continue;
    const seeds = Array.from({ length: count }, (_, r) => rngFor(run.seed, i, `recheck/${k}/${r}`).uint32());
    const rechecks = await Promise.all(seeds.map((seed) => run.evaluate(child.variant, i, seed)));
    child.evaluation = combineRecheck(first, rechecks, seeds, aggregate);
    if (child.evaluation.status === 'ok') best = Math.max(best, child.evaluation.fitness);
  }
}
