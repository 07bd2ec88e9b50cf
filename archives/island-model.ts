// IslandModel: K archives searched side by side, exchanging their best elites by periodic migration.
import type { AddResult, ArchiveStats, Elite } from './archive.js';
import { GridArchive, type GridArchiveOptions } from './grid-archive.js';

export interface Migration {
  from: number;
  to: number;
  variantId: string;
  result: AddResult;
}

/**
 * Islands evolve apart so that one lucky lineage cannot take over the whole search; every
 * `migrationInterval` iterations each island sends its best elite to the next one on a ring.
 * Migration is a pure function of the islands' contents, so it replays identically on resume.
 */
export class IslandModel {
  readonly islands: GridArchive[];

  constructor(count: number, options: GridArchiveOptions) {
    if (!Number.isInteger(count) || count < 1) throw new RangeError('island count must be a positive integer');
    this.islands = Array.from({ length: count }, () => new GridArchive(options));
  }

  island(index: number): GridArchive {
    const archive = this.islands[index];
    if (archive === undefined) throw new RangeError(`no island ${index} (there are ${this.islands.length})`);
    return archive;
  }

  /** Copies each island's best elite (as it was before any copy of this round) into the next island. */
  migrate(iteration: number): Migration[] {
    if (this.islands.length < 2) return [];
    const emigrants = this.islands.map((a) => a.best());
    const out: Migration[] = [];
    emigrants.forEach((elite, from) => {
      if (elite === undefined) return;
      const to = (from + 1) % this.islands.length;
      const copy: Elite = { variantId: elite.variantId, fitness: elite.fitness, descriptors: elite.descriptors, iteration };
      out.push({ from, to, variantId: elite.variantId, result: this.islands[to]!.add(copy) });
    });
    return out;
  }

  /** Statistics of the union: per cell, the best elite over all islands. */
  combined(): GridArchive {
    const first = this.islands[0]!;
    const union = new GridArchive({ dimensions: [...first.dimensions], qdOffset: first.qdOffset });
    for (const archive of this.islands) for (const e of archive.elites()) union.add(e);
    return union;
  }

  stats(): ArchiveStats {
    return this.combined().stats();
  }
}
