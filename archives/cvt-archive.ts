// CvtArchive: a MAP-Elites archive whose cells are the Voronoi regions of centroids (seeded k-means or supplied).
import type { Rng } from '../common/rng.js';
import type { ArchiveDescription, DescriptorRange } from './archive.js';
import { CellArchive } from './cell-archive.js';
import { cvtCentroids, type CentroidOptions } from './cvt-centroids.js';
import { checkRanges, CvtLayout } from './cvt-layout.js';

interface CvtCommon {
  /** The descriptor box: k-means samples it; out-of-range values are clipped to it only with `clip`. */
  ranges: DescriptorRange[];
  /**
   * Clip out-of-range descriptors to the box before finding the nearest centroid (false: measure
   * the raw descriptors, pyribs' rule). ±Infinity is clipped either way.
   */
  clip?: boolean;
  qdOffset?: number;
  /** As in GridArchive: a challenger must beat the incumbent by more than this. */
  epsilon?: number;
}

/**
 * Either the centroids themselves (for instance read back from a run, so a resume never recomputes
 * them), or how many cells to make with seeded k-means (cvt-centroids.ts) and the Rng to draw from.
 */
export type CvtArchiveOptions =
  | (CvtCommon & { centroids: number[][] })
  | (CvtCommon & { cells: number; rng: Rng } & CentroidOptions);

/**
 * Cell i is the region nearer to centroid i than to any other (ties to the lower index); cells are
 * numbered by centroid, distances measured in the raw descriptor coordinates. Out-of-range values
 * are looked up where they are (pyribs' rule), or clipped to the box first and flagged with `clip`.
 * Same rules as GridArchive otherwise: NaN rejected, ties keep the incumbent unless `epsilon` says more.
 */
export class CvtArchive extends CellArchive {
  readonly kind = 'cvt' as const;
  readonly ranges: readonly DescriptorRange[];
  readonly clip: boolean;
  private readonly cvt: CvtLayout;

  constructor(options: CvtArchiveOptions) {
    checkRanges(options.ranges);
    const dim = options.ranges.length;
    let flat: Float64Array;
    if ('centroids' in options) {
      const bad = options.centroids.findIndex((c) => !Array.isArray(c) || c.length !== dim);
      if (bad >= 0) throw new RangeError(`centroid ${bad} must have ${dim} coordinates`);
      flat = Float64Array.from(options.centroids.flat());
    } else {
      flat = cvtCentroids(options.ranges, options.cells, options.rng, options);
    }
    const cvt = new CvtLayout(options.ranges, flat, options.clip ?? false);
    super(cvt, options.qdOffset ?? 0, options.epsilon ?? 0);
    this.cvt = cvt;
    this.ranges = options.ranges;
    this.clip = options.clip ?? false;
  }

  /** The centroids, one array per cell in cell order: what the engine stores in the run. */
  centroids(): number[][] {
    return Array.from({ length: this.totalCells }, (_, c) => this.cvt.centroid(c));
  }

  /** The centroid of one cell. */
  centroid(cell: number): number[] {
    if (!(Number.isInteger(cell) && cell >= 0 && cell < this.totalCells)) throw new RangeError(`no cell ${cell} (there are ${this.totalCells})`);
    return this.cvt.centroid(cell);
  }

  describe(): ArchiveDescription {
    return { kind: 'cvt', qdOffset: this.qdOffset, epsilon: this.epsilon, clip: this.clip, ranges: this.ranges.map((r) => ({ ...r })), centroids: this.centroids() };
  }
}
