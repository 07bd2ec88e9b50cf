// Tests of NoveltyArchive: hand-computed k-nearest-neighbour novelty, the acceptance threshold, batches and its result archive.
import test from 'ava';
import type { Elite } from '../../archives/archive.js';
import { CvtArchive } from '../../archives/cvt-archive.js';
import { GridArchive } from '../../archives/grid-archive.js';
import { NoveltyArchive } from '../../archives/novelty-archive.js';
import { SoftArchive } from '../../archives/soft-archive.js';
import { rngFor } from '../../common/rng.js';

// Both ranges are [0, 8], so normalised coordinates are v / 8, exact in binary; 2 x 2 result cells.
const dimensions = [{ name: 'x', min: 0, max: 8, bins: 2 }, { name: 'y', min: 0, max: 8, bins: 2 }];

function elite(variantId: string, fitness: number, descriptors: number[]): Elite {
  return { variantId, fitness, descriptors, iteration: 0 };
}

function novelty(neighbours = 2, threshold = 0.5): NoveltyArchive {
  return new NoveltyArchive({ result: new GridArchive({ dimensions }), neighbours, threshold });
}

/*
 * k = 2, threshold 0.5, by hand (normalised points):
 *   a (0, 0):     nothing stored yet: novelty Infinity, stored as cell 0
 *   b (0, 0.5):   only a is stored, so k = 1: distance 0.5 >= 0.5, stored as cell 1
 *   c (0.375, 0.5): to b 0.375, to a sqrt(0.140625 + 0.25) = 0.625: mean 0.5, stored as cell 2
 *   d (0, 0.125): to a 0.125, to b 0.375 (c is 0.53): mean 0.25 < 0.5, rejected
 */
test('add() stores points whose mean distance to the k nearest reaches the threshold, as computed by hand', (t) => {
  const archive = novelty();
  const a = archive.add(elite('a', 1, [0, 0]));
  t.like(a, { status: 'new', cell: 0, improvement: 1, novelty: Infinity });
  t.like(archive.add(elite('b', 2, [0, 4])), { status: 'new', cell: 1, novelty: 0.5 });
  t.like(archive.add(elite('c', 3, [3, 4])), { status: 'new', cell: 2, novelty: 0.5 });
  const d = archive.add(elite('d', 5, [0, 1]));
  t.deepEqual(d, {
    status: 'rejected', cell: null, reason: 'novelty 0.25 is below the threshold 0.5', clipped: false, novelty: 0.25,
    resultArchive: { status: 'improved', cell: 0, improvement: 4, clipped: false, replaced: 'a' },
  });
  t.deepEqual(archive.elites().map((e) => [e.cell, e.variantId]), [[0, 'a'], [1, 'b'], [2, 'c']]);
  // The result archive took every elite by the elitist rule: cell 0 is d now, cell 1 holds c (3 > 2).
  t.deepEqual(archive.result.elites().map((e) => [e.cell, e.variantId]), [[0, 'd'], [1, 'c']]);
});

test('a batch is measured against the points before it, and every novel enough elite is stored', (t) => {
  const archive = novelty();
  archive.addBatch([elite('a', 1, [0, 0])]);
  archive.add(elite('b', 2, [0, 4]));
  archive.add(elite('c', 3, [3, 4]));
  // e and f are the same point (1, 1); against a, b, c the two nearest are c (0.8) and b (1.118): novel.
  // Measured one after the other, f would be at distance 0 from e; in a batch both go in.
  const results = archive.addBatch([elite('e', 4, [8, 8]), elite('f', 6, [8, 8]), elite('g', 1, [0, 0.5])]);
  t.deepEqual(results.map((r) => [r.status, r.cell]), [['new', 3], ['new', 4], ['rejected', null]]);
  t.true(Math.abs(results[0]!.novelty! - (Math.sqrt(0.640625) + Math.sqrt(1.25)) / 2) < 1e-15);
  // In the result archive, e and f both found cell 3 empty; f, the fitter, holds it.
  t.deepEqual(results.map((r) => r.resultArchive.status), ['new', 'new', 'rejected']);
  t.is(archive.result.get(3)?.variantId, 'f');
  // 1 + 2 + 3 + 4 + 6 stored; coverage is 1 once anything is stored, as in pyribs.
  t.deepEqual(archive.stats(), { filledCells: 5, totalCells: 5, coverage: 1, qdScore: 16, qdOffset: 0, bestFitness: 6, meanFitness: 16 / 5 });
  t.like(archive.best(), { variantId: 'f', cell: 4 });
});

test('an empty novelty archive has coverage 0 and no nearest point', (t) => {
  const archive = novelty();
  t.deepEqual(archive.stats(), { filledCells: 0, totalCells: 0, coverage: 0, qdScore: 0, qdOffset: 0, bestFitness: null, meanFitness: null });
  t.is(archive.cellOf([1, 1]), null);
  t.is(archive.novelty([1, 1]), Infinity);
});

