// Tests of parent selection: reproducibility from the rng, unchanged uniform and tournament draws, hand-computed weights of every strategy, draws that match them, novelty scores, and validation.
import test from 'ava';
import type { Elite } from '../../archives/archive.js';
import { noveltyScores, selectionWeights, selectParents, type SelectionInfo, type SelectionStrategy } from '../../archives/parent-selection.js';
import { rngFor, type Rng } from '../../common/rng.js';

type Candidate = Elite & { cell: number };

/** Ten elites in increasing cell order; e9 is the fittest. */
const elites: Candidate[] = Array.from({ length: 10 }, (_, k) => ({ variantId: `e${k}`, fitness: k, descriptors: [k], iteration: 0, cell: k * 3 }));

const uniform: SelectionStrategy = { strategy: 'uniform' };
const tournament3: SelectionStrategy = { strategy: 'tournament', size: 3 };
const proportional: SelectionStrategy = { strategy: 'fitness-proportional' };
const rank1: SelectionStrategy = { strategy: 'rank', exponent: 1 };
const scoreChildren: SelectionStrategy = { strategy: 'score-children', sharpness: 2 };
const novelty: SelectionStrategy = { strategy: 'novelty', neighbours: 2 };
const strategies = [uniform, tournament3, proportional, rank1, scoreChildren, novelty];

function ids(parents: Candidate[]): string[] {
  return parents.map((p) => p.variantId);
}

function candidate(k: number, fitness: number, descriptors: number[] = [k]): Candidate {
  return { variantId: `e${k}`, fitness, descriptors, iteration: 0, cell: k };
}

/** Info whose children count is `children[k]` for elite `e{k}` and whose novelty is `scores` (or kNN novelty of the descriptors). */
function infoFor(of: Candidate[], children: (k: number) => number = () => 0, scores?: number[]): SelectionInfo {
  return {
    children: (id) => children(Number(id.slice(1))),
    novelty: () => scores ?? noveltyScores(Float64Array.from(of.flatMap((e) => e.descriptors)), of.length, of[0]!.descriptors.length, 2),
  };
}

/** The ten elites' info: children k % 3, novelty of their 1-D descriptors. */
const tenInfo = infoFor(elites, (k) => k % 3);

function near(t: { true(v: boolean, m?: string): void }, actual: ArrayLike<number>, expected: number[], tolerance = 1e-12): void {
  t.true(actual.length === expected.length && expected.every((e, i) => Math.abs(actual[i]! - e) <= tolerance), `got [${Array.from(actual).join(', ')}], expected [${expected.join(', ')}]`);
}

for (const selection of strategies) {
  test(`${selection.strategy} selection gives the same parents for the same rng seed and different ones for another`, (t) => {
    const first = ids(selectParents(elites, 20, rngFor(7, 3, 'select'), selection, tenInfo));
    const again = ids(selectParents(elites, 20, rngFor(7, 3, 'select'), selection, tenInfo));
    const other = ids(selectParents(elites, 20, rngFor(8, 3, 'select'), selection, tenInfo));
    t.is(first.length, 20);
    t.deepEqual(again, first);
    t.notDeepEqual(other, first);
  });
}

