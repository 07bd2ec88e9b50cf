// CellArchive: the elitist MAP-Elites rule over any Layout; GridArchive and CvtArchive are this with their layout.
import type { AddResult, Archive, ArchiveDescription, ArchiveKind, ArchiveStats, Elite, EliteView } from './archive.js';
import { CellStore, type CellElite, type CellOrder } from './cell-store.js';
import { rejectionOf, type Layout } from './layout.js';

/** Where an elite goes: its cell and whether it was clipped, or why it cannot go anywhere. */
export type Placement = { cell: number; clipped: boolean } | { reason: string };

/** Checks and locates an elite on a layout (the reasons come from rejectionOf and Layout.problem). */
export function place(layout: Layout, elite: Elite): Placement {
  const reason = rejectionOf(layout, elite);
  if (reason !== null) return { reason };
  const cell = layout.locate(elite.descriptors);
  if (cell < 0) return { reason: layout.problem(elite.descriptors) };
  return { cell, clipped: layout.clipped };
}

/** The copy an archive stores: its own descriptors array, so that later changes by the caller cannot move it. */
export function stored(elite: Elite): Elite {
  return { variantId: elite.variantId, fitness: elite.fitness, descriptors: elite.descriptors.slice(), iteration: elite.iteration };
}

/** A rejection; `cell: null` when the elite could not be placed at all. */
export function rejected(reason: string, cell: number | null = null, clipped = false): AddResult {
  return { status: 'rejected', cell, reason, clipped };
}

/**
 * One elite per cell of a layout. The rule here is elitist: a challenger replaces the incumbent only
 * when its fitness is higher by more than `epsilon` (default 0: a tie keeps the incumbent), so
 * coverage and QD score never decrease. SoftArchive overrides add() and addBatch() with CMA-MAE's.
 */
export abstract class CellArchive implements Archive {
  abstract readonly kind: ArchiveKind;
  readonly totalCells: number;
  readonly qdOffset: number;
  readonly epsilon: number;
  protected readonly store: CellStore;

  constructor(readonly layout: Layout, qdOffset: number, epsilon: number) {
    if (!Number.isFinite(qdOffset)) throw new RangeError(`qdOffset must be a finite number (got ${qdOffset})`);
    if (!(epsilon >= 0 && Number.isFinite(epsilon))) throw new RangeError(`epsilon must be a finite number >= 0 (got ${epsilon})`);
    this.totalCells = layout.totalCells;
    this.qdOffset = qdOffset;
    this.epsilon = epsilon;
    this.store = new CellStore(layout.totalCells);
  }

  get result(): Archive {
    return this;
  }

  abstract describe(): ArchiveDescription;

  cellOf(descriptors: number[]): { cell: number; clipped: boolean } | null {
    const placement = place(this.layout, { variantId: '', fitness: 0, descriptors, iteration: 0 });
    return 'reason' in placement ? null : placement;
  }

  add(elite: Elite): AddResult {
    const cell = this.locate(elite);
    if (cell < 0) return rejected(this.why);
    const clipped = this.layout.clipped;
    const store = this.store;
    const slot = store.slotOf(cell);
    if (slot < 0) {
      store.create(cell, stored(elite), elite.fitness);
      return { status: 'new', cell, improvement: elite.fitness - this.qdOffset, clipped };
    }
    const incumbent = store.fitness[slot]!;
    // fitness - incumbent > epsilon: with epsilon 0 this is fitness > incumbent for finite values.
    if (elite.fitness - incumbent > this.epsilon) {
      const replaced = store.elites[slot]!.variantId;
      store.replace(slot, stored(elite), elite.fitness);
      return { status: 'improved', cell, improvement: elite.fitness - incumbent, clipped, replaced };
    }
    return rejected(this.notBetter(slot, elite), cell, clipped);
  }

  addBatch(elites: readonly Elite[]): AddResult[] {
    if (elites.length === 1) return [this.add(elites[0]!)];
    const store = this.store;
    const out = new Array<AddResult>(elites.length);
    // cell -> index in the batch of the best accepted elite so far (the first on ties).
    const winners = new Map<number, number>();
    for (let i = 0; i < elites.length; i++) {
      const elite = elites[i]!;
      const cell = this.locate(elite);
      if (cell < 0) { out[i] = rejected(this.why); continue; }
      const clipped = this.layout.clipped;
      // The store is not touched until every elite is judged, so this is the archive before the batch.
      const slot = store.slotOf(cell);
      if (slot < 0) {
        out[i] = { status: 'new', cell, improvement: elite.fitness - this.qdOffset, clipped };
      } else {
        const incumbent = store.fitness[slot]!;
        if (!(elite.fitness - incumbent > this.epsilon)) { out[i] = rejected(this.notBetter(slot, elite), cell, clipped); continue; }
        out[i] = { status: 'improved', cell, improvement: elite.fitness - incumbent, clipped, replaced: store.elites[slot]!.variantId };
      }
      const w = winners.get(cell);
      if (w === undefined || elite.fitness > elites[w]!.fitness) winners.set(cell, i);
    }
    for (const [cell, i] of winners) {
      const elite = elites[i]!;
      const slot = store.slotOf(cell);
      if (slot < 0) store.create(cell, stored(elite), elite.fitness);
      else store.replace(slot, stored(elite), elite.fitness);
    }
    return out;
  }

  get(cell: number): Elite | undefined {
    if (!(Number.isInteger(cell) && cell >= 0 && cell < this.totalCells)) return undefined;
    const slot = this.store.slotOf(cell);
    return slot < 0 ? undefined : this.store.elites[slot];
  }

  elites(): CellElite[] {
    const store = this.store;
    const out = new Array<CellElite>(store.size);
    for (let k = 0; k < store.size; k++) out[k] = store.at(k)!;
    return out;
  }

  view(): EliteView {
    return this.store;
  }

  /** Cells filled or replaced since the archive was made. */
  get changes(): number {
    return this.store.changes;
  }

  /** The filled cells' slots in cell order with their fitness, read in place (for the islands' combined statistics). */
  cellOrder(): CellOrder {
    this.store.sort();
    return this.store;
  }

  best(): (Elite & { cell: number }) | undefined {
    const s = this.store.best();
    return s < 0 ? undefined : { ...this.store.elites[s]!, cell: this.store.cellOfSlot[s]! };
  }

  stats(): ArchiveStats {
    return this.store.stats(this.qdOffset);
  }

  /** Why the elite placed by the last locate() that returned -1 was refused. */
  protected why = '';

  /** The cell of an elite, or -1 (then `why` says why); the allocation-free form of place(). */
  protected locate(elite: Elite): number {
    const reason = rejectionOf(this.layout, elite);
    if (reason !== null) { this.why = reason; return -1; }
    const cell = this.layout.locate(elite.descriptors);
    if (cell < 0) this.why = this.layout.problem(elite.descriptors);
    return cell;
  }

  private notBetter(slot: number, elite: Elite): string {
    const incumbent = this.store.elites[slot]!;
    if (elite.variantId === incumbent.variantId) return 'already the elite of this cell';
    return (this.store.reasons[slot] ??= this.epsilon === 0
      ? `not better than the elite (${incumbent.fitness})`
      : `not better than the elite (${incumbent.fitness}) by more than ${this.epsilon}`);
  }
}