test('cellOf() is the nearest stored point, the first on ties, with the clipping flag', (t) => {
  const archive = novelty(1, 0);
  archive.add(elite('a', 1, [0, 0]));
  archive.add(elite('b', 1, [8, 0]));
  t.deepEqual(archive.cellOf([6, 1]), { cell: 1, clipped: false });
  t.deepEqual(archive.cellOf([4, 3]), { cell: 0, clipped: false });
  t.deepEqual(archive.cellOf([20, -5]), { cell: 1, clipped: true });
  t.is(archive.cellOf([NaN, 0]), null);
});

test('distances are normalised by the ranges and clip outside them', (t) => {
  const archive = new NoveltyArchive({ result: new CvtArchive({ ranges: [{ name: 'x', min: 0, max: 100 }, { name: 'y', min: 0, max: 1 }], centroids: [[50, 0.5]] }), neighbours: 1, threshold: 0 });
  archive.add(elite('a', 1, [0, 0]));
  // (50, 0) is half the x range away: 0.5; (1000, 0) is clipped to (100, 0): 1.
  t.is(archive.novelty([50, 0]), 0.5);
  t.is(archive.novelty([1000, 0]), 1);
  t.is(archive.novelty([0, 1]), 1);
});

test('two different values of a categorical dimension are at distance 1', (t) => {
  const result = new GridArchive({ dimensions: [{ name: 'x', min: 0, max: 1, bins: 2 }, { name: 'shape', values: ['circle', 'square', 'star'] }] });
  const archive = new NoveltyArchive({ result, neighbours: 1, threshold: 0 });
  archive.add(elite('a', 1, [0, 0]));
  t.true(Math.abs(archive.novelty([0, 1])! - 1) < 1e-15);
  t.true(Math.abs(archive.novelty([0, 2])! - 1) < 1e-15);
  t.is(archive.novelty([0, 0]), 0);
  t.is(archive.novelty([0, 3]), null);
});

test('novelty is the mean of the k smallest distances, checked against sorting on random points', (t) => {
  const rng = rngFor(1, 0, 'novelty/knn');
  const archive = novelty(5, 0);
  const points: number[][] = [];
  for (let k = 0; k < 300; k++) {
    const p = [rng.next() * 8, rng.next() * 8];
    const want = points.length === 0 ? Infinity : (() => {
      const ds = points.map((q) => Math.hypot((p[0]! - q[0]!) / 8, (p[1]! - q[1]!) / 8)).sort((x, y) => x - y).slice(0, 5);
      return ds.reduce((s, d) => s + d, 0) / ds.length;
    })();
    const got = archive.add(elite(`v${k}`, 1, p)).novelty!;
    if (!(got === want || Math.abs(got - want) < 1e-12)) return t.fail(`point ${k}: ${got} vs ${want}`);
    points.push(p);
  }
  t.is(archive.totalCells, 300);
});

test('an invalid elite is rejected by both halves with no novelty', (t) => {
  t.deepEqual(novelty().add(elite('v', NaN, [1, 1])), {
    status: 'rejected', cell: null, reason: 'fitness is NaN', clipped: false, novelty: null,
    resultArchive: { status: 'rejected', cell: null, reason: 'fitness is NaN', clipped: false },
  });
});

test('describe() gives k, the threshold and the result archive', (t) => {
  t.deepEqual(novelty(3, 0.25).describe(), { kind: 'novelty', neighbours: 3, threshold: 0.25, result: new GridArchive({ dimensions }).describe() });
});

const badOptions: Array<[string, () => unknown, string]> = [
  ['zero neighbours', () => novelty(0), 'neighbours must be a positive integer (got 0)'],
  ['fractional neighbours', () => novelty(1.5), 'neighbours must be a positive integer (got 1.5)'],
  ['a negative threshold', () => novelty(2, -1), 'threshold must be a finite number >= 0 (got -1)'],
  ['a NaN threshold', () => novelty(2, NaN), 'threshold must be a finite number >= 0 (got NaN)'],
  ['a soft result archive', () => new NoveltyArchive({ result: new SoftArchive({ result: new GridArchive({ dimensions }), learningRate: 1, thresholdMin: -Infinity }), neighbours: 1, threshold: 0 }), 'the result archive of a novelty archive must be a grid or CVT archive'],
  ['a result archive that is not empty', () => {
    const result = new GridArchive({ dimensions });
    result.add(elite('a', 1, [1, 1]));
    return new NoveltyArchive({ result, neighbours: 1, threshold: 0 });
  }, 'the result archive of a novelty archive must start empty'],
];
for (const [what, make, message] of badOptions) {
  test(`the constructor refuses ${what}`, (t) => {
    t.throws(make, { instanceOf: RangeError, message });
  });
}
