// IslandModel: K archives of one kind searched side by side, exchanging elites by migration, restarted when they stagnate.
import type { AddResult, Archive, ArchiveDescription, ArchiveStats, Elite } from './archive.js';
import { archiveFromDescription } from './archive-factory.js';
import { CellArchive } from './cell-archive.js';
import { SoftArchive } from './soft-archive.js';
import { CombinedStats } from './combined-stats.js';

export interface Migration {
  from: number;
  to: number;
  variantId: string;
  result: AddResult;
}

export interface IslandOptions {
  count: number;
  /** Every island is archiveFromDescription(archive): grid, CVT, soft or novelty. */
  archive: ArchiveDescription;
  /** Every `interval` iterations each island copies its `rate` best elites to the next island (ring) or to all others (full). */
  migration?: { interval: number; rate: number; topology: 'ring' | 'full' };
  /** An island whose last `stagnation` own iterations filled or improved no cell (0: never) restarts from the `survivors` best elites of all islands. */
  reset?: { stagnation: number; survivors: number };
}

/** A result-archive cell whose content changed, as the run database stores it. */
export interface CellChange {
  island: number;
  cell: number;
  elite: Elite;
  /** A soft archive's acceptance threshold for the cell; null for other archives. */
  threshold: number | null;
}

/** What one iteration did to the islands, for the record that commit() writes. */
export interface IterationChanges {
  /** One result per elite given to apply(), from the island the iteration belongs to (the first island for the seed). */
  results: AddResult[];
  migrations: Migration[];
  /** Islands emptied and restarted this iteration (their stored cells are replaced by `cells`). */
  resets: Array<{ island: number; survivors: string[] }>;
  /** Every result cell whose elite or threshold changed, in (island, cell) order. */
  cells: CellChange[];
}

/**
 * Islands evolve apart so that one lucky lineage cannot take over the whole search. An iteration's
 * children go to the island its parents were drawn from; migration and resets are pure functions of
 * the islands' contents and the iteration number, so a replay of the log rebuilds the same islands.
 * What people see (coverage, QD score, stored cells) is each island's result archive: the island
 * itself for a grid or CVT, the elitist archive beside it for a soft or novelty archive.
 */
export class IslandModel {
  readonly islands: Archive[];
  readonly description: ArchiveDescription;
  private readonly migration: NonNullable<IslandOptions['migration']> | null;
  private readonly reset: NonNullable<IslandOptions['reset']> | null;
  /** Per island, its own iterations since its children last filled or improved a result cell. */
  private readonly staleTurns: number[];
  private readonly dirty: Array<Set<number>>;
  /** The union's statistics, kept per changed cell; null with one island, whose result archive is the union. */
  private readonly combinedStats: CombinedStats | null;

  constructor(options: IslandOptions) {
    const { count } = options;
    if (!Number.isInteger(count) || count < 1) throw new RangeError('island count must be a positive integer');
    this.description = options.archive;
    this.islands = Array.from({ length: count }, () => archiveFromDescription(options.archive));
    this.migration = options.migration ?? null;
    this.reset = options.reset && options.reset.stagnation > 0 ? options.reset : null;
    if (this.migration && !(Number.isInteger(this.migration.rate) && this.migration.rate >= 1)) throw new RangeError('migration rate must be a positive integer');
    if (this.reset && !(Number.isInteger(this.reset.survivors) && this.reset.survivors >= 1)) throw new RangeError('survivors must be a positive integer');
    this.staleTurns = new Array<number>(count).fill(0);
    this.dirty = Array.from({ length: count }, () => new Set<number>());
    const result = resultDescription(options.archive);
    this.combinedStats = count > 1 && (result.kind === 'grid' || result.kind === 'cvt') ? new CombinedStats(result.epsilon) : null;
  }

  island(index: number): Archive {
    const archive = this.islands[index];
    if (archive === undefined) throw new RangeError(`no island ${index} (there are ${this.islands.length})`);
    return archive;
  }

  /**
   * Iteration i's evaluated children enter `island` as one batch (pyribs' batch rule; the seed,
   * iteration 0, enters every island), then migration and resets run when their schedule says.
   */
  apply(i: number, island: number, elites: readonly Elite[]): IterationChanges {
    const targets = i === 0 ? this.islands.map((_, k) => k) : [island];
    let results: AddResult[] = [];
    targets.forEach((k, n) => {
      const out = this.add(k, elites);
      if (n === 0) results = out;
    });
    // Stagnation counts an island's own iterations (one in `count`), so every island gets as many chances.
    if (i > 0) this.staleTurns[island] = results.some((r) => resultOf(r).status !== 'rejected') ? 0 : this.staleTurns[island]! + 1;
    const migrations = this.migration && i > 0 && i % this.migration.interval === 0 ? this.migrate(i) : [];
    const resets = this.resetStagnant(i, island);
    return { results, migrations, resets, cells: this.takeChanges() };
  }

  /** Copies each island's `rate` best elites (as they were before any copy of this round) to its neighbours. */
  migrate(iteration: number): Migration[] {
    const n = this.islands.length;
    if (n < 2 || this.migration === null) return [];
    const { rate, topology } = this.migration;
    const emigrants = this.islands.map((a) => bestElites(a.result, rate));
    const out: Migration[] = [];
    emigrants.forEach((elites, from) => {
      const destinations = topology === 'ring' ? [(from + 1) % n] : this.islands.map((_, k) => k).filter((k) => k !== from);
      for (const to of destinations) {
        for (const e of elites) {
          const copy: Elite = { variantId: e.variantId, fitness: e.fitness, descriptors: e.descriptors, iteration };
          out.push({ from, to, variantId: e.variantId, result: this.add(to, [copy])[0]! });
        }
      }
    });
    return out;
  }