// Recorded by running the code before the weighted strategies were added (commit 6e9c1bc): runs
// made with uniform or tournament selection must reproduce draw for draw.
const recorded = [
  { selection: uniform, parents: ['e2', 'e1', 'e0', 'e3', 'e5', 'e4', 'e9', 'e8', 'e6', 'e7', 'e9', 'e4'], ties: ['t0', 't3', 't4', 't1', 't5', 't2', 't0', 't0'],
    pairs: '31 46 07 35 15 50 75 54 94 90 50 35 68 15 03 95 14 39 69 69 03 61 78 40 95 73 23 10 47 54 29 60 51 64 59 70 14 15 49 74' },
  { selection: tournament3, parents: ['e2', 'e5', 'e9', 'e8', 'e3', 'e4', 'e6', 'e7', 'e4', 'e9', 'e7', 'e8'], ties: ['t0', 't4', 't5', 't2', 't1', 't2', 't2', 't5'],
    pairs: '68 65 74 59 57 58 76 53 98 96 58 57 96 57 39 91 49 97 97 95 47 67 85 46 97 76 83 16 79 56 96 68 72 63 96 78 48 56 96 79' },
];
for (const { selection, parents, ties, pairs } of recorded) {
  test(`${selection.strategy} selection draws exactly the parents it drew before the new strategies`, (t) => {
    t.deepEqual(ids(selectParents(elites, 12, rngFor(42, 7, 'select'), selection)), parents);
    // Six elites with fitness 0, 1, 2, 0, 1, 2: ties go to the first drawn.
    const tied = Array.from({ length: 6 }, (_, k) => ({ variantId: `t${k}`, fitness: k % 3, descriptors: [k], iteration: 0, cell: k }));
    t.deepEqual(ids(selectParents(tied, 8, rngFor(42, 8, 'select'), selection)), ties);
    const drawn = Array.from({ length: 40 }, (_, i) => selectParents(elites, 2, rngFor(9, i, 'select'), selection).map((p) => p.variantId.slice(1)).join(''));
    t.is(drawn.join(' '), pairs);
  });
}

/** The share of `draws` independent single-parent selections that pick `id`. */
function share(id: string, selection: SelectionStrategy, draws = 4000, from = elites, info?: SelectionInfo): number {
  let hits = 0;
  for (let k = 0; k < draws; k++) if (selectParents(from, 1, rngFor(2, k, 'select'), selection, info)[0]!.variantId === id) hits++;
  return hits / draws;
}

test('uniform selection reaches every elite', (t) => {
  const seen = new Set<string>();
  for (let k = 0; k < 200; k++) seen.add(selectParents(elites, 1, rngFor(1, k, 'select'), uniform)[0]!.variantId);
  t.deepEqual([...seen].sort(), elites.map((e) => e.variantId).sort());
});

test('tournament selection picks the fittest elite more often than uniform selection, more so as the size grows', (t) => {
  const uniformShare = share('e9', uniform);
  const size3 = share('e9', tournament3);
  const size8 = share('e9', { strategy: 'tournament', size: 8 });
  // Expected shares: 1/10 uniform, 1 - 0.9^3 = 0.271 for size 3, 1 - 0.9^8 = 0.570 for size 8.
  t.true(Math.abs(uniformShare - 0.1) < 0.03, `uniform ${uniformShare}`);
  t.true(Math.abs(size3 - 0.271) < 0.04, `size 3 ${size3}`);
  t.true(size8 > size3 && size3 > uniformShare, `${uniformShare} < ${size3} < ${size8}`);
});

test('a tournament of size 8 picks the weakest elite far less often than uniform selection', (t) => {
  // The weakest wins a tournament only if every draw hits it: (1/10)^8 per pick.
  t.is(share('e0', { strategy: 'tournament', size: 8 }), 0);
  t.true(share('e0', uniform) > 0.05);
});

test('two uniformly selected parents are distinct when the archive holds several elites', (t) => {
  for (let k = 0; k < 200; k++) {
    const [a, b] = selectParents(elites, 2, rngFor(6, k, 'select'), uniform);
    t.not(a!.cell, b!.cell, `seed ${k}`);
  }
});

test('two parents drawn by weight are distinct too', (t) => {
  for (const selection of [proportional, rank1, scoreChildren, novelty]) {
    for (let k = 0; k < 100; k++) {
      const [a, b] = selectParents(elites, 2, rngFor(6, k, 'select'), selection, tenInfo);
      t.not(a!.cell, b!.cell, `${selection.strategy} seed ${k}`);
    }
  }
});

test('a single elite is picked as often as asked', (t) => {
  const one = elites.slice(4, 5);
  for (const selection of strategies) t.deepEqual(ids(selectParents(one, 3, rngFor(6, 0, 'select'), selection, infoFor(one))), ['e4', 'e4', 'e4'], selection.strategy);
});

test('selectParents() returns exactly count parents, all of them elites', (t) => {
  const parents = selectParents(elites, 2, rngFor(4, 0, 'select'), uniform);
  t.is(parents.length, 2);
  for (const p of parents) t.true(elites.includes(p));
  t.deepEqual(selectParents(elites, 0, rngFor(4, 0, 'select'), uniform), []);
});

