// Parent selection strategies over an archive's elites, driven only by the rng they are given.
import type { Rng } from '../common/rng.js';
import type { Archive, Elite, EliteView } from './archive.js';

/**
 * How parents are picked among the elites. Every strategy is a fixed chance per elite for one call
 * (see selectionWeights); they differ in what raises an elite's chance:
 * - `uniform`: nothing, every elite has the same chance.
 * - `tournament`: fitness rank. Draw `size` elites (an integer >= 1, with replacement) and keep the
 *   fittest, the first drawn among equals; 1 is uniform, and the bias towards the best grows with `size`.
 * - `fitness-proportional`: fitness itself. The chance is proportional to fitness - min + 1% of
 *   (max - min), so the worst elite keeps a small chance and negative fitness works; all equal when
 *   every fitness is. How greedy it is depends on how fitness is spread, not only on its order.
 * - `rank`: fitness order only. Sorted by fitness, best first (ties: lower cell first), the elite of
 *   rank r (0 for the best) has weight (r + 1)^-exponent: `exponent` 0 is uniform, 1 makes the best
 *   twice as likely as the second and ten times the tenth; higher is greedier.
 * - `score-children` (ShinkaEvolve's weighting): fitness and how little an elite has been explored.
 *   Weight sigmoid(sharpness * (fitness - median) / (max - min)) / (1 + children): above the median
 *   counts more, and the fittest elite is at most e^sharpness times as likely as the least fit (before
 *   the children factor); each child already made from an elite lowers its chance (h = 1 / (1 + children)).
 *   `sharpness` > 0. Needs `info.children`.
 * - `novelty`: distance in descriptor space. Weight is the elite's novelty, the mean distance to its
 *   `neighbours` nearest other elites (noveltyScores, computed by the engine), so that elites in sparse
 *   regions are favoured whatever their fitness; uniform when every novelty is 0. Needs `info.novelty`.
 */
export type SelectionStrategy =
  | { strategy: 'uniform' }
  | { strategy: 'tournament'; size: number }
  | { strategy: 'fitness-proportional' }
  | { strategy: 'rank'; exponent: number }
  | { strategy: 'score-children'; sharpness: number }
  | { strategy: 'novelty'; neighbours: number };

/** What some strategies need besides the elites; the engine supplies it. */
export interface SelectionInfo {
  /** How many children the engine has already made from this variant (committed iterations naming it a parent). */
  children(variantId: string): number;
  /** Novelty of each elite, aligned with `elites` (see noveltyScores), computed only when a strategy asks. */
  novelty(): ArrayLike<number>;
}

type Candidate = Elite & { cell: number };

/** Draws allowed per parent, besides the first, to avoid one already picked. */
const REDRAWS = 8;
/** Added to every novelty so that the least novel elite of a spread-out archive keeps a chance. */
const NOVELTY_FLOOR = 1e-12;

/**
 * Picks `count` distinct parents from `elites` (repeats only when there are fewer elites than
 * `count`, or after a bounded number of redraws), which must be listed in a stable
 * order (increasing cell index): the same elites, info and rng always give the same parents.
 * The weighted strategies compute their weights once per call and use one `rng.next()` per draw.
 */
export function selectParents(elites: EliteView, count: number, rng: Rng, selection: SelectionStrategy, info?: SelectionInfo): Candidate[] {
  validate(selection, info);
  if (elites.length === 0) throw new RangeError('cannot select parents from an empty archive');
  if (count <= 0) return [];
  const drawOne = drawer(elites, rng, selection, info);
  const parents: Candidate[] = [];
  for (let k = 0; k < count; k++) {
    let pick = drawOne();
    // A crossover of a variant with itself is wasted work: redraw a few times (bounded, so the
    // number of draws, and with it determinism, never depends on anything but the rng).
    for (let retry = 0; retry < REDRAWS && parents.length < elites.length && parents.some((p) => p.cell === pick.cell); retry++) {
      pick = drawOne();
    }
    parents.push(pick);
  }
  return parents;
}

/**
 * selectParents() over an archive's elites. Uniform and tournament draws read a few elites in place
 * (view()), so their cost does not grow with the archive; the weighted strategies weigh every elite
 * anyway and get a copy (elites()), with the info `info` makes for it.
 */
export function selectFromArchive(island: Archive, count: number, rng: Rng, selection: SelectionStrategy, info: (elites: readonly Candidate[]) => SelectionInfo): Candidate[] {
  // A soft archive holds nothing until a child beats its minimum threshold, while its result archive already
  // holds the seed: parents then come from the result archive.
  const archive = island.view().length === 0 ? island.result : island;
  if (selection.strategy === 'uniform' || selection.strategy === 'tournament') return selectParents(archive.view(), count, rng, selection);
  const elites = archive.elites();
  return selectParents(elites, count, rng, selection, info(elites));
}

