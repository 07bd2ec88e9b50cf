// NoveltyArchive: novelty search's archive of points, accepted by k-nearest-neighbour novelty, beside a result archive.
import type { AddResult, Archive, ArchiveDescription, ArchiveStats, Elite, EliteView, PairedAddResult } from './archive.js';
import { CellArchive, place, rejected, stored } from './cell-archive.js';
import { withCell } from './cell-store.js';

export interface NoveltyArchiveOptions {
  /** The elitist archive (a GridArchive or CvtArchive, empty) that receives every elite too: coverage and QD score come from it. */
  result: CellArchive;
  /** k: novelty is the mean distance to the k nearest stored points (to all of them while fewer are stored). */
  neighbours: number;
  /** A point is stored when its novelty is at least this (pyribs' ProximityArchive uses >= too). */
  threshold: number;
}

/** What add() did, with the elite's novelty (null when the elite was invalid). */
export type NoveltyAddResult = PairedAddResult & { novelty: number | null };

/**
 * Lehman & Stanley's novelty archive (pyribs ProximityArchive). Distances are Euclidean in the result
 * layout's normalised coordinates: each numeric range maps to [0, 1] (out-of-range values clipped), a
 * categorical dimension differs by exactly 1 between two values. The novelty of an elite is measured
 * against the points stored before it, Infinity when there are none, so the first elite is always
 * stored. Stored points never leave, and each is a "cell": cell i is the i-th point stored, so
 * `totalCells` grows with the archive and coverage is 1 once anything is stored (as in pyribs).
 * In a batch, every novelty is measured against the points before the batch and every novel enough
 * elite is stored, in batch order. Lookups scan all points: fine for the thousands of evaluations an
 * LLM-driven run makes, not meant for millions.
 */
export class NoveltyArchive implements Archive {
  readonly kind = 'novelty' as const;
  readonly qdOffset: number;
  readonly neighbours: number;
  readonly threshold: number;
  private readonly elitist: CellArchive;
  private readonly size: number;
  private coords: Float64Array;
  private readonly points: Elite[] = [];
  /** The points with their cells, for view(): appended as points are stored, never changed. */
  private readonly listed: Array<Elite & { cell: number }> = [];
  private readonly nearest: Float64Array;
  private readonly query: Float64Array;
  private fitnessSum = 0;
  private bestPoint = -1;

  constructor(options: NoveltyArchiveOptions) {
    const { result, neighbours, threshold } = options;
    if (!(result instanceof CellArchive) || result.kind === 'soft') throw new RangeError('the result archive of a novelty archive must be a grid or CVT archive');
    if (result.stats().filledCells > 0) throw new RangeError('the result archive of a novelty archive must start empty');
    if (!Number.isInteger(neighbours) || neighbours < 1) throw new RangeError(`neighbours must be a positive integer (got ${neighbours})`);
    if (!(threshold >= 0 && Number.isFinite(threshold))) throw new RangeError(`threshold must be a finite number >= 0 (got ${threshold})`);
    this.elitist = result;
    this.qdOffset = result.qdOffset;
    this.neighbours = neighbours;
    this.threshold = threshold;
    this.size = result.layout.embeddingSize;
    this.coords = new Float64Array(64 * this.size);
    this.nearest = new Float64Array(neighbours);
    this.query = new Float64Array(this.size);
  }

  get result(): CellArchive {
    return this.elitist;
  }

  get totalCells(): number {
    return this.points.length;
  }

  /** Novelty of a descriptor vector against the stored points (Infinity when none); null when it cannot be placed. */
  novelty(descriptors: number[]): number | null {
    const at = place(this.elitist.layout, { variantId: '', fitness: 0, descriptors, iteration: 0 });
    return 'reason' in at ? null : this.measure(descriptors, this.points.length);
  }

  /** The nearest stored point (its index is its cell), with whether the vector was clipped; null when empty or unplaceable. */
  cellOf(descriptors: number[]): { cell: number; clipped: boolean } | null {
    const at = place(this.elitist.layout, { variantId: '', fitness: 0, descriptors, iteration: 0 });
    if ('reason' in at || this.points.length === 0) return null;
    this.elitist.layout.embed(descriptors, this.query, 0);
    let best = -1;
    let bestDistance = Infinity;
    for (let p = 0; p < this.points.length; p++) {
      const d = this.distance(p);
      if (d < bestDistance) { bestDistance = d; best = p; }
    }
    return { cell: best, clipped: at.clipped };
  }

