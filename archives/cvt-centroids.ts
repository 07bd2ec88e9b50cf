// CVT centroids: Lloyd's k-means on points drawn uniformly in the descriptor box, from an Rng the caller passes in.
import type { Rng } from '../common/rng.js';
import type { DescriptorRange } from './archive.js';
import { KdTree } from './kd-tree.js';

export interface CentroidOptions {
  /** Points drawn uniformly in the box (default max(10 * cells, 1000), pyribs draws 100,000). */
  samples?: number;
  /** Lloyd iterations, always exactly this many (default 20): no tolerance test, so the result is a fixed function of the rng. */
  iterations?: number;
}

/**
 * `cells` centroids, flattened (cells x ranges.length). The first `cells` samples are the starting
 * centroids (the samples are i.i.d. uniform, so this is a random start); each iteration assigns every
 * sample to its nearest centroid (ties to the lower index) and moves each centroid to the mean of
 * its samples; a centroid that gets no sample stays where it is. Samples are drawn one point at a
 * time, coordinates in order, each as min + rng.next() * (max - min).
 */
export function cvtCentroids(ranges: readonly DescriptorRange[], cells: number, rng: Rng, options: CentroidOptions = {}): Float64Array {
  const samples = options.samples ?? Math.max(10 * cells, 1000);
  const iterations = options.iterations ?? 20;
  if (!Number.isInteger(cells) || cells < 1) throw new RangeError(`cells must be a positive integer (got ${cells})`);
  if (!Number.isInteger(samples) || samples < cells) throw new RangeError(`samples must be an integer >= cells (${cells}), got ${samples}`);
  if (!Number.isInteger(iterations) || iterations < 0) throw new RangeError(`iterations must be a non-negative integer (got ${iterations})`);
  const dim = ranges.length;
  const points = new Float64Array(samples * dim);
  for (let i = 0; i < samples; i++) {
    for (let d = 0; d < dim; d++) {
      const r = ranges[d]!;
      points[i * dim + d] = r.min + rng.next() * (r.max - r.min);
    }
  }
  return lloyd(points, dim, points.slice(0, cells * dim), iterations);
}

/** Lloyd's algorithm from the given starting centroids (not modified); returns the moved centroids. */
export function lloyd(points: Float64Array, dim: number, start: Float64Array, iterations: number): Float64Array {
  const count = start.length / dim;
  const n = points.length / dim;
  let centroids = start.slice();
  const sums = new Float64Array(count * dim);
  const sizes = new Int32Array(count);
  const query = new Float64Array(dim);
  for (let it = 0; it < iterations; it++) {
    const tree = new KdTree(centroids, dim);
    sums.fill(0);
    sizes.fill(0);
    for (let i = 0; i < n; i++) {
      for (let d = 0; d < dim; d++) query[d] = points[i * dim + d]!;
      const c = tree.nearest(query);
      sizes[c]!++;
      for (let d = 0; d < dim; d++) sums[c * dim + d]! += query[d]!;
    }
    const next = centroids.slice();
    for (let c = 0; c < count; c++) {
      if (sizes[c] === 0) continue;
      for (let d = 0; d < dim; d++) next[c * dim + d] = sums[c * dim + d]! / sizes[c]!;
    }
    centroids = next;
  }
  return centroids;
}
