// CellStore: the elites of filled cells in compact slots (typed arrays for the numbers), with their running statistics.
import type { ArchiveStats, Elite, EliteView } from './archive.js';

/** An elite with the cell it fills, as elites() and view() list them. */
export type CellElite = Elite & { cell: number };

/** An elite with its cell, as a literal: objects made by spreading (`{ ...elite, cell }`) get slow properties in V8, many times slower to read in a loop. */
export function withCell(elite: Elite, cell: number): CellElite {
  return { variantId: elite.variantId, fitness: elite.fitness, descriptors: elite.descriptors, iteration: elite.iteration, cell };
}

/** The filled cells in increasing cell order, read in place: `order[k]` is the slot of the k-th (k < size). Valid until the next change; CellArchive.cellOrder() sorts it first. */
export interface CellOrder {
  readonly size: number;
  readonly order: Int32Array;
  readonly cellOfSlot: Float64Array;
  readonly fitness: Float64Array;
}

/** Above this many cells the cell-to-slot index is a Map, so a huge sparse grid costs memory only for filled cells. */
const DENSE_INDEX_LIMIT = 1 << 20;

/**
 * Filled cells live in slots 0..size-1 in the order they were first filled; a slot never moves
 * or empties. `fitness[slot]` mirrors `elites[slot].fitness` so that comparisons stay in a typed
 * array, and `threshold[slot]` is free for archives that accept against something else (CMA-MAE).
 */
export class CellStore implements EliteView, CellOrder {
  size = 0;
  cellOfSlot: Float64Array;
  fitness: Float64Array;
  threshold: Float64Array;
  readonly elites: Elite[] = [];
  /**
   * The slots in increasing cell order, brought up to date by sort() when read (a new cell costs a
   * binary search and a memmove of 4-byte slots: a few microseconds at 100,000 cells), so that
   * selection can read the k-th elite in cell order every iteration without sorting or copying the archive.
   */
  order: Int32Array;
  /** Slots filled since `order` was last brought up to date: merged in when it is read (a resume fills thousands before). */
  private readonly unordered: number[] = [];
  /**
   * A rejection reason per slot, built on first use and dropped when the slot changes: formatting a
   * number costs more than the rest of an add, and most adds to a mature archive are rejections.
   */
  readonly reasons: Array<string | undefined> = [];
  /** Sum of the stored fitnesses, updated by the same operations as before slots existed (see set()). */
  fitnessSum = 0;
  /** Cells filled or replaced so far: tells a reader whether the store changed since it last looked. */
  changes = 0;
  private readonly dense: Int32Array | null;
  private readonly sparse: Map<number, number> | null;
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
    this.order = new Int32Array(capacity);
  }

  /** EliteView: the number of filled cells. */
  get length(): number {
    return this.size;
  }

  /** EliteView: the elite of the k-th filled cell in increasing cell order, as a fresh object. */
  at(k: number): CellElite | undefined {
    if (!(k >= 0 && k < this.size)) return undefined;
    this.sort();
    const slot = this.order[k]!;
    return withCell(this.elites[slot]!, this.cellOfSlot[slot]!);
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
    this.changes++;
    this.unordered.push(slot);
    this.noteBest(slot);
    return slot;
  }

  /** Replaces the elite of a filled slot (by a better one, or by any one in a soft archive). */
  replace(slot: number, elite: Elite, threshold: number): void {
    const before = this.fitness[slot]!;
    this.fitnessSum += elite.fitness - before;
    this.changes++;
    this.fitness[slot] = elite.fitness;
    this.threshold[slot] = threshold;
    this.elites[slot] = elite;
    this.reasons[slot] = undefined;
    if (elite.fitness < before && slot === this.bestSlot) this.bestStale = true;
    else this.noteBest(slot);
  }

  /** Brings `order` up to date: a few new slots each by binary search and memmove, many by one sort and merge. */
  sort(): void {
    const fresh = this.unordered;
    if (fresh.length === 0) return;
    const { order, cellOfSlot } = this;
    let count = this.size - fresh.length;
    if (fresh.length <= 16) {
      for (const slot of fresh) {
        const at = this.position(cellOfSlot[slot]!, count);
        order.copyWithin(at + 1, at, count++);
        order[at] = slot;
      }
    } else {
      fresh.sort((a, b) => cellOfSlot[a]! - cellOfSlot[b]!);
      // Merge from the back, so that nothing not yet read is overwritten.
      let i = count - 1;
      let j = fresh.length - 1;
      for (let w = this.size - 1; j >= 0; w--) {
        order[w] = i >= 0 && cellOfSlot[order[i]!]! > cellOfSlot[fresh[j]!]! ? order[i--]! : fresh[j--]!;
      }
    }
    fresh.length = 0;
  }

  /** Where `cell` goes among the first `count` entries of `order`: the number of them with a lower cell. */
  private position(cell: number, count: number): number {
    const { order, cellOfSlot } = this;
    let lo = 0;
    let hi = count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cellOfSlot[order[mid]!]! < cell) lo = mid + 1;
      else hi = mid;
    }
    return lo;
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
    const order = new Int32Array(capacity);
    order.set(this.order);
    this.order = order;
  }
}
