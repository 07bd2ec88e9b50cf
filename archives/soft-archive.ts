// SoftArchive: CMA-MAE's archive, where each cell accepts against a threshold that moves toward accepted fitness.
import type { AddResult, ArchiveDescription, Elite, PairedAddResult } from './archive.js';
import { CellArchive, stored } from './cell-archive.js';

export interface SoftArchiveOptions {
  /**
   * The elitist archive (a GridArchive or CvtArchive, empty) that receives every elite too and keeps
   * the best per cell: the soft archive can replace a better elite, its result archive never does.
   * The soft archive uses its cells and QD offset.
   */
  result: CellArchive;
  /** alpha in [0, 1]: how far a cell's threshold moves toward an accepted fitness. 1 is plain MAP-Elites. */
  learningRate: number;
  /** Every cell's threshold starts here. -Infinity (no minimum) only with learningRate 1. */
  thresholdMin: number;
}

/**
 * Fontaine & Nikolaidis' CMA-MAE archive (pyribs GridArchive/CVTArchive with learning_rate and
 * threshold_min). A cell's threshold t starts at thresholdMin; an elite is accepted when
 * fitness > t, replaces the cell's elite whatever that elite's fitness, and moves
 * t <- (1 - alpha) * t + alpha * fitness. `improvement` is fitness - t before the add (a new cell:
 * minus thresholdMin, or minus the QD offset when there is no minimum), reported on rejections too.
 *
 * Batches (pyribs' batch rule): everything is judged against the thresholds before the batch; of the
 * k elites accepted into one cell, the fittest is stored (the first on ties) and the threshold
 * becomes (1 - alpha)^k * t + (1 - (1 - alpha)^k) * mean(their fitness), which is the single update
 * when k = 1. With alpha = 1 the threshold becomes the stored elite's fitness (the batch maximum,
 * where pyribs' formula would give the mean): so alpha = 1 with no minimum is exactly MAP-Elites,
 * batches included, and a finite minimum only adds a floor.
 */
export class SoftArchive extends CellArchive {
  readonly kind = 'soft' as const;
  readonly learningRate: number;
  readonly thresholdMin: number;
  private readonly elitist: CellArchive;

  constructor(options: SoftArchiveOptions) {
    const { result, learningRate: alpha, thresholdMin } = options;
    if (!(result instanceof CellArchive) || result.kind === 'soft') throw new RangeError('the result archive of a soft archive must be a grid or CVT archive');
    if (result.stats().filledCells > 0) throw new RangeError('the result archive of a soft archive must start empty');
    if (!(alpha >= 0 && alpha <= 1)) throw new RangeError(`learningRate must be between 0 and 1 (got ${alpha})`);
    if (Number.isNaN(thresholdMin) || thresholdMin === Infinity) throw new RangeError(`thresholdMin must be a number or -Infinity (got ${thresholdMin})`);
    if (thresholdMin === -Infinity && alpha < 1) throw new RangeError('a learningRate below 1 needs a finite thresholdMin');
    super(result.layout, result.qdOffset, 0);
    this.elitist = result;
    this.learningRate = alpha;
    this.thresholdMin = thresholdMin;
  }

  override get result(): CellArchive {
    return this.elitist;
  }

  /** The acceptance threshold of a cell (thresholdMin until something is accepted there). */
  threshold(cell: number): number {
    if (!(Number.isInteger(cell) && cell >= 0 && cell < this.totalCells)) throw new RangeError(`no cell ${cell} (there are ${this.totalCells})`);
    const slot = this.store.slotOf(cell);
    return slot < 0 ? this.thresholdMin : this.store.threshold[slot]!;
  }

  override add(elite: Elite): PairedAddResult {
    return this.addSoft(elite, this.elitist.add(elite));
  }

