// Turns one finished iteration into archive insertions and the record that commit() writes.
import type { PromptVariantRow } from '../store/prompt-records.js';
import type { RunConfig } from '../config/config-schema.js';
import type { AddResult, Archive, ArchiveStats, Elite } from '../../archives/archive.js';
import { resultOf, type IslandModel } from '../../archives/island-model.js';
import type { Evaluation, Variant } from '../../common/types.js';
import type { ChildRecord, IterationRecord, QdMetricsRow, RunStore } from '../store/run-store.js';

export interface ChildOutcome {
  variant: Variant & { note?: string };
  /** null: an earlier iteration evaluated this variant and its stored evaluation is used. */
  evaluation: Evaluation | null;
}

/** What an iteration produced, before it is committed. */
export interface IterationOutcome {
  island: number;
  /** Index of the arm the iteration used (the seed's iteration has none: -1). */
  arm: number;
  operator: string;
  parentIds: string[];
  /** The operator's reason when it made no child. */
  failure: string | null;
  children: ChildOutcome[];
  /** The operator gave up because the run is stopping: not committed, redone on resume. */
  abandoned?: boolean;
  /** Prompt evolution: variants bred at this iteration's launch, and the variant its operator used. */
  prompts?: { bred?: PromptVariantRow[]; choice?: { operator: string; idx: number } };
}

/**
 * Inserts the iteration's evaluated children into its island as one batch (the seed, iteration 0,
 * into every island) with migration and resets (IslandModel.apply), and returns everything to
 * write. The evaluation used for a child is the stored one when there is one, so that which
 * iteration evaluated a duplicate never depends on timing.
 */
export function buildRecord(i: number, outcome: IterationOutcome, store: RunStore, islands: IslandModel,
  extra: Pick<IterationRecord, 'elapsedMs' | 'arm' | 'llm'> & { metricsInterval: number; creditUnit: CreditUnit }): IterationRecord {
  // Evaluations written by this record: a child identical to an earlier child of the same iteration reuses it.
  const written = new Map<string, Evaluation>();
  const elites: Elite[] = [];
  /** Per child, its index in `elites` once it is one. */
  const slots: number[] = [];
  const children: ChildRecord[] = outcome.children.map((child, k) => {
    slots[k] = -1;
    const twin = written.get(child.variant.id);
    const earlier = twin === undefined ? store.getEvaluation(child.variant.id) : undefined;
    if (twin !== undefined || earlier !== undefined) {
      // A child identical to an existing variant is not evaluated again, nor inserted again.
      const reason = outcome.parentIds.includes(child.variant.id) ? 'identical to its parent'
        : twin !== undefined ? 'identical to an earlier child of this iteration' : `identical to an existing variant (evaluated at iteration ${earlier!.iteration})`;
      return { variant: child.variant, evaluation: null, addStatus: 'rejected', cell: null, improvement: null, clipped: false, reason };
    }
    const evaluation = child.evaluation;
    if (evaluation === null) throw new Error(`iteration ${i}: no evaluation for ${child.variant.id}`);
    written.set(child.variant.id, evaluation);
    if (evaluation.status !== 'ok') {
      return { variant: child.variant, evaluation, addStatus: 'rejected', cell: null, improvement: null, clipped: false, reason: `evaluation ${evaluation.status} (${evaluation.reason}): ${evaluation.message}` };
    }
    slots[k] = elites.length;
    elites.push({ variantId: child.variant.id, fitness: evaluation.fitness, descriptors: evaluation.descriptors, iteration: i });
    return { variant: child.variant, evaluation, addStatus: 'rejected', cell: null, improvement: null, clipped: false, reason: null };
  });
  const changes = islands.apply(i, outcome.island, elites);
  children.forEach((child, k) => {
    if (slots[k]! < 0) return;
    const result = changes.results[slots[k]!]!;
    // The status is the archive's own rule (soft threshold, novelty); the cell is where the elite sits in the result archive.
    const cell = resultOf(result).cell;
    Object.assign(child, result.status === 'rejected'
      ? { addStatus: 'rejected', cell, improvement: null, clipped: result.clipped, reason: result.reason, rankValue: missedBy(result, elites[slots[k]!]!.fitness, islands.island(outcome.island)) }
      : { addStatus: result.status, cell, improvement: result.improvement, clipped: result.clipped, reason: null, rankValue: result.improvement });
  });
  return {
    iteration: i,
    island: outcome.island,
    operator: outcome.operator,
    parentIds: outcome.parentIds,
    status: outcome.failure === null ? 'evaluated' : 'operator-failed',
    reason: outcome.failure,
    children,
    cells: changes.cells,
    migrations: changes.migrations.map((m) => ({ from: m.from, to: m.to, variantId: m.variantId, addStatus: m.result.status })),
    resets: changes.resets,
    elapsedMs: extra.elapsedMs,
    arm: extra.arm,
    llm: extra.llm,
    reward: rewardOf(children, extra.creditUnit),
    ...(i % extra.metricsInterval === 0 ? { qdMetrics: qdMetricsOf(i, islands) } : {}),
  };
}

/** How far a rejected child fell short: the archive's own figure (a soft archive's), else fitness minus its cell's elite after the batch. */
function missedBy(result: AddResult, fitness: number, archive: Archive): number | null {
  if (result.status !== 'rejected') return result.improvement;
  if (result.improvement !== undefined) return result.improvement;
  const incumbent = result.cell === null ? undefined : archive.get(result.cell);
  return incumbent === undefined ? null : fitness - incumbent.fitness;
}

/** The QD metrics of every island and of all together (island -1), as they are after iteration i. */
export function qdMetricsOf(i: number, islands: IslandModel): QdMetricsRow[] {
  const row = (island: number, s: ArchiveStats): QdMetricsRow => ({
    iteration: i, island, filledCells: s.filledCells, coverage: s.coverage, qdScore: s.qdScore,
    normalizedQdScore: s.qdScore / s.totalCells, bestFitness: s.bestFitness, meanFitness: s.meanFitness,
  });
  return [row(-1, islands.stats()), ...islands.islands.map((island, k) => row(k, island.result.stats()))];
}

/**
 * The bandit's reward for an iteration. Credited per iteration: 1 if a child filled a new cell, 0.5 if one
 * improved a cell's elite, else 0. Credited per evaluation: the mean over its children of the same 1, 0.5 or 0
 * (0 without children), credited once per child (creditsOf).
 */
export function rewardOf(children: readonly Pick<ChildRecord, 'addStatus'>[], unit: CreditUnit = 'iteration'): number {
  if (unit === 'evaluation') {
    let sum = 0;
    for (const c of children) sum += c.addStatus === 'new' ? 1 : c.addStatus === 'improved' ? 0.5 : 0;
    return children.length === 0 ? 0 : sum / children.length;
  }
  if (children.some((c) => c.addStatus === 'new')) return 1;
  if (children.some((c) => c.addStatus === 'improved')) return 0.5;
  return 0;
}

/** What one bandit credit stands for (operatorChoice.credit); fixed weights credit per iteration. */
export type CreditUnit = 'iteration' | 'evaluation';

export function creditUnitOf(choice: RunConfig['operatorChoice']): CreditUnit {
  return choice.policy === 'weights' ? 'iteration' : choice.credit;
}

/** How many credits an iteration with `children` children earns: one, or one per child (at least one: a failed call cost too). */
export function creditsOf(children: number, unit: CreditUnit): number {
  return unit === 'evaluation' ? Math.max(1, children) : 1;
}
