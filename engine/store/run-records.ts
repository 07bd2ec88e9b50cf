// The records RunStore writes and reads: one committed iteration, its children, the log's rows, QD metrics.
import type { Elite } from '../../archives/archive.js';
import type { Evaluation, Variant } from '../../common/types.js';

/** One child of a committed iteration. `evaluation` is null when the variant's evaluation was already stored. */
export interface ChildRecord {
  variant: Variant & { note?: string };
  evaluation: Evaluation | null;
  addStatus: 'new' | 'improved' | 'rejected';
  cell: number | null;
  improvement: number | null;
  clipped: boolean;
  reason: string | null;
  /** What a stateful operator ranks the child by (its improvement, or how far it fell short); not stored. */
  rankValue?: number | null;
}

/** Everything one iteration changes, written in one transaction by commit(). */
export interface IterationRecord {
  iteration: number;
  island: number;
  operator: string;
  parentIds: string[];
  status: 'evaluated' | 'operator-failed';
  reason: string | null;
  children: ChildRecord[];
  /** Result-archive cells whose elite or threshold changed, on any island (migration and resets included). */
  cells: Array<{ island: number; cell: number; elite: Elite; threshold?: number | null }>;
  migrations: Array<{ from: number; to: number; variantId: string; addStatus: string }>;
  /** Islands restarted after stagnating: their stored cells are dropped before `cells` are written. */
  resets?: Array<{ island: number; survivors: string[] }>;
  /** Total wall-clock time the run has spent, all sessions together, as of this commit. */
  elapsedMs: number;
  /** The arm (operator, model, temperature) that made the children, and the bandit's reward for it. */
  arm: string;
  reward: number;
  /** LLM calls this iteration's operator made (answers reused from the cache included), their tokens and cost. */
  llm: IterationUsage;
  /** QD metrics after this iteration, when it is a multiple of archive.metricsInterval (island -1: overall). */
  qdMetrics?: QdMetricsRow[];
}

export interface QdMetricsRow {
  iteration: number; island: number; filledCells: number; coverage: number; qdScore: number;
  /** QD score over the number of cells: the mean of (fitness - offset) over every cell, empty ones counting 0. */
  normalizedQdScore: number; bestFitness: number | null; meanFitness: number | null;
}

export interface IterationUsage { calls: number; tokens: number; cost: number }

/** A row of the evaluation log, as replayed to rebuild the archive. */
export interface LogChild {
  iteration: number;
  island: number;
  variantId: string | null;
  /** Iteration whose evaluation of this variant is stored: equal to `iteration` unless a stored one was reused. */
  evaluatedAt: number | null;
  /** Whether this child reused a stored evaluation (null for an operator failure's row). */
  cached: boolean | null;
  status: Evaluation['status'] | null;
  fitness: number | null;
  descriptors: number[] | null;
  /** Per iteration, repeated on each of its rows. */
  parentIds: string[];
  arm: string | null;
  reward: number | null;
  llm: IterationUsage;
}