  override addBatch(elites: readonly Elite[]): PairedAddResult[] {
    const inResult = this.elitist.addBatch(elites);
    if (elites.length === 1) return [this.addSoft(elites[0]!, inResult[0]!)];
    const store = this.store;
    const out = new Array<PairedAddResult>(elites.length);
    // cell -> the elites accepted there in this batch: how many, their fitness sum, the fittest, the threshold before.
    const cells = new Map<number, { count: number; sum: number; winner: number; before: number }>();
    for (let i = 0; i < elites.length; i++) {
      const elite = elites[i]!;
      const cell = this.locate(elite);
      if (cell < 0) { out[i] = { status: 'rejected', cell: null, reason: this.why, clipped: false, resultArchive: inResult[i]! }; continue; }
      const slot = store.slotOf(cell);
      const outcome = this.judge(slot, cell, this.layout.clipped, elite, inResult[i]!);
      out[i] = outcome;
      if (outcome.status === 'rejected') continue;
      const c = cells.get(cell);
      if (c === undefined) cells.set(cell, { count: 1, sum: elite.fitness, winner: i, before: slot < 0 ? this.thresholdMin : store.threshold[slot]! });
      else {
        c.count++;
        c.sum += elite.fitness;
        if (elite.fitness > elites[c.winner]!.fitness) c.winner = i;
      }
    }
    for (const [cell, c] of cells) {
      const winner = elites[c.winner]!;
      const threshold = this.learningRate === 1 ? winner.fitness : this.blend(c.before, c.sum / c.count, c.count);
      const slot = store.slotOf(cell);
      if (slot < 0) store.create(cell, stored(winner), threshold);
      else store.replace(slot, stored(winner), threshold);
    }
    return out;
  }

  describe(): ArchiveDescription {
    const thresholdMin = this.thresholdMin === -Infinity ? null : this.thresholdMin;
    return { kind: 'soft', learningRate: this.learningRate, thresholdMin, result: this.elitist.describe() };
  }

  private addSoft(elite: Elite, resultArchive: AddResult): PairedAddResult {
    const cell = this.locate(elite);
    if (cell < 0) return { status: 'rejected', cell: null, reason: this.why, clipped: false, resultArchive };
    const store = this.store;
    const slot = store.slotOf(cell);
    const outcome = this.judge(slot, cell, this.layout.clipped, elite, resultArchive);
    if (outcome.status === 'rejected') return outcome;
    const before = slot < 0 ? this.thresholdMin : store.threshold[slot]!;
    const threshold = this.learningRate === 1 ? elite.fitness : this.blend(before, elite.fitness, 1);
    if (slot < 0) store.create(cell, stored(elite), threshold);
    else store.replace(slot, stored(elite), threshold);
    return outcome;
  }

  /** The outcome of an elite against the cell as it is now (the store is not changed). */
  private judge(slot: number, cell: number, clipped: boolean, elite: Elite, resultArchive: AddResult): PairedAddResult {
    const store = this.store;
    const threshold = slot < 0 ? this.thresholdMin : store.threshold[slot]!;
    const base = slot >= 0 ? threshold : this.thresholdMin === -Infinity ? this.qdOffset : this.thresholdMin;
    const improvement = elite.fitness - base;
    if (elite.fitness > threshold) {
      if (slot < 0) return { status: 'new', cell, improvement, clipped, resultArchive };
      return { status: 'improved', cell, improvement, clipped, replaced: store.elites[slot]!.variantId, resultArchive };
    }
    let reason: string;
    if (slot < 0) reason = `not above the minimum threshold (${threshold})`;
    else if (store.elites[slot]!.variantId === elite.variantId) reason = 'already the elite of this cell';
    // Cached per slot (reset when the slot changes): formatting a number is the dearest part of a rejection.
    else reason = store.reasons[slot] ??= `not above the cell's threshold (${threshold})`;
    return { status: 'rejected', cell, reason, clipped, improvement, resultArchive };
  }

  /** The batch threshold update for k accepted elites of mean fitness `mean` (k = 1: the single update). */
  private blend(before: number, mean: number, k: number): number {
    const keep = Math.pow(1 - this.learningRate, k);
    return keep * before + (1 - keep) * mean;
  }
}
