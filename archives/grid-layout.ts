// GridLayout: row-major cells over numeric dimensions (equal bins) and categorical ones (one bin per value).
import type { CategoricalDimension, GridDimension } from './archive.js';
import type { Layout } from './layout.js';

export function isCategorical(d: GridDimension): d is CategoricalDimension {
  return 'values' in d;
}

/** Bins of a dimension: `bins` for a numeric one, the number of values for a categorical one. */
export function binCount(d: GridDimension): number {
  return isCategorical(d) ? d.values.length : d.bins;
}

/**
 * Cells are numbered row-major over the dimensions (the last dimension varies fastest).
 * Numeric: bin = floor((v - min) / (max - min) * bins); a value exactly at max is in the last bin
 * and not clipped; outside [min, max] it goes to the edge bin, flagged clipped.
 * Categorical: the descriptor is the index of the value in `values` (0, 1, ...), because descriptor
 * vectors are numbers end to end and a numeric value list (say [2, 4, 8]) would otherwise be
 * ambiguous; encodeDescriptors() turns values into indexes for evaluators that report the value.
 * Anything but an integer index in range is rejected, never clipped: there is no nearest category.
 */
export class GridLayout implements Layout {
  readonly totalCells: number;
  readonly names: readonly string[];
  readonly embeddingSize: number;
  clipped = false;
  private readonly min: Float64Array;
  private readonly max: Float64Array;
  private readonly bins: Int32Array;
  private readonly categorical: Uint8Array;

  constructor(readonly dimensions: readonly GridDimension[]) {
    if (dimensions.length === 0) throw new RangeError('a grid archive needs at least one dimension');
    const n = dimensions.length;
    this.min = new Float64Array(n);
    this.max = new Float64Array(n);
    this.bins = new Int32Array(n);
    this.categorical = new Uint8Array(n);
    let cells = 1;
    let embedding = 0;
    dimensions.forEach((d, i) => {
      checkDimension(d);
      if (isCategorical(d)) {
        this.categorical[i] = 1;
        embedding += d.values.length;
      } else {
        this.min[i] = d.min;
        this.max[i] = d.max;
        embedding += 1;
      }
      this.bins[i] = binCount(d);
      cells *= binCount(d);
    });
    if (cells > Number.MAX_SAFE_INTEGER) throw new RangeError(`a grid of ${cells} cells cannot be numbered exactly`);
    this.totalCells = cells;
    this.names = dimensions.map((d) => d.name);
    this.embeddingSize = embedding;
  }

  locate(descriptors: readonly number[]): number {
    let cell = 0;
    let clipped = false;
    for (let i = 0; i < this.bins.length; i++) {
      const v = descriptors[i]!;
      const bins = this.bins[i]!;
      let bin: number;
      if (this.categorical[i] === 1) {
        if (!(Number.isInteger(v) && v >= 0 && v < bins)) { this.clipped = false; return -1; }
        bin = v;
      } else {
        const min = this.min[i]!;
        const max = this.max[i]!;
        // The same arithmetic as the first GridArchive, so that values on bin edges keep their cells.
        bin = Math.floor(((v - min) / (max - min)) * bins);
        if (bin < 0 || v < min) { bin = 0; clipped = true; }
        if (bin >= bins) { if (v > max) clipped = true; bin = bins - 1; }
      }
      cell = cell * bins + bin;
    }
    this.clipped = clipped;
    return cell;
  }

  problem(descriptors: readonly number[]): string {
    for (let i = 0; i < this.bins.length; i++) {
      const v = descriptors[i]!;
      const n = this.bins[i]!;
      if (this.categorical[i] === 1 && !(Number.isInteger(v) && v >= 0 && v < n)) {
        return `descriptor ${this.names[i]} is ${v}, not the index of one of its ${n} values (0 to ${n - 1})`;
      }
    }
    return 'descriptors cannot be placed';
  }

  embed(descriptors: readonly number[], out: Float64Array, offset: number): void {
    let o = offset;
    for (let i = 0; i < this.bins.length; i++) {
      const v = descriptors[i]!;
      if (this.categorical[i] === 1) {
        // One-hot scaled by 1/sqrt(2): two different values are at distance 1, like opposite range ends.
        for (let k = 0; k < this.bins[i]!; k++) out[o++] = k === v ? Math.SQRT1_2 : 0;
      } else {
        const min = this.min[i]!;
        const max = this.max[i]!;
        out[o++] = ((v < min ? min : v > max ? max : v) - min) / (max - min);
      }
    }
  }

  /** Per-dimension bin indices of a cell, the inverse of the row-major numbering. */
  binsOf(cell: number): number[] {
    const out = new Array<number>(this.bins.length);
    for (let i = this.bins.length - 1; i >= 0; i--) {
      const bins = this.bins[i]!;
      out[i] = cell % bins;
      cell = Math.floor(cell / bins);
    }
    return out;
  }
}

function checkDimension(d: GridDimension): void {
  if (isCategorical(d)) {
    if (!Array.isArray(d.values) || d.values.length === 0) throw new RangeError(`descriptor ${d.name}: values must be a non-empty list`);
    const seen = new Set<string | number>();
    for (const v of d.values) {
      if (!(typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v)))) {
        throw new RangeError(`descriptor ${d.name}: values must be strings or finite numbers (got ${String(v)})`);
      }
      if (seen.has(v)) throw new RangeError(`descriptor ${d.name}: value ${JSON.stringify(v)} is listed twice`);
      seen.add(v);
    }
    return;
  }
  if (!(d.max > d.min)) throw new RangeError(`descriptor ${d.name}: max must be greater than min`);
  if (!Number.isFinite(d.min) || !Number.isFinite(d.max)) throw new RangeError(`descriptor ${d.name}: min and max must be finite`);
  if (!Number.isInteger(d.bins) || d.bins < 1) throw new RangeError(`descriptor ${d.name}: bins must be a positive integer`);
}

/**
 * Descriptor vector for the archive from values as an evaluator may report them: a categorical
 * dimension takes its value (matched with ===, so 4 and "4" differ) and becomes the value's index;
 * a numeric dimension takes a number. An unknown value or a wrong type gives the reason instead.
 */
export function encodeDescriptors(dimensions: readonly GridDimension[], raw: ReadonlyArray<number | string>): { descriptors: number[] } | { reason: string } {
  if (raw.length !== dimensions.length) return { reason: `expected ${dimensions.length} descriptors, got ${raw.length}` };
  const descriptors = new Array<number>(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const d = dimensions[i]!;
    const v = raw[i]!;
    if (isCategorical(d)) {
      const index = d.values.indexOf(v);
      if (index < 0) return { reason: `descriptor ${d.name}: ${JSON.stringify(v)} is not one of its values (${d.values.map((x) => JSON.stringify(x)).join(', ')})` };
      descriptors[i] = index;
    } else {
      if (typeof v !== 'number') return { reason: `descriptor ${d.name}: expected a number, got ${JSON.stringify(v)}` };
      descriptors[i] = v;
    }
  }
  return { descriptors };
}