test('selectParents() from an empty archive throws', (t) => {
  for (const selection of strategies) {
    t.throws(() => selectParents([], 1, rngFor(5, 0, 'select'), selection, tenInfo), { instanceOf: RangeError, message: 'cannot select parents from an empty archive' });
  }
});

/** Four elites, cells 0-3, fitness 2, -1, 5, 2: a negative fitness and a tie. */
const four = [candidate(0, 2), candidate(1, -1), candidate(2, 5), candidate(3, 2)];
/** Children made so far from e0..e3. */
const fourChildren = [0, 0, 3, 1];
const fourInfo = infoFor(four, (k) => fourChildren[k]!, [0.5, 0, 1.5, 0]);
const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

const expectations: Array<{ title: string; selection: SelectionStrategy; of?: Candidate[]; info?: SelectionInfo; expected: number[]; tolerance?: number }> = [
  { title: 'uniform: 1/4 each', selection: uniform, expected: [0.25, 0.25, 0.25, 0.25] },
  // Sorted fitness -1, 2, 2, 5; P(win) = (P(draw <= f)^2 - P(draw < f)^2) / (number tied at f):
  // e1 (1/4)^2 = 1/16; e0, e3 ((3/4)^2 - (1/4)^2) / 2 = 1/4 each; e2 1 - (3/4)^2 = 7/16.
  { title: 'tournament of 2: order statistics, ties shared', selection: { strategy: 'tournament', size: 2 }, expected: [0.25, 0.0625, 0.4375, 0.25] },
  { title: 'tournament of 1: uniform', selection: { strategy: 'tournament', size: 1 }, expected: [0.25, 0.25, 0.25, 0.25] },
  // min -1, max 5, floor 0.06: weights 3.06, 0.06, 6.06, 3.06, total 12.24.
  { title: 'fitness-proportional: fitness - min + 1% of the range', selection: proportional, expected: [0.25, 0.06 / 12.24, 6.06 / 12.24, 0.25] },
  { title: 'fitness-proportional: equal fitness is uniform', selection: proportional, of: [candidate(0, -3), candidate(1, -3), candidate(2, -3)], expected: [1 / 3, 1 / 3, 1 / 3] },
  // Ranks e2 0, e0 1, e3 2 (the tie goes to the lower cell), e1 3: weights 1/2, 1/4, 1, 1/3, total 25/12.
  { title: 'rank, exponent 1', selection: rank1, expected: [6 / 25, 3 / 25, 12 / 25, 4 / 25] },
  // Weights 1/4, 1/16, 1, 1/9, total 205/144.
  { title: 'rank, exponent 2', selection: { strategy: 'rank', exponent: 2 }, expected: [36 / 205, 9 / 205, 144 / 205, 16 / 205] },
  { title: 'rank, exponent 0: uniform', selection: { strategy: 'rank', exponent: 0 }, expected: [0.25, 0.25, 0.25, 0.25] },
  // Median (2 + 2) / 2 = 2, scale 6, sharpness 2: s = sigmoid(0), sigmoid(-1), sigmoid(1), sigmoid(0);
  // h = 1, 1, 1/4, 1/2: weights 0.5, 0.26894, 0.18276, 0.25, total 1.20171 -> 0.41608, 0.22380, 0.15209, 0.20804.
  { title: 'score-children: sigmoid around the median times 1 / (1 + children)', selection: scoreChildren, info: fourInfo,
    expected: [0.5 / 1.2017060660274963, 0.2689414213699951 / 1.2017060660274963, 0.18276464465750122 / 1.2017060660274963, 0.25 / 1.2017060660274963] },
  // Odd count: the median is the middle fitness 1 (the mean would be 11/3), scale 10, sharpness 1:
  // s = sigmoid(-0.1), sigmoid(0), sigmoid(0.9) = 0.47502, 0.5, 0.71095 -> 0.28175, 0.29657, 0.42169.
  { title: 'score-children: odd count, median not mean', selection: { strategy: 'score-children', sharpness: 1 }, of: [candidate(0, 0), candidate(1, 1), candidate(2, 10)],
    info: infoFor([], () => 0, []), expected: [0.28174921483116777, 0.29656512662661116, 0.42168565854222106] },
  // Even count 0, 1, 3, 10: median (1 + 3) / 2 = 2, scale 10, sharpness 10: s = sigmoid(-2), sigmoid(-1), sigmoid(1), sigmoid(8).
  { title: 'score-children: even count, mean of the middle two', selection: { strategy: 'score-children', sharpness: 10 }, of: [candidate(0, 0), candidate(1, 1), candidate(2, 3), candidate(3, 10)],
    info: infoFor([], () => 0, []), expected: [0.056257844333186584, 0.12692696086235045, 0.3450232512536596, 0.47179194355080334] },
  // max == min: scale 1, every s = sigmoid(0) = 1/2, so the weights are h = 1, 1/2, 1/4 -> 4/7, 2/7, 1/7.
  { title: 'score-children: equal fitness leaves only the children factor', selection: scoreChildren, of: [candidate(0, 4), candidate(1, 4), candidate(2, 4)],
    info: infoFor([], (k) => [0, 1, 3][k]!, []), expected: [4 / 7, 2 / 7, 1 / 7] },
  // Novelty 0.5, 0, 1.5, 0 plus 1e-12 each, total 2 + 4e-12: about 0.25, 5e-13, 0.75 - 1e-12, 5e-13.
  { title: 'novelty: proportional to novelty, zero novelty keeps a tiny chance', selection: novelty, info: fourInfo,
    expected: [(0.5 + 1e-12) / (2 + 4e-12), 1e-12 / (2 + 4e-12), (1.5 + 1e-12) / (2 + 4e-12), 1e-12 / (2 + 4e-12)], tolerance: 1e-15 },
  { title: 'novelty: all zero is uniform', selection: novelty, info: infoFor([], () => 0, [0, 0, 0, 0]), expected: [0.25, 0.25, 0.25, 0.25] },
];