  add(elite: Elite): NoveltyAddResult {
    return this.addBatch([elite])[0]!;
  }

  addBatch(elites: readonly Elite[]): NoveltyAddResult[] {
    const inResult = this.elitist.addBatch(elites);
    const before = this.points.length;
    const out = new Array<NoveltyAddResult>(elites.length);
    const accepted: number[] = [];
    for (let i = 0; i < elites.length; i++) {
      const elite = elites[i]!;
      const at = place(this.elitist.layout, elite);
      if ('reason' in at) { out[i] = { ...rejected(at.reason), resultArchive: inResult[i]!, novelty: null }; continue; }
      const novelty = this.measure(elite.descriptors, before);
      let outcome: AddResult;
      if (novelty >= this.threshold) {
        outcome = { status: 'new', cell: before + accepted.length, improvement: elite.fitness - this.qdOffset, clipped: at.clipped };
        accepted.push(i);
      } else {
        outcome = rejected(`novelty ${novelty} is below the threshold ${this.threshold}`, null, at.clipped);
      }
      out[i] = { ...outcome, resultArchive: inResult[i]!, novelty };
    }
    for (const i of accepted) this.store(elites[i]!);
    return out;
  }

  get(cell: number): Elite | undefined {
    return this.points[cell];
  }

  elites(): Array<Elite & { cell: number }> {
    return this.listed.map((e) => withCell(e, e.cell));
  }

  view(): EliteView {
    return this.listed;
  }

  best(): (Elite & { cell: number }) | undefined {
    return this.bestPoint < 0 ? undefined : { ...this.points[this.bestPoint]!, cell: this.bestPoint };
  }

  stats(): ArchiveStats {
    const filled = this.points.length;
    return {
      filledCells: filled,
      totalCells: filled,
      coverage: filled === 0 ? 0 : 1,
      qdScore: this.fitnessSum - filled * this.qdOffset,
      qdOffset: this.qdOffset,
      bestFitness: this.bestPoint < 0 ? null : this.points[this.bestPoint]!.fitness,
      meanFitness: filled === 0 ? null : this.fitnessSum / filled,
    };
  }

  describe(): ArchiveDescription {
    return { kind: 'novelty', neighbours: this.neighbours, threshold: this.threshold, result: this.elitist.describe() };
  }

  /** Mean distance from the descriptors to their k nearest among the first `count` stored points. */
  private measure(descriptors: number[], count: number): number {
    if (count === 0) return Infinity;
    this.elitist.layout.embed(descriptors, this.query, 0);
    const k = Math.min(this.neighbours, count);
    const nearest = this.nearest;
    let filled = 0;
    for (let p = 0; p < count; p++) {
      const d = this.distance(p);
      if (filled === k && d >= nearest[k - 1]!) continue;
      // Insertion into the sorted list of the k smallest distances so far.
      let j = filled < k ? filled++ : k - 1;
      while (j > 0 && nearest[j - 1]! > d) { nearest[j] = nearest[j - 1]!; j--; }
      nearest[j] = d;
    }
    let sum = 0;
    for (let j = 0; j < k; j++) sum += nearest[j]!;
    return sum / k;
  }

  private distance(p: number): number {
    const { coords, query, size } = this;
    let s = 0;
    for (let k = 0; k < size; k++) {
      const t = query[k]! - coords[p * size + k]!;
      s += t * t;
    }
    return Math.sqrt(s);
  }

  private store(elite: Elite): void {
    const p = this.points.length;
    if ((p + 1) * this.size > this.coords.length) {
      const wider = new Float64Array(this.coords.length * 2);
      wider.set(this.coords);
      this.coords = wider;
    }
    this.elitist.layout.embed(elite.descriptors, this.coords, p * this.size);
    const kept = stored(elite);
    this.points.push(kept);
    this.listed.push(withCell(kept, p));
    this.fitnessSum += elite.fitness;
    const b = this.bestPoint;
    if (b < 0 || elite.fitness > this.points[b]!.fitness) this.bestPoint = p;
  }
}
