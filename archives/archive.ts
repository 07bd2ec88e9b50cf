// The Archive contract: where elites live, one per cell of the descriptor space.

/** An elite as the archive holds it: ids and numbers only, never the variant's files. */
export interface Elite {
  variantId: string;
  fitness: number;
  descriptors: number[];
  /** Iteration at which this elite entered this archive. */
  iteration: number;
}

/** What add() did. `improvement` is fitness minus the previous elite's (or minus the QD offset for a new cell). */
export type AddResult =
  | { status: 'new'; cell: number; improvement: number; clipped: boolean }
  | { status: 'improved'; cell: number; improvement: number; clipped: boolean; replaced: string }
  | { status: 'rejected'; cell: number | null; reason: string; clipped: boolean };

export interface ArchiveStats {
  filledCells: number;
  totalCells: number;
  /** filledCells / totalCells. */
  coverage: number;
  /** Sum over filled cells of (fitness - qdOffset). */
  qdScore: number;
  qdOffset: number;
  bestFitness: number | null;
  meanFitness: number | null;
}

/**
 * A MAP-Elites archive. Pure data structure: no I/O, no randomness of its own.
 * add() is synchronous and deterministic; elites() lists filled cells in increasing cell
 * index so that any seeded choice over it is reproducible.
 */
export interface Archive {
  readonly totalCells: number;
  /** Cell index of a descriptor vector, with whether any value was clipped to the edge; null for NaN. */
  cellOf(descriptors: number[]): { cell: number; clipped: boolean } | null;
  add(elite: Elite): AddResult;
  get(cell: number): Elite | undefined;
  elites(): Array<Elite & { cell: number }>;
  best(): (Elite & { cell: number }) | undefined;
  stats(): ArchiveStats;
}