for (const { title, selection, of = four, info = fourInfo, expected, tolerance } of expectations) {
  test(`selectionWeights() by hand: ${title}`, (t) => {
    near(t, selectionWeights(of, selection, info), expected, tolerance);
  });
}

test('a zero novelty keeps a positive chance below 1e-11', (t) => {
  const weights = selectionWeights(four, novelty, fourInfo);
  t.true(weights[1]! > 0 && weights[1]! < 1e-11, `${weights[1]}`);
});

test('selectionWeights() of no elites is empty and of any strategy sums to 1', (t) => {
  for (const selection of strategies) {
    t.deepEqual(selectionWeights([], selection, infoFor([], () => 0, [])), []);
    const sum = selectionWeights(elites, selection, tenInfo).reduce((a, b) => a + b, 0);
    t.true(Math.abs(sum - 1) < 1e-12, `${selection.strategy} ${sum}`);
  }
});

// 20,000 independent single draws per case: a share estimates p with standard deviation
// sqrt(p(1 - p) / 20000) <= 0.0036; allowing 5 of them keeps a correct implementation inside
// (P(|z| > 5) = 6e-7 per share) while a wrong weight by 2 points or more (or a draw that ignores
// ties, the cumulative order or the floor) lands outside. Seeds are fixed, so the outcome is too.
const draws = 20_000;
const frequencyCases: Array<{ selection: SelectionStrategy; info?: SelectionInfo }> = [
  { selection: { strategy: 'tournament', size: 2 } },
  { selection: proportional },
  { selection: rank1 },
  { selection: { strategy: 'rank', exponent: 2 } },
  { selection: scoreChildren, info: fourInfo },
  { selection: novelty, info: fourInfo },
];
for (const { selection, info = fourInfo } of frequencyCases) {
  test(`${JSON.stringify(selection).replace(/"/g, '')}: the shares of ${draws} draws match selectionWeights()`, (t) => {
    const expected = selectionWeights(four, selection, info);
    const hits = [0, 0, 0, 0];
    for (let k = 0; k < draws; k++) hits[selectParents(four, 1, rngFor(11, k, 'select'), selection, info)[0]!.cell]!++;
    for (let i = 0; i < 4; i++) {
      const p = expected[i]!;
      const tolerance = 5 * Math.sqrt((p * (1 - p)) / draws);
      t.true(Math.abs(hits[i]! / draws - p) <= tolerance, `e${i}: ${hits[i]! / draws} vs ${p} +- ${tolerance}`);
    }
  });
}