/**
 * Selection probability of each elite under a strategy (uniform: 1/n each; tournament: the exact
 * order-statistics probability, ties by the same rule the draw uses). Sums to 1; empty for no elites.
 * For docs, tests and `status`: it ignores the redraws that keep parents distinct.
 */
export function selectionWeights(elites: EliteView, selection: SelectionStrategy, info?: SelectionInfo): number[] {
  validate(selection, info);
  const n = elites.length;
  if (selection.strategy === 'uniform') return Array.from({ length: n }, () => 1 / n);
  if (selection.strategy === 'tournament') {
    const fitness = Array.from({ length: n }, (_, i) => elites.at(i)!.fitness);
    const sorted = Float64Array.from(fitness).sort();
    // The winner is the first drawn of the fittest drawn: an elite wins when no draw is fitter and some
    // draw ties it, and the first tying draw is equally likely to be any of the upTo - below equals.
    return fitness.map((f) => {
      const below = bound(sorted, f, false);
      const upTo = bound(sorted, f, true);
      return ((upTo / n) ** selection.size - (below / n) ** selection.size) / (upTo - below);
    });
  }
  const weights = weightsOf(elites, selection, info!);
  let total = 0;
  for (const w of weights) total += w;
  return Array.from(weights, (w) => w / total);
}

/**
 * k-nearest-neighbour novelty of n points given row-major in `coords` (n * size numbers, already normalised):
 * for each point the mean Euclidean distance to its k nearest OTHER points (all others when fewer than k; 0 when n = 1).
 * Exact and brute force: O(n² · size) time, each pair measured once, O(n · k) memory.
 */
export function noveltyScores(coords: Float64Array, n: number, size: number, k: number): Float64Array {
  if (!Number.isInteger(n) || n < 0 || !Number.isInteger(size) || size < 0) throw new RangeError(`novelty needs integer counts of points and coordinates (got ${n} and ${size})`);
  if (coords.length !== n * size) throw new RangeError(`${coords.length} coordinates are not ${n} points of ${size}`);
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`novelty neighbours must be an integer of at least 1 (got ${k})`);
  const m = Math.min(k, n - 1);
  const out = new Float64Array(n);
  if (m <= 0) return out;
  const all = m === n - 1;
  // nearest[i * m, (i + 1) * m): the m smallest distances from i seen so far, ascending. When every
  // other point counts, distances are summed into `out` instead (no O(m) insertions).
  const nearest = new Float64Array(all ? 0 : n * m);
  const filled = new Int32Array(all ? 0 : n);
  const keep = (i: number, d: number): void => {
    const base = i * m;
    let j = filled[i]!;
    if (j === m && d >= nearest[base + m - 1]!) return;
    if (j < m) filled[i] = j + 1;
    else j = m - 1;
    while (j > 0 && nearest[base + j - 1]! > d) { nearest[base + j] = nearest[base + j - 1]!; j--; }
    nearest[base + j] = d;
  };
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      let s = 0;
      for (let c = 0; c < size; c++) { const t = coords[i * size + c]! - coords[j * size + c]!; s += t * t; }
      const d = Math.sqrt(s);
      if (all) { out[i] = out[i]! + d; out[j] = out[j]! + d; } else { keep(i, d); keep(j, d); }
    }
  }
  for (let i = 0; i < n; i++) {
    if (all) { out[i] = out[i]! / m; continue; }
    let sum = 0;
    for (let j = 0; j < m; j++) sum += nearest[i * m + j]!;
    out[i] = sum / m;
  }
  return out;
}

/** Throws a RangeError naming the bad parameter, or the missing info. */
function validate(selection: SelectionStrategy, info: SelectionInfo | undefined): void {
  const s = selection;
  if (!['uniform', 'tournament', 'fitness-proportional', 'rank', 'score-children', 'novelty'].includes(s.strategy)) throw new RangeError(`unknown selection strategy "${String(s.strategy)}"`);
  if (s.strategy === 'tournament' && !(Number.isInteger(s.size) && s.size >= 1)) throw new RangeError(`tournament size must be an integer of at least 1 (got ${s.size})`);
  if (s.strategy === 'rank' && !(Number.isFinite(s.exponent) && s.exponent >= 0)) throw new RangeError(`rank exponent must be a finite number of at least 0 (got ${s.exponent})`);
  if (s.strategy === 'score-children' && !(Number.isFinite(s.sharpness) && s.sharpness > 0)) throw new RangeError(`score-children sharpness must be a finite number above 0 (got ${s.sharpness})`);
  if (s.strategy === 'novelty' && !(Number.isInteger(s.neighbours) && s.neighbours >= 1)) throw new RangeError(`novelty neighbours must be an integer of at least 1 (got ${s.neighbours})`);
  if ((s.strategy === 'score-children' || s.strategy === 'novelty') && info === undefined) throw new RangeError(`the ${s.strategy} strategy needs selection info (children counts and novelty) and none was given`);
}