  /** The result archives of all islands together: per cell, the best elite over all islands. */
  combined(): Archive {
    const union = archiveFromDescription(resultDescription(this.description));
    for (const archive of this.islands) for (const e of archive.result.elites()) union.add(e);
    return union;
  }

  /**
   * combined().stats() without building the combined archive (the engine asks every
   * archive.metricsInterval iterations): kept up to date per changed cell (CombinedStats), so the fitness
   * sum's last bits may differ from the combined archive's, which adds in cell order.
   */
  stats(): ArchiveStats {
    if (this.islands.length === 1) return this.islands[0]!.result.stats();
    const results = this.islands.map((a) => a.result);
    if (this.combinedStats === null || !results.every((r): r is CellArchive => r instanceof CellArchive)) return this.combined().stats();
    return this.combinedStats.stats(results);
  }

  /** Adds elites to island k as a batch and notes which result cells changed. */
  private add(k: number, elites: readonly Elite[]): AddResult[] {
    const archive = this.islands[k]!;
    const tracked = this.combinedStats !== null && archive.result instanceof CellArchive ? archive.result : null;
    if (tracked) this.combinedStats!.check(k, tracked);
    const out = archive.addBatch(elites);
    for (const r of out) {
      const inResult = resultOf(r);
      if (inResult.status !== 'rejected') {
        this.dirty[k]!.add(inResult.cell);
        if (tracked) this.combinedStats!.touch(inResult.cell);
      }
      // A soft archive's threshold moved: the cell's stored threshold changes even when its result elite does not.
      if (archive instanceof SoftArchive && r.status !== 'rejected') this.dirty[k]!.add(r.cell);
    }
    if (tracked) this.combinedStats!.sync(k, tracked);
    return out;
  }

  /** Restarts `island` (the one iteration i worked on) when its last `stagnation` iterations improved nothing. */
  private resetStagnant(i: number, island: number): IterationChanges['resets'] {
    if (this.reset === null || i === 0) return [];
    const { stagnation, survivors } = this.reset;
    const stale = this.staleTurns[island]! >= stagnation ? [island] : [];
    if (stale.length === 0) return [];
    // Survivors are chosen once, from every island as it is before any reset of this round.
    const all: Elite[] = [];
    // A loop, not push(...elites): spreading 100,000 arguments overflows the stack.
    for (const archive of this.islands) for (const e of archive.result.elites()) all.push(e);
    const kept = bestDistinct(all, survivors);
    return stale.map((k) => {
      this.islands[k] = archiveFromDescription(this.description);
      this.dirty[k]!.clear();
      this.add(k, kept.map((e) => ({ ...e, iteration: i })));
      this.staleTurns[k] = 0;
      return { island: k, survivors: kept.map((e) => e.variantId) };
    });
  }

  private takeChanges(): CellChange[] {
    const changes: CellChange[] = [];
    this.dirty.forEach((cells, island) => {
      const archive = this.islands[island]!;
      for (const cell of [...cells].sort((a, b) => a - b)) {
        const elite = archive.result.get(cell);
        if (elite === undefined) continue;
        changes.push({ island, cell, elite, threshold: archive instanceof SoftArchive ? archive.threshold(cell) : null });
      }
      cells.clear();
    });
    return changes;
  }
}

/** What happened in the elitist result archive: a soft or novelty add reports it beside its own outcome. */
export function resultOf(r: AddResult): AddResult {
  return 'resultArchive' in r ? (r as AddResult & { resultArchive: AddResult }).resultArchive : r;
}

/** The description of the elitist archive people see: the archive itself, or the result archive of a soft or novelty one. */
export function resultDescription(d: ArchiveDescription): ArchiveDescription {
  return d.kind === 'soft' || d.kind === 'novelty' ? d.result : d;
}

/** The layout the descriptors are measured on (for novelty distances). */
export function cellLayoutOf(archive: Archive): CellArchive['layout'] | null {
  return archive.result instanceof CellArchive ? archive.result.layout : null;
}

/**
 * The k fittest elites, fitness descending, ties to the lower cell: what a stable sort of elites()
 * (in cell order) by fitness gives, from one pass over the cells in order, each kept one placed after
 * its equals, so only the k kept are copied.
 */
function bestElites(archive: Archive, k: number): Array<Elite & { cell: number }> {
  if (!(archive instanceof CellArchive)) return archive.elites().sort((a, b) => b.fitness - a.fitness).slice(0, k);
  const { size, order, fitness } = archive.cellOrder();
  const top: number[] = [];
  for (let j = 0; j < size; j++) {
    const f = fitness[order[j]!]!;
    if (top.length === k && !(f > fitness[order[top[k - 1]!]!]!)) continue;
    let at = top.length < k ? top.length : k - 1;
    while (at > 0 && fitness[order[top[at - 1]!]!]! < f) at--;
    if (top.length === k) top.pop();
    top.splice(at, 0, j);
  }
  const view = archive.view();
  return top.map((j) => view.at(j)!);
}

/** The k fittest distinct variants of a list (the first occurrence of each), fitness descending, stable. */
function bestDistinct(elites: Elite[], k: number): Elite[] {
  const seen = new Set<string>();
  const out: Elite[] = [];
  for (const e of [...elites].sort((a, b) => b.fitness - a.fitness)) {
    if (seen.has(e.variantId)) continue;
    seen.add(e.variantId);
    out.push(e);
    if (out.length === k) break;
  }
  return out;
}