/** A scripted rng: next() returns the given numbers in order; int() must not be used by weighted draws. */
function scripted(values: number[]): Rng & { used: number } {
  const rng = {
    used: 0,
    next: () => {
      if (rng.used >= values.length) throw new Error('script exhausted');
      return values[rng.used++]!;
    },
    int: () => { throw new Error('int() used'); },
    normal: () => { throw new Error('normal() used'); },
    uint32: () => { throw new Error('uint32() used'); },
  };
  return rng;
}

test('a weighted draw takes one rng.next() and walks the cumulative weights in elites order', (t) => {
  // rank 1 on `four`: weights 1/2, 1/4, 1, 1/3 in cell order, cumulative 0.5, 0.75, 1.75, 2.0833 of 25/12.
  // u = next * 25/12: 0.1 -> 0.208 (e0), 0.3 -> 0.625 (e1), 0.5 -> 1.042 (e2), 0.9 -> 1.875 (e3).
  const rng = scripted([0.1, 0.3, 0.5, 0.9]);
  t.deepEqual(ids(selectParents(four, 4, rng, rank1)), ['e0', 'e1', 'e2', 'e3']);
  t.is(rng.used, 4);
});

test('an elite of zero weight is never drawn, even when rng.next() returns 0', (t) => {
  // Rank with exponent 2000: the weaker elite's weight 2^-2000 underflows to 0, and it comes first.
  const of = [candidate(0, 0), candidate(1, 5)];
  const selection: SelectionStrategy = { strategy: 'rank', exponent: 2000 };
  t.deepEqual(selectionWeights(of, selection), [0, 1]);
  t.deepEqual(ids(selectParents(of, 1, scripted([0]), selection)), ['e1']);
  t.deepEqual(ids(selectParents(of.slice().reverse(), 1, scripted([1 - 2 ** -53]), selection)), ['e1']);
});

test('a weighted draw that repeats a parent is redrawn, at most 8 times', (t) => {
  // 0.12 -> u = 0.25, e0 again: redrawn; 0.3 -> e1.
  const redrawn = scripted([0.1, 0.12, 0.3]);
  t.deepEqual(ids(selectParents(four, 2, redrawn, rank1)), ['e0', 'e1']);
  t.is(redrawn.used, 3);
  // The first draw and then 1 + 8 draws of e0: the ninth repeat is kept.
  const stuck = scripted(Array.from({ length: 10 }, () => 0.05));
  t.deepEqual(ids(selectParents(four, 2, stuck, rank1)), ['e0', 'e0']);
  t.is(stuck.used, 10);
});

test('weights are computed once per call: novelty asked once, children once per elite, neither for uniform', (t) => {
  let noveltyCalls = 0;
  let childrenCalls = 0;
  const counting: SelectionInfo = {
    children: (id) => { childrenCalls++; return tenInfo.children(id); },
    novelty: () => { noveltyCalls++; return tenInfo.novelty(); },
  };
  selectParents(elites, 5, rngFor(3, 0, 'select'), novelty, counting);
  t.is(noveltyCalls, 1);
  selectParents(elites, 5, rngFor(3, 0, 'select'), scoreChildren, counting);
  t.is(childrenCalls, elites.length);
  selectParents(elites, 5, rngFor(3, 0, 'select'), uniform, counting);
  selectParents(elites, 5, rngFor(3, 0, 'select'), tournament3, counting);
  t.deepEqual([noveltyCalls, childrenCalls], [1, elites.length]);
});

