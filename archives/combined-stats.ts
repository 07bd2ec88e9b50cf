// The statistics of the islands' result archives merged cell by cell, kept up to date as cells change instead of rebuilt.
import type { ArchiveStats } from './archive.js';
import type { CellArchive } from './cell-archive.js';

/**
 * What IslandModel.combined().stats() reports (per cell, the elite that adding every island's elites
 * in island order to an empty elitist archive keeps), maintained per changed cell: stats() costs
 * O(1), where rebuilding the union costs a pass over every elite (the engine asks every
 * archive.metricsInterval iterations and for each progress report). The fitness sum moves by the
 * difference of each changed cell, so its last bits may differ from a sum rebuilt in cell order.
 *
 * Changes the islands make through IslandModel are announced with touch() and sync(); a change made
 * behind its back (an island's archive replaced or added to directly) is seen from the result
 * archive's change count, and the next stats() rebuilds everything.
 */
export class CombinedStats {
  /** cell -> fitness of the union's elite there. */
  private readonly values = new Map<number, number>();
  private sum = 0;
  private best = -Infinity;
  private bestCell = -1;
  private bestStale = false;
  /** Per island, the result archive and its change count once its changes were announced. */
  private seen: Array<{ archive: CellArchive; changes: number } | undefined> = [];
  private valid = false;
  private readonly touched = new Set<number>();

  constructor(private readonly epsilon: number) {}

  /** Before island k changes through IslandModel: a change made since its last sync() makes the next stats() rebuild. */
  check(k: number, result: CellArchive): void {
    const s = this.seen[k];
    if (s === undefined || s.archive !== result || s.changes !== result.changes) this.valid = false;
  }

  /** A result cell that changed on some island. */
  touch(cell: number): void {
    if (this.valid) this.touched.add(cell);
  }

  /** After island k's announced changes. */
  sync(k: number, result: CellArchive): void {
    this.seen[k] = { archive: result, changes: result.changes };
  }

  stats(results: readonly CellArchive[]): ArchiveStats {
    const { totalCells, qdOffset } = results[0]!;
    if (!this.valid || results.some((r, k) => this.seen[k]?.archive !== r || this.seen[k]!.changes !== r.changes)) this.rebuild(results);
    for (const cell of this.touched) this.refresh(results, cell);
    this.touched.clear();
    if (this.bestStale) this.findBest();
    const filled = this.values.size;
    return {
      filledCells: filled,
      totalCells,
      coverage: filled / totalCells,
      qdScore: this.sum - filled * qdOffset,
      qdOffset,
      bestFitness: filled === 0 ? null : this.best,
      meanFitness: filled === 0 ? null : this.sum / filled,
    };
  }

  /** The union from scratch, island by island in cell order: exactly combined()'s additions. */
  private rebuild(results: readonly CellArchive[]): void {
    this.values.clear();
    this.touched.clear();
    this.sum = 0;
    for (const archive of results) {
      const { size, order, cellOfSlot, fitness } = archive.cellOrder();
      for (let j = 0; j < size; j++) {
        const slot = order[j]!;
        const cell = cellOfSlot[slot]!;
        const f = fitness[slot]!;
        const before = this.values.get(cell);
        if (before === undefined) this.sum += f;
        else if (f - before > this.epsilon) this.sum += f - before;
        else continue;
        this.values.set(cell, f);
      }
    }
    results.forEach((r, k) => this.sync(k, r));
    this.valid = true;
    this.findBest();
  }

  /** One cell again from every island, in island order, with the elitist rule of CellArchive.add(). */
  private refresh(results: readonly CellArchive[], cell: number): void {
    let value: number | undefined;
    for (const archive of results) {
      const e = archive.get(cell);
      if (e !== undefined && (value === undefined || e.fitness - value > this.epsilon)) value = e.fitness;
    }
    const before = this.values.get(cell);
    if (value === before) return;
    if (value === undefined) {
      this.values.delete(cell);
      this.sum -= before!;
    } else {
      this.sum += before === undefined ? value : value - before;
      this.values.set(cell, value);
    }
    if (value !== undefined && (value > this.best || (value === this.best && cell < this.bestCell))) {
      this.best = value;
      this.bestCell = cell;
    } else if (cell === this.bestCell) this.bestStale = true;
  }

  /** best() of the union: the highest fitness, the lower cell on ties. */
  private findBest(): void {
    this.best = -Infinity;
    this.bestCell = -1;
    for (const [cell, value] of this.values) {
      if (value > this.best || (value === this.best && cell < this.bestCell)) { this.best = value; this.bestCell = cell; }
    }
    this.bestStale = false;
  }
}
