// The Archive contract: where elites live, one per cell of the descriptor space.

/** An elite as the archive holds it: ids and numbers only, never the variant's files. */
export interface Elite {
  variantId: string;
  fitness: number;
  /** The raw descriptors, as the evaluator gave them (never clipped: clipping only chooses the cell). */
  descriptors: number[];
  /** Iteration at which this elite entered this archive. */
  iteration: number;
}

/**
 * What add() did. `improvement` is fitness minus the previous elite's (or minus the QD offset for a
 * new cell); a soft archive measures it against the cell's threshold instead, and also reports it
 * on a rejection (zero or negative there), which is what a CMA-MAE emitter ranks by.
 */
export type AddResult =
  | { status: 'new'; cell: number; improvement: number; clipped: boolean }
  | { status: 'improved'; cell: number; improvement: number; clipped: boolean; replaced: string }
  | { status: 'rejected'; cell: number | null; reason: string; clipped: boolean; improvement?: number };

/** What a soft or novelty archive's add() did, with what its result archive did with the same elite. */
export type PairedAddResult = AddResult & { resultArchive: AddResult };

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
 * The elites of an archive in increasing cell order, read where the archive keeps them (Archive.view()):
 * valid until the archive's next add. An array of elites is one.
 */
export interface EliteView {
  readonly length: number;
  /** The k-th elite (0 <= k < length), undefined outside; do not change it. */
  at(k: number): (Elite & { cell: number }) | undefined;
}

/** A numeric descriptor's box: a CVT tessellates it, novelty distances are normalised by it. */
export interface DescriptorRange {
  name: string;
  min: number;
  max: number;
}

/** A grid dimension with one bin per declared value; the descriptor is the value's index (see grid-layout.ts). */
export interface CategoricalDimension {
  name: string;
  values: ReadonlyArray<string | number>;
  description?: string;
}

/** A numeric grid dimension: `bins` equal bins over [min, max]. Same shape as common/types.ts DescriptorSpec. */
export interface NumericDimension {
  name: string;
  min: number;
  max: number;
  bins: number;
  description?: string;
}

export type GridDimension = NumericDimension | CategoricalDimension;

export type ArchiveKind = 'grid' | 'cvt' | 'soft' | 'novelty';

/**
 * Everything needed to rebuild an empty archive of the same shape (archiveFromDescription in
 * archive-factory.ts): plain data, JSON-safe (an absent threshold minimum is `null`, not -Infinity).
 * The engine stores it in the run; for a CVT it carries the centroids, so a resume never re-runs k-means.
 */
export type ArchiveDescription =
  | { kind: 'grid'; qdOffset: number; epsilon: number; dimensions: GridDimension[] }
  /** `clip` is absent from runs made before it existed: those CVTs clipped, so absent means true. */
  | { kind: 'cvt'; qdOffset: number; epsilon: number; clip?: boolean; ranges: DescriptorRange[]; centroids: number[][] }
  | { kind: 'soft'; learningRate: number; thresholdMin: number | null; result: ArchiveDescription }
  | { kind: 'novelty'; neighbours: number; threshold: number; result: ArchiveDescription };

/**
 * A quality-diversity archive. Pure data structure: no I/O, no randomness of its own.
 *
 * - add() and addBatch() are synchronous and deterministic. An elite with a non-finite fitness,
 *   the wrong number of descriptors, a NaN descriptor or (categorical dimensions) an unknown value
 *   is rejected with a `reason` and `cell: null`, and changes nothing. In a grid (and a CVT with
 *   `clip`), a numeric descriptor outside its range (±Infinity included) is clipped to the edge to
 *   choose the cell and the result is flagged `clipped`; a CVT by default looks the raw value up
 *   (pyribs' rule; only ±Infinity is clipped). The elite always keeps its raw descriptors.
 * - addBatch(elites) follows pyribs: every status and improvement is judged against the archive as
 *   it was before the batch (so two elites of one batch can both be `new` for the same empty cell);
 *   of the accepted elites that land in one cell, the highest fitness is stored, the first in the
 *   batch on ties. `get(cell)` afterwards tells which one. A batch of one is exactly add().
 * - elites() lists filled cells in increasing cell index, so any seeded choice over it is
 *   reproducible; best() breaks fitness ties toward the lower cell. view() is the same list read
 *   in place: getting it and reading its k-th elite cost the same whatever the archive's size
 *   (selection reads a few elites every iteration; elites() copies them all).
 * - `result` is the elitist archive (best elite ever seen per cell) from which coverage and QD score
 *   are reported. For grid and CVT archives it is the archive itself; a soft archive can replace a
 *   better elite and a novelty archive stores points rather than cells, so they keep one beside them.
 *   In an elitist archive coverage and QD score never decrease while every fitness is above qdOffset.
 */
export interface Archive {
  readonly kind: ArchiveKind;
  /** The number of cells (a novelty archive: the number of stored points). */
  readonly totalCells: number;
  readonly qdOffset: number;
  readonly result: Archive;
  /** Cell index of a descriptor vector, with whether any value was clipped to the edge; null when the vector cannot be placed. */
  cellOf(descriptors: number[]): { cell: number; clipped: boolean } | null;
  add(elite: Elite): AddResult;
  /** One result per elite, in order (see the batch rule above). */
  addBatch(elites: readonly Elite[]): AddResult[];
  get(cell: number): Elite | undefined;
  /** A fresh array (and fresh objects) the caller may change. */
  elites(): Array<Elite & { cell: number }>;
  /** What elites() lists, read in place: O(1) to get and to index, valid until the next add. */
  view(): EliteView;
  best(): (Elite & { cell: number }) | undefined;
  stats(): ArchiveStats;
  describe(): ArchiveDescription;
}