test('score-children picks an unexplored elite more often than an equally fit explored one, and a fit one more than an unfit one', (t) => {
  // e0 and e1 tie at the top; e0 already has 4 children, e1 none. e2 and e3 are unexplored, 0.5 and 0.
  const of = [candidate(0, 1), candidate(1, 1), candidate(2, 0.5), candidate(3, 0)];
  const info = infoFor(of, (k) => (k === 0 ? 4 : 0), []);
  const selection: SelectionStrategy = { strategy: 'score-children', sharpness: 4 };
  const [explored, unexplored, middling, unfit] = ['e0', 'e1', 'e2', 'e3'].map((id) => share(id, selection, 4000, of, info)) as [number, number, number, number];
  t.true(unexplored > 2 * explored, `unexplored ${unexplored}, explored ${explored}`);
  t.true(unexplored > middling && middling > unfit, `${unexplored} > ${middling} > ${unfit}`);
  const weights = selectionWeights(of, selection, info);
  t.true(Math.abs(weights[1]! / weights[0]! - 5) < 1e-12, 'h = 1 / (1 + 4): one fifth of the chance');
});

test('novelty selection favours an isolated elite', (t) => {
  const of = [candidate(0, 9, [0, 0]), candidate(1, 9, [0.01, 0]), candidate(2, 9, [0, 0.01]), candidate(3, 9, [0.01, 0.01]), candidate(4, 0, [1, 1])];
  const info = infoFor(of);
  const isolated = share('e4', novelty, 4000, of, info);
  // Novelty about 0.01 in the cluster against about 1.4 for e4: e4 takes about 97% of the draws.
  t.true(isolated > 0.9, `${isolated}`);
  t.true(share('e4', uniform, 4000, of) < 0.3);
});

test('noveltyScores() by hand on 1-D points 0, 1, 3, 7', (t) => {
  const line = Float64Array.from([0, 1, 3, 7]);
  // Nearest: 0 -> 1, 1 -> 0, 3 -> 1, 7 -> 3.
  near(t, noveltyScores(line, 4, 1, 1), [1, 1, 2, 4]);
  // Two nearest: {1, 3}, {1, 2}, {2, 3}, {4, 6}.
  near(t, noveltyScores(line, 4, 1, 2), [2, 1.5, 2.5, 5]);
  // k = 3 and k = 5 both average all three others: {1, 3, 7}, {1, 2, 6}, {3, 2, 4}, {7, 6, 4}.
  for (const k of [3, 5]) near(t, noveltyScores(line, 4, 1, k), [11 / 3, 3, 3, 17 / 3]);
});

test('noveltyScores() by hand on 2-D points', (t) => {
  // A (0,0), B (3,4), C (0,4), D (10,10): AB 5, AC 4, BC 3, AD sqrt 200, BD sqrt 85, CD sqrt 136.
  const points = Float64Array.from([0, 0, 3, 4, 0, 4, 10, 10]);
  near(t, noveltyScores(points, 4, 2, 1), [4, 3, 3, Math.sqrt(85)]);
  near(t, noveltyScores(points, 4, 2, 2), [4.5, 4, 3.5, (Math.sqrt(85) + Math.sqrt(136)) / 2]);
});

test('noveltyScores() counts a duplicate as another point and never the point itself', (t) => {
  near(t, noveltyScores(Float64Array.from([0, 0, 0, 0, 1, 0]), 3, 2, 1), [0, 0, 1]);
});

test('noveltyScores() of one point is 0, of none is empty', (t) => {
  near(t, noveltyScores(Float64Array.from([0.3, 0.7]), 1, 2, 3), [0]);
  t.is(noveltyScores(new Float64Array(0), 0, 2, 3).length, 0);
});

test('noveltyScores() agrees with sorting every distance, on random 3-D points', (t) => {
  const rng = rngFor(5, 0, 'points');
  const n = 40;
  const coords = Float64Array.from({ length: n * 3 }, () => rng.next());
  for (const k of [1, 4, 15]) {
    const expected = Array.from({ length: n }, (_, i) => {
      const d = Array.from({ length: n }, (_, j) => Math.hypot(coords[i * 3]! - coords[j * 3]!, coords[i * 3 + 1]! - coords[j * 3 + 1]!, coords[i * 3 + 2]! - coords[j * 3 + 2]!));
      d.splice(i, 1);
      return d.sort((a, b) => a - b).slice(0, k).reduce((a, b) => a + b, 0) / k;
    });
    near(t, noveltyScores(coords, n, 3, k), expected, 1e-12);
  }
});

