// CellStore: the elites of filled cells in compact slots (typed arrays for the numbers), with their running statistics.
import type { ArchiveStats, Elite } from './archive.js';

/** Above this many cells the cell-to-slot index is a Map, so a huge sparse grid costs memory only for filled cells. */
const DENSE_INDEX_LIMIT = 1 << 20;

/**
 * Filled cells live in slots 0..size-1 in the order they were first filled; a slot never moves
 * or empties. `fitness[slot]` mirrors `elites[slot].fitness` so that comparisons stay in a typed
 * array, and `threshold[slot]` is free for archives that accept against something else (CMA-MAE).
 */
export class CellStore {
  size = 0;
  cellOfSlot: Float64Array;
  fitness: Float64Array;
  threshold: Float64Array;
  readonly elites: Elite[] = [];
  /**
   * A rejection reason per slot, built on first use and dropped when the slot changes: formatting a
   * number costs more than the rest of an add, and most adds to a mature archive are rejections.
   */
  readonly reasons: Array<string | undefined> = [];
  /** Sum of the stored fitnesses, updated by the same operations as before slots existed (see set()). */
  fitnessSum = 0;
  private readonly dense: Int32Array | null;
  private readonly sparse: Map<number, number> | null;
  private ordered: number[] | null = [];
  private bestSlot = -1;
  private bestStale = false;

  constructor(readonly totalCells: number) {
    // The dense index stores slot + 1 so that a fresh (zeroed) array means "no slot".
    this.dense = totalCells <= DENSE_INDEX_LIMIT ? new Int32Array(totalCells) : null;
    this.sparse = this.dense === null ? new Map() : null;
    const capacity = Math.min(totalCells, 64);
    this.cellOfSlot = new Float64Array(capacity);
    this.fitness = new Float64Array(capacity);
    this.threshold = new Float64Array(capacity);
  }

  /** The slot of a cell, or -1 when the cell is empty. */
  slotOf(cell: number): number {
    return this.dense !== null ? this.dense[cell]! - 1 : (this.sparse!.get(cell) ?? -1);
  }

  /** Fills an empty cell; returns its new slot. */
  create(cell: number, elite: Elite, threshold: number): number {
    const slot = this.size++;
    if (slot === this.fitness.length) this.grow();
    if (this.dense !== null) this.dense[cell] = slot + 1;
    else this.sparse!.set(cell, slot);
    this.cellOfSlot[slot] = cell;
    this.fitness[slot] = elite.fitness;
    this.threshold[slot] = threshold;
    this.elites.push(elite);
    this.reasons.push(undefined);
    this.fitnessSum += elite.fitness;
    this.ordered = null;
    this.noteBest(slot);
    return slot;
  }

  /** Replaces the elite of a filled slot (by a better one, or by any one in a soft archive). */
  replace(slot: number, elite: Elite, threshold: number): void {
    const before = this.fitness[slot]!;
    this.fitnessSum += elite.fitness - before;
    this.fitness[slot] = elite.fitness;
    this.threshold[slot] = threshold;
    this.elites[slot] = elite;
    this.reasons[slot] = undefined;
    if (elite.fitness < before && slot === this.bestSlot) this.bestStale = true;
    else this.noteBest(slot);
  }

  /** Slots in increasing cell index (cached until a new cell is filled). */
  orderedSlots(): number[] {
    if (this.ordered === null) {
      const slots = Array.from({ length: this.size }, (_, s) => s);
      const cells = this.cellOfSlot;
      this.ordered = slots.sort((a, b) => cells[a]! - cells[b]!);
    }
    return this.ordered;
  }

  /** The best slot: highest fitness, the lower cell index on ties; -1 when empty. */
  best(): number {
    if (this.bestStale) {
      this.bestStale = false;
      this.bestSlot = -1;
      for (let s = 0; s < this.size; s++) this.noteBest(s);
    }
    return this.bestSlot;
  }

  stats(qdOffset: number): ArchiveStats {
    const filled = this.size;
    const best = this.best();
    return {
      filledCells: filled,
      totalCells: this.totalCells,
      coverage: filled / this.totalCells,
      qdScore: this.fitnessSum - filled * qdOffset,
      qdOffset,
      bestFitness: best < 0 ? null : this.fitness[best]!,
      meanFitness: filled === 0 ? null : this.fitnessSum / filled,
    };
  }

  private noteBest(slot: number): void {
    const b = this.bestSlot;
    if (this.bestStale) return;
    const f = this.fitness[slot]!;
    if (b < 0 || f > this.fitness[b]! || (f === this.fitness[b]! && this.cellOfSlot[slot]! < this.cellOfSlot[b]!)) this.bestSlot = slot;
  }

  private grow(): void {
    const capacity = Math.min(this.totalCells, this.fitness.length * 2);
    const widen = (a: Float64Array) => { const b = new Float64Array(capacity); b.set(a); return b; };
    this.cellOfSlot = widen(this.cellOfSlot);
    this.fitness = widen(this.fitness);
    this.threshold = widen(this.threshold);
  }
}
