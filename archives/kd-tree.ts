// KdTree: exact nearest-neighbour lookup over a fixed set of points (CVT centroids), ties to the lower index.

/** Ranges of at most this many points are scanned linearly instead of split further. */
const LEAF_SIZE = 8;
/**
 * A subtree is skipped only when its box is farther than the best distance times this. The box
 * distance is updated incrementally (subtract the old offset's square, add the new one), and rounding
 * may overstate it by a few ulps of itself; without this margin that could skip a point at exactly
 * the best distance with a lower index, or one a rounding error nearer.
 */
const SLACK = 1 + 1e-12;

/**
 * A static k-d tree stored implicitly: `order` is a permutation of the point indexes in which the
 * node of a range [lo, hi) is its middle element, the left subtree [lo, mid) and the right one
 * (mid, hi); every point of the left subtree has coordinate `split[mid]` <= the node's and every
 * point of the right subtree >= it. `lowMax[mid]` and `highMin[mid]` are the tightest such bounds.
 *
 * The search keeps, per dimension, how far the query is from the current subtree's box, and skips
 * a subtree whose box is farther than the best distance so far (Arya & Mount's incremental
 * distance). Pruning is exact: a subtree at the best distance (within SLACK) is still searched, so
 * the answer is the true nearest point and ties go to the lower index.
 */
export class KdTree {
  readonly size: number;
  private readonly order: Int32Array;
  /** The points in tree order, so that leaves are scanned in contiguous memory. */
  private readonly sorted: Float64Array;
  private readonly split: Uint8Array;
  private readonly lowMax: Float64Array;
  private readonly highMin: Float64Array;
  // Search state kept in fields so that a query allocates nothing.
  private readonly offset: Float64Array;
  private readonly query: Float64Array;
  private bestIndex = -1;
  private bestDistance = Infinity;

  /** `points` holds `size` points of `dim` coordinates each, flattened; it is copied. */
  constructor(points: Float64Array, private readonly dim: number) {
    if (!Number.isInteger(dim) || dim < 1 || dim > 255) throw new RangeError('a k-d tree needs 1 to 255 dimensions');
    if (points.length % dim !== 0) throw new RangeError(`${points.length} coordinates do not make points of ${dim}`);
    this.size = points.length / dim;
    this.order = new Int32Array(this.size);
    for (let i = 0; i < this.size; i++) this.order[i] = i;
    this.split = new Uint8Array(this.size);
    this.lowMax = new Float64Array(this.size);
    this.highMin = new Float64Array(this.size);
    this.build(points, 0, this.size);
    this.sorted = new Float64Array(points.length);
    for (let i = 0; i < this.size; i++) this.sorted.set(points.subarray(this.order[i]! * dim, (this.order[i]! + 1) * dim), i * dim);
    this.offset = new Float64Array(dim);
    this.query = new Float64Array(dim);
  }

  /** Index of the point nearest to `query` (squared Euclidean distance), the lowest index among equals; -1 when empty. */
  nearest(query: ArrayLike<number>): number {
    // A private typed copy keeps every access in the search monomorphic.
    for (let k = 0; k < this.dim; k++) this.query[k] = query[k]!;
    this.bestIndex = -1;
    this.bestDistance = Infinity;
    // Distance 0 to the root's box is a valid lower bound wherever the query is.
    this.offset.fill(0);
    if (this.size > 0) this.search(0, this.size, 0);
    return this.bestIndex;
  }

  /** Squared distance from the last query to its nearest point. */
  get lastDistance(): number {
    return this.bestDistance;
  }

  private build(points: Float64Array, lo: number, hi: number): void {
    if (hi - lo <= LEAF_SIZE) return;
    const { dim, order } = this;
    const d = this.widestDimension(points, lo, hi);
    const mid = (lo + hi) >> 1;
    this.select(points, lo, hi - 1, mid, d);
    this.split[mid] = d;
    let lowMax = -Infinity;
    for (let i = lo; i < mid; i++) lowMax = Math.max(lowMax, points[order[i]! * dim + d]!);
    let highMin = Infinity;
    for (let i = mid + 1; i < hi; i++) highMin = Math.min(highMin, points[order[i]! * dim + d]!);
    this.lowMax[mid] = lowMax;
    this.highMin[mid] = highMin;
    this.build(points, lo, mid);
    this.build(points, mid + 1, hi);
  }

  private widestDimension(points: Float64Array, lo: number, hi: number): number {
    const { dim, order } = this;
    let best = 0;
    let widest = -1;
    for (let d = 0; d < dim; d++) {
      let min = Infinity;
      let max = -Infinity;
      for (let i = lo; i < hi; i++) {
        const v = points[order[i]! * dim + d]!;
        if (v < min) min = v;
        if (v > max) max = v;
      }
      if (max - min > widest) { widest = max - min; best = d; }
    }
    return best;
  }

  /** Quickselect (Hoare partition, middle pivot): afterwards order[k] holds the k-th smallest coordinate d of [left, right]. */
  private select(points: Float64Array, left: number, right: number, k: number, d: number): void {
    const { dim, order } = this;
    while (right > left) {
      const pivot = points[order[(left + right) >> 1]! * dim + d]!;
      let i = left;
      let j = right;
      while (i <= j) {
        while (points[order[i]! * dim + d]! < pivot) i++;
        while (points[order[j]! * dim + d]! > pivot) j--;
        if (i <= j) {
          const t = order[i]!; order[i] = order[j]!; order[j] = t;
          i++; j--;
        }
      }
      if (k <= j) right = j;
      else if (k >= i) left = i;
      else return;
    }
  }

  /** Searches the subtree [lo, hi), whose box is at squared distance >= `box` from the query. */
  private search(lo: number, hi: number, box: number): void {
    if (hi - lo <= LEAF_SIZE) {
      this.scan(lo, hi);
      return;
    }
    const mid = (lo + hi) >> 1;
    const d = this.split[mid]!;
    const q = this.query[d]!;
    const offset = this.offset;
    const saved = offset[d]!;
    const goLeft = q <= this.sorted[mid * this.dim + d]!;
    if (goLeft) this.search(lo, mid, box);
    else this.search(mid + 1, hi, box);
    this.scan(mid, mid + 1);
    // The far side's box differs from this one only along d.
    const gap = goLeft ? q - this.highMin[mid]! : q - this.lowMax[mid]!;
    const far = box - saved * saved + gap * gap;
    if (far <= this.bestDistance * SLACK) {
      offset[d] = gap;
      if (goLeft) this.search(mid + 1, hi, far);
      else this.search(lo, mid, far);
      offset[d] = saved;
    }
  }

  /** Considers the points at tree positions [lo, hi). */
  private scan(lo: number, hi: number): void {
    const { sorted, dim, query, order } = this;
    let best = this.bestDistance;
    let bestIndex = this.bestIndex;
    for (let i = lo, base = lo * dim; i < hi; i++, base += dim) {
      let s = 0;
      let k = 0;
      for (; k < dim; k++) {
        const t = query[k]! - sorted[base + k]!;
        s += t * t;
        if (s > best) break;
      }
      if (k < dim) continue;
      const p = order[i]!;
      if (s < best || p < bestIndex) { best = s; bestIndex = p; }
    }
    this.bestDistance = best;
    this.bestIndex = bestIndex;
  }
}
