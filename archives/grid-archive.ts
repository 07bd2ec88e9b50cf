// GridArchive: an N-dimensional grid of cells over declared descriptor ranges, one elite per cell.
import type { DescriptorSpec } from '../common/types.js';
import type { AddResult, Archive, ArchiveStats, Elite } from './archive.js';

export interface GridArchiveOptions {
  dimensions: DescriptorSpec[];
  /** Subtracted from every fitness in the QD score so that negative fitness still counts (pyribs' offset). */
  qdOffset?: number;
}

/**
 * Cells are numbered row-major over the dimensions (the last dimension varies fastest).
 * A value outside its declared range goes to the edge cell and the add is flagged `clipped`;
 * a NaN descriptor or fitness is rejected with a reason. Ties keep the incumbent.
 */
export class GridArchive implements Archive {
  readonly totalCells: number;
  readonly dimensions: readonly DescriptorSpec[];
  readonly qdOffset: number;
  private readonly cells = new Map<number, Elite>();
  private fitnessSum = 0;

  constructor(options: GridArchiveOptions) {
    if (options.dimensions.length === 0) throw new RangeError('a grid archive needs at least one dimension');
    for (const d of options.dimensions) {
      if (!(d.max > d.min)) throw new RangeError(`descriptor ${d.name}: max must be greater than min`);
      if (!Number.isInteger(d.bins) || d.bins < 1) throw new RangeError(`descriptor ${d.name}: bins must be a positive integer`);
    }
    this.dimensions = options.dimensions;
    this.qdOffset = options.qdOffset ?? 0;
    this.totalCells = options.dimensions.reduce((n, d) => n * d.bins, 1);
  }

  cellOf(descriptors: number[]): { cell: number; clipped: boolean } | null {
    if (descriptors.length !== this.dimensions.length) return null;
    let cell = 0;
    let clipped = false;
    for (let i = 0; i < this.dimensions.length; i++) {
      const d = this.dimensions[i]!;
      const v = descriptors[i]!;
      if (Number.isNaN(v)) return null;
      let bin = Math.floor(((v - d.min) / (d.max - d.min)) * d.bins);
      if (bin < 0 || v < d.min) { bin = 0; clipped = true; }
      // A value exactly at max belongs to the last bin and is not clipped.
      if (bin >= d.bins) { if (v > d.max) clipped = true; bin = d.bins - 1; }
      cell = cell * d.bins + bin;
    }
    return { cell, clipped };
  }

  /** Per-dimension bin indices of a cell, the inverse of the row-major numbering. */
  binsOf(cell: number): number[] {
    const out = new Array<number>(this.dimensions.length);
    for (let i = this.dimensions.length - 1; i >= 0; i--) {
      const bins = this.dimensions[i]!.bins;
      out[i] = cell % bins;
      cell = Math.floor(cell / bins);
    }
    return out;
  }

  add(elite: Elite): AddResult {
    if (!Number.isFinite(elite.fitness)) {
      return { status: 'rejected', cell: null, reason: `fitness is ${elite.fitness}`, clipped: false };
    }
    if (elite.descriptors.length !== this.dimensions.length) {
      return { status: 'rejected', cell: null, reason: `expected ${this.dimensions.length} descriptors, got ${elite.descriptors.length}`, clipped: false };
    }
    const nan = elite.descriptors.findIndex((v) => Number.isNaN(v));
    if (nan >= 0) {
      return { status: 'rejected', cell: null, reason: `descriptor ${this.dimensions[nan]!.name} is NaN`, clipped: false };
    }
    const { cell, clipped } = this.cellOf(elite.descriptors)!;
    const incumbent = this.cells.get(cell);
    if (incumbent === undefined) {
      this.cells.set(cell, { ...elite });
      this.fitnessSum += elite.fitness;
      return { status: 'new', cell, improvement: elite.fitness - this.qdOffset, clipped };
    }
    if (elite.fitness > incumbent.fitness) {
      this.cells.set(cell, { ...elite });
      this.fitnessSum += elite.fitness - incumbent.fitness;
      return { status: 'improved', cell, improvement: elite.fitness - incumbent.fitness, clipped, replaced: incumbent.variantId };
    }
    const reason = elite.variantId === incumbent.variantId ? 'already the elite of this cell' : `not better than the elite (${incumbent.fitness})`;
    return { status: 'rejected', cell, reason, clipped };
  }

  get(cell: number): Elite | undefined {
    return this.cells.get(cell);
  }

  elites(): Array<Elite & { cell: number }> {
    return [...this.cells.entries()].sort((a, b) => a[0] - b[0]).map(([cell, e]) => ({ ...e, cell }));
  }

  best(): (Elite & { cell: number }) | undefined {
    let best: (Elite & { cell: number }) | undefined;
    for (const [cell, e] of this.cells) {
      // Ties go to the lower cell index so the answer does not depend on insertion order.
      if (best === undefined || e.fitness > best.fitness || (e.fitness === best.fitness && cell < best.cell)) best = { ...e, cell };
    }
    return best;
  }

  stats(): ArchiveStats {
    const filled = this.cells.size;
    return {
      filledCells: filled,
      totalCells: this.totalCells,
      coverage: filled / this.totalCells,
      qdScore: this.fitnessSum - filled * this.qdOffset,
      qdOffset: this.qdOffset,
      bestFitness: this.best()?.fitness ?? null,
      meanFitness: filled === 0 ? null : this.fitnessSum / filled,
    };
  }
}