function drawer(elites: EliteView, rng: Rng, selection: SelectionStrategy, info: SelectionInfo | undefined): () => Candidate {
  // uniform and tournament keep their original draws (rng.int), so that earlier runs reproduce.
  if (selection.strategy === 'uniform') return () => elites.at(rng.int(elites.length))!;
  if (selection.strategy === 'tournament') {
    return () => {
      let winner = elites.at(rng.int(elites.length))!;
      for (let t = 1; t < selection.size; t++) {
        const challenger = elites.at(rng.int(elites.length))!;
        if (challenger.fitness > winner.fitness) winner = challenger;
      }
      return winner;
    };
  }
  const cumulative = weightsOf(elites, selection, info!);
  for (let i = 1; i < cumulative.length; i++) cumulative[i] = cumulative[i]! + cumulative[i - 1]!;
  const total = cumulative[cumulative.length - 1]!;
  return () => {
    // u < total (even the largest double below 1 times total rounds below total), so some cumulative
    // sum exceeds u, and the first that does belongs to an elite of positive weight: a zero weight
    // never raises the sum.
    const u = rng.next() * total;
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cumulative[mid]! > u) hi = mid;
      else lo = mid + 1;
    }
    return elites.at(lo)!;
  };
}

/** Unnormalised weights, aligned with `elites`, of the strategies that draw by weight; O(n) except rank's one sort. */
function weightsOf(elites: EliteView, selection: SelectionStrategy, info: SelectionInfo): Float64Array {
  const n = elites.length;
  const weights = new Float64Array(n);
  if (selection.strategy === 'novelty') {
    const novelty = info.novelty();
    if (novelty.length !== n) throw new RangeError(`info.novelty() gave ${novelty.length} scores for ${n} elites`);
    let any = false;
    for (let i = 0; i < n; i++) {
      const v = novelty[i]!;
      if (!(Number.isFinite(v) && v >= 0)) throw new RangeError(`info.novelty() must give finite scores of at least 0 (got ${v} for elite ${i})`);
      if (v > 0) any = true;
    }
    for (let i = 0; i < n; i++) weights[i] = any ? novelty[i]! + NOVELTY_FLOOR : 1;
    return weights;
  }
  const fitness = new Float64Array(n);
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const f = elites.at(i)!.fitness;
    fitness[i] = f;
    if (f < min) min = f;
    if (f > max) max = f;
  }
  switch (selection.strategy) {
    case 'fitness-proportional': {
      const floor = 0.01 * (max - min);
      for (let i = 0; i < n; i++) weights[i] = max === min ? 1 : fitness[i]! - min + floor;
      return weights;
    }
    case 'rank': {
      const order = new Uint32Array(n);
      for (let i = 0; i < n; i++) order[i] = i;
      order.sort((a, b) => (fitness[a]! > fitness[b]! ? -1 : fitness[a]! < fitness[b]! ? 1 : a - b));
      for (let r = 0; r < n; r++) weights[order[r]!] = (r + 1) ** -selection.exponent;
      return weights;
    }
    case 'score-children': {
      const median = medianOf(fitness.slice());
      const scale = max === min ? 1 : max - min;
      for (let i = 0; i < n; i++) {
        const id = elites.at(i)!.variantId;
        const children = info.children(id);
        if (!(Number.isFinite(children) && children >= 0)) throw new RangeError(`info.children("${id}") must be a finite count of at least 0 (got ${children})`);
        weights[i] = sigmoid((selection.sharpness * (fitness[i]! - median)) / scale) / (1 + children);
      }
      return weights;
    }
    default:
      throw new RangeError(`${selection.strategy} selection does not draw by weight`);
  }
}

/** Numerically stable logistic function: exp never overflows. */
function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** Median (mean of the two middle values when the count is even) in expected O(n); reorders `a`. */
function medianOf(a: Float64Array): number {
  const upper = a.length >> 1;
  const high = selectKth(a, upper);
  if (a.length % 2 === 1) return high;
  // selectKth leaves every value below position `upper` at most a[upper]: the lower middle is their max.
  let low = -Infinity;
  for (let i = 0; i < upper; i++) if (a[i]! > low) low = a[i]!;
  return (low + high) / 2;
}

/** Quickselect (Hoare partition, middle pivot): the k-th smallest value, with a[0..k) <= a[k] <= a(k..] afterwards. */
function selectKth(a: Float64Array, k: number): number {
  let left = 0;
  let right = a.length - 1;
  while (right > left) {
    const pivot = a[(left + right) >> 1]!;
    let i = left;
    let j = right;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!; a[i] = a[j]!; a[j] = t;
        i++; j--;
      }
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else break;
  }
  return a[k]!;
}

/** Count of values in ascending `sorted` below `x` (or at most `x` when `inclusive`). */
function bound(sorted: Float64Array, x: number, inclusive: boolean): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < x || (inclusive && sorted[mid]! === x)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
