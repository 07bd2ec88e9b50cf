// CvtLayout: cells are the Voronoi regions of centroids; a descriptor vector belongs to its nearest centroid.
import type { DescriptorRange } from './archive.js';
import { KdTree } from './kd-tree.js';
import type { Layout } from './layout.js';

/**
 * The nearest centroid is exact (a k-d tree), ties go to the lower centroid index. By default the
 * lookup measures the raw descriptors, as pyribs' CVTArchive does: a value outside its range is
 * placed at the centroid nearest to where it really is, and is not flagged. With `clip` a value
 * outside its range is first clipped to the box (flagged, as in a grid). Either way ±Infinity is
 * clipped to the box edge and flagged, since no distance to it can be measured.
 */
export class CvtLayout implements Layout {
  readonly totalCells: number;
  readonly names: readonly string[];
  readonly embeddingSize: number;
  clipped = false;
  private readonly min: Float64Array;
  private readonly max: Float64Array;
  private readonly tree: KdTree;
  private readonly scratch: Float64Array;

  /** `centroids` is flattened (cells x ranges.length) and kept as is: the caller must not change it. */
  constructor(readonly ranges: readonly DescriptorRange[], readonly centroids: Float64Array, readonly clip = false) {
    checkRanges(ranges);
    const dim = ranges.length;
    if (centroids.length === 0 || centroids.length % dim !== 0) throw new RangeError(`centroids must be a non-empty list of points with ${dim} coordinates`);
    for (let i = 0; i < centroids.length; i++) {
      if (!Number.isFinite(centroids[i])) throw new RangeError(`centroid ${Math.floor(i / dim)} has a non-finite coordinate`);
    }
    this.totalCells = centroids.length / dim;
    this.names = ranges.map((r) => r.name);
    this.embeddingSize = dim;
    this.min = Float64Array.from(ranges, (r) => r.min);
    this.max = Float64Array.from(ranges, (r) => r.max);
    this.tree = new KdTree(centroids, dim);
    this.scratch = new Float64Array(dim);
  }

  locate(descriptors: readonly number[]): number {
    const q = this.scratch;
    let clipped = false;
    for (let i = 0; i < q.length; i++) {
      const v = descriptors[i]!;
      const min = this.min[i]!;
      const max = this.max[i]!;
      if (v >= min && v <= max) q[i] = v;
      else if (this.clip || !Number.isFinite(v)) { q[i] = v < min ? min : max; clipped = true; } else q[i] = v;
    }
    this.clipped = clipped;
    return this.tree.nearest(q);
  }

  problem(): string {
    return 'descriptors cannot be placed';
  }

  embed(descriptors: readonly number[], out: Float64Array, offset: number): void {
    for (let i = 0; i < this.scratch.length; i++) {
      const v = descriptors[i]!;
      const min = this.min[i]!;
      const max = this.max[i]!;
      out[offset + i] = ((v < min ? min : v > max ? max : v) - min) / (max - min);
    }
  }

  /** The centroid of a cell, a fresh array. */
  centroid(cell: number): number[] {
    const dim = this.scratch.length;
    return Array.from(this.centroids.subarray(cell * dim, (cell + 1) * dim));
  }
}

/** Throws a RangeError naming the first bad range. */
export function checkRanges(ranges: readonly DescriptorRange[]): void {
  if (ranges.length === 0) throw new RangeError('a CVT archive needs at least one dimension');
  for (const r of ranges) {
    if (!(r.max > r.min)) throw new RangeError(`descriptor ${r.name}: max must be greater than min`);
    if (!Number.isFinite(r.min) || !Number.isFinite(r.max)) throw new RangeError(`descriptor ${r.name}: min and max must be finite`);
  }
}