const invalid: Array<[SelectionStrategy, string]> = [
  [{ strategy: 'tournament', size: 0 }, 'tournament size must be an integer of at least 1 (got 0)'],
  [{ strategy: 'tournament', size: 2.5 }, 'tournament size must be an integer of at least 1 (got 2.5)'],
  [{ strategy: 'rank', exponent: -0.5 }, 'rank exponent must be a finite number of at least 0 (got -0.5)'],
  [{ strategy: 'rank', exponent: Infinity }, 'rank exponent must be a finite number of at least 0 (got Infinity)'],
  [{ strategy: 'rank', exponent: NaN }, 'rank exponent must be a finite number of at least 0 (got NaN)'],
  [{ strategy: 'score-children', sharpness: 0 }, 'score-children sharpness must be a finite number above 0 (got 0)'],
  [{ strategy: 'score-children', sharpness: -1 }, 'score-children sharpness must be a finite number above 0 (got -1)'],
  [{ strategy: 'score-children', sharpness: NaN }, 'score-children sharpness must be a finite number above 0 (got NaN)'],
  [{ strategy: 'novelty', neighbours: 0 }, 'novelty neighbours must be an integer of at least 1 (got 0)'],
  [{ strategy: 'novelty', neighbours: 1.5 }, 'novelty neighbours must be an integer of at least 1 (got 1.5)'],
  [{ strategy: 'roulette' } as unknown as SelectionStrategy, 'unknown selection strategy "roulette"'],
];
for (const [selection, message] of invalid) {
  test(`an invalid strategy is refused: ${message}`, (t) => {
    t.throws(() => selectParents(elites, 2, rngFor(1, 0, 'select'), selection, tenInfo), { instanceOf: RangeError, message });
    t.throws(() => selectionWeights(elites, selection, tenInfo), { instanceOf: RangeError, message });
  });
}

test('strategies that need info refuse to run without it', (t) => {
  for (const selection of [scoreChildren, novelty]) {
    const message = `the ${selection.strategy} strategy needs selection info (children counts and novelty) and none was given`;
    t.throws(() => selectParents(elites, 2, rngFor(1, 0, 'select'), selection), { instanceOf: RangeError, message });
    t.throws(() => selectionWeights(elites, selection), { instanceOf: RangeError, message });
  }
});

test('bad info is refused: a novelty per elite, children counts of at least 0', (t) => {
  t.throws(() => selectParents(four, 1, rngFor(1, 0, 'select'), novelty, infoFor(four, () => 0, [1, 2])), { instanceOf: RangeError, message: 'info.novelty() gave 2 scores for 4 elites' });
  t.throws(() => selectionWeights(four, novelty, infoFor(four, () => 0, [1, NaN, 0, 0])), { instanceOf: RangeError, message: 'info.novelty() must give finite scores of at least 0 (got NaN for elite 1)' });
  t.throws(() => selectParents(four, 1, rngFor(1, 0, 'select'), scoreChildren, infoFor(four, () => -1)), { instanceOf: RangeError, message: 'info.children("e0") must be a finite count of at least 0 (got -1)' });
});

test('noveltyScores() refuses inconsistent sizes and k below 1', (t) => {
  t.throws(() => noveltyScores(new Float64Array(5), 3, 2, 1), { instanceOf: RangeError, message: '5 coordinates are not 3 points of 2' });
  t.throws(() => noveltyScores(new Float64Array(6), 3, 2, 0), { instanceOf: RangeError, message: 'novelty neighbours must be an integer of at least 1 (got 0)' });
  t.throws(() => noveltyScores(new Float64Array(6), 3, 2, 1.5), { instanceOf: RangeError, message: 'novelty neighbours must be an integer of at least 1 (got 1.5)' });
  t.throws(() => noveltyScores(new Float64Array(6), 1.5, 4, 1), { instanceOf: RangeError, message: 'novelty needs integer counts of points and coordinates (got 1.5 and 4)' });
});
