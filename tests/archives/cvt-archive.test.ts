// Tests of CvtArchive and its centroids: hand-computed assignments and Lloyd steps, seeded k-means, 10,000 cells.
import test from 'ava';
import type { Elite } from '../../archives/archive.js';
import { archiveFromDescription } from '../../archives/archive-factory.js';
import { CvtArchive } from '../../archives/cvt-archive.js';
import { cvtCentroids, lloyd } from '../../archives/cvt-centroids.js';
import { rngFor } from '../../common/rng.js';

const unit = [{ name: 'x', min: 0, max: 1 }, { name: 'y', min: 0, max: 1 }];

function elite(variantId: string, fitness: number, descriptors: number[]): Elite {
  return { variantId, fitness, descriptors, iteration: 0 };
}

/*
 * Three centroids in the unit square: c0 = (0.25, 0.25), c1 = (0.75, 0.25), c2 = (0.5, 0.75).
 * Squared distances, by hand:
 *   (0.2, 0.3):  c0 0.0025 + 0.0025 = 0.005    c1 0.3025 + 0.0025 = 0.305   c2 0.09 + 0.2025 = 0.2925  -> 0
 *   (0.5, 0.25): c0 0.0625                     c1 0.0625                    c2 0.25                    -> 0 (tie with c1, lower index)
 *   (0.5, 0.5):  c0 0.0625 + 0.0625 = 0.125    c1 0.125                     c2 0.0625                  -> 2
 *   (0.9, 0.9):  c0 0.4225 + 0.4225 = 0.845    c1 0.0225 + 0.4225 = 0.445   c2 0.16 + 0.0225 = 0.1825  -> 2
 *   (0.9, 0.1):  c0 0.4225 + 0.0225 = 0.445    c1 0.0225 + 0.0225 = 0.045   c2 0.16 + 0.4225 = 0.5825  -> 1
 *   (1.5, -1), raw (pyribs' rule):   c0 1.5625 + 1.5625 = 3.125    c1 0.5625 + 1.5625 = 2.125   c2 1 + 3.0625 = 4.0625     -> 1
 *   (-Inf, Inf) is clipped to (0, 1): c0 0.0625 + 0.5625 = 0.625   c1 0.5625 + 0.5625 = 1.125   c2 0.25 + 0.0625 = 0.3125 -> 2, clipped
 */
const three = [[0.25, 0.25], [0.75, 0.25], [0.5, 0.75]];
const assignments: Array<[number[], number, boolean]> = [
  [[0.2, 0.3], 0, false],
  [[0.5, 0.25], 0, false],
  [[0.5, 0.5], 2, false],
  [[0.9, 0.9], 2, false],
  [[0.9, 0.1], 1, false],
  [[1.5, -1], 1, false],
  [[-Infinity, Infinity], 2, true],
];

for (const [descriptors, cell, clipped] of assignments) {
  test(`cellOf() puts (${descriptors}) in the cell of centroid ${cell}${clipped ? ', clipped' : ''}`, (t) => {
    t.deepEqual(new CvtArchive({ ranges: unit, centroids: three }).cellOf(descriptors), { cell, clipped });
  });
}

test('ties go to the lower centroid index whatever the order the centroids are listed in', (t) => {
  const archive = new CvtArchive({ ranges: unit, centroids: [[0.75, 0.5], [0.25, 0.5]] });
  t.deepEqual(archive.cellOf([0.5, 0.9]), { cell: 0, clipped: false });
});

test('add() on CVT cells follows the elitist rule and stores the raw descriptors', (t) => {
  const archive = new CvtArchive({ ranges: unit, centroids: three, qdOffset: -1 });
  t.deepEqual(archive.add(elite('a', 2, [1.5, -1])), { status: 'new', cell: 1, improvement: 3, clipped: false });
  t.deepEqual(archive.add(elite('b', 3, [0.9, 0.1])), { status: 'improved', cell: 1, improvement: 1, clipped: false, replaced: 'a' });
  t.deepEqual(archive.get(1), elite('b', 3, [0.9, 0.1]));
  t.deepEqual(archive.stats(), { filledCells: 1, totalCells: 3, coverage: 1 / 3, qdScore: 4, qdOffset: -1, bestFitness: 3, meanFitness: 3 });
});

/*
 * Lloyd by hand. Points (0,0) (0,1) (4,0) (4,1) (10,0); start c0 = (0,0), c1 = (0,1).
 * Iteration 1: (0,0)->c0; (0,1)->c1; (4,0)->c0 (16 < 17); (4,1)->c1 (16 < 17); (10,0)->c0 (100 < 101).
 *   c0 = mean of (0,0) (4,0) (10,0) = (14/3, 0); c1 = mean of (0,1) (4,1) = (2, 1).
 * Iteration 2: (0,0): c0 21.8, c1 5 -> c1; (0,1): 22.8 vs 4 -> c1; (4,0): 0.44 vs 5 -> c0;
 *   (4,1): 1.44 vs 4 -> c0; (10,0) -> c0. c0 = (18/3, 1/3) = (6, 1/3); c1 = (0, 0.5).
 * Iteration 3 assigns the same way, so the centroids stay.
 */
test('lloyd() moves the centroids as computed by hand, and stops moving at a fixed point', (t) => {
  const points = Float64Array.from([0, 0, 0, 1, 4, 0, 4, 1, 10, 0]);
  const start = Float64Array.from([0, 0, 0, 1]);
  t.deepEqual([...lloyd(points, 2, start, 0)], [0, 0, 0, 1]);
  t.deepEqual([...lloyd(points, 2, start, 1)], [14 / 3, 0, 2, 1]);
  t.deepEqual([...lloyd(points, 2, start, 2)], [6, 1 / 3, 0, 0.5]);
  t.deepEqual([...lloyd(points, 2, start, 3)], [6, 1 / 3, 0, 0.5]);
  t.deepEqual([...start], [0, 0, 0, 1]);
});

test('lloyd() leaves a centroid that gets no point where it is', (t) => {
  const points = Float64Array.from([0, 0, 1, 0]);
  t.deepEqual([...lloyd(points, 2, Float64Array.from([0, 0, 100, 100]), 5)], [0.5, 0, 100, 100]);
});

test('seeded k-means is a function of the rng: same stream, same centroids; another stream, others', (t) => {
  const make = (seed: number) => new CvtArchive({ ranges: unit, cells: 50, rng: rngFor(seed, 0, 'cvt'), samples: 1000, iterations: 5 }).centroids();
  t.deepEqual(make(1), make(1));
  t.notDeepEqual(make(1), make(2));
});

test('k-means centroids lie in the box, are distinct, and spread over it', (t) => {
  const ranges = [{ name: 'a', min: -2, max: 2 }, { name: 'b', min: 10, max: 11 }, { name: 'c', min: 0, max: 1 }];
  const centroids = new CvtArchive({ ranges, cells: 64, rng: rngFor(3, 0, 'cvt'), samples: 6400 }).centroids();
  t.is(centroids.length, 64);
  for (const c of centroids) c.forEach((v, d) => t.true(v >= ranges[d]!.min && v <= ranges[d]!.max, `${c}`));
  t.is(new Set(centroids.map((c) => c.join())).size, 64);
  // Each octant of the box holds some centroids: Lloyd spreads them out.
  const octants = new Set(centroids.map((c) => c.map((v, d) => (v < (ranges[d]!.min + ranges[d]!.max) / 2 ? 0 : 1)).join('')));
  t.is(octants.size, 8);
});

const badCentroidOptions: Array<[string, () => unknown, string]> = [
  ['zero cells', () => cvtCentroids(unit, 0, rngFor(1, 0, 'x')), 'cells must be a positive integer (got 0)'],
  ['fewer samples than cells', () => cvtCentroids(unit, 10, rngFor(1, 0, 'x'), { samples: 5 }), 'samples must be an integer >= cells (10), got 5'],
  ['negative iterations', () => cvtCentroids(unit, 10, rngFor(1, 0, 'x'), { iterations: -1 }), 'iterations must be a non-negative integer (got -1)'],
  ['a centroid of the wrong length', () => new CvtArchive({ ranges: unit, centroids: [[0, 0], [1]] }), 'centroid 1 must have 2 coordinates'],
  ['a non-finite centroid', () => new CvtArchive({ ranges: unit, centroids: [[0, NaN]] }), 'centroid 0 has a non-finite coordinate'],
  ['no centroids', () => new CvtArchive({ ranges: unit, centroids: [] }), 'centroids must be a non-empty list of points with 2 coordinates'],
  ['no dimension', () => new CvtArchive({ ranges: [], centroids: [[]] }), 'a CVT archive needs at least one dimension'],
  ['an empty range', () => new CvtArchive({ ranges: [{ name: 'x', min: 1, max: 1 }], cells: 3, rng: rngFor(1, 0, 'x') }), 'descriptor x: max must be greater than min'],
];
for (const [what, make, message] of badCentroidOptions) {
  test(`a CVT refuses ${what}`, (t) => {
    t.throws(make, { instanceOf: RangeError, message });
  });
}

test('centroids() and describe() expose the centroids for the run, as copies', (t) => {
  const archive = new CvtArchive({ ranges: unit, centroids: three, epsilon: 0.1 });
  const listed = archive.centroids();
  t.deepEqual(listed, three);
  listed[0]![0] = 99;
  t.deepEqual(archive.centroid(0), [0.25, 0.25]);
  t.deepEqual(archive.describe(), { kind: 'cvt', qdOffset: 0, epsilon: 0.1, clip: false, ranges: unit, centroids: three });
  t.throws(() => archive.centroid(3), { instanceOf: RangeError, message: 'no cell 3 (there are 3)' });
});

for (const dim of [2, 6]) {
  test(`with 10,000 centroids in ${dim}-D, lookups are exact and fast`, (t) => {
    const rng = rngFor(dim, 0, 'cvt/10k');
    const ranges = Array.from({ length: dim }, (_, d) => ({ name: `d${d}`, min: 0, max: 1 }));
    const centroids = Array.from({ length: 10_000 }, () => Array.from({ length: dim }, () => rng.next()));
    const archive = new CvtArchive({ ranges, centroids });
    const queries = Array.from({ length: 20_000 }, () => Array.from({ length: dim }, () => rng.next()));
    const t0 = performance.now();
    const cells = queries.map((q) => archive.cellOf(q)!.cell);
    const ms = performance.now() - t0;
    // A generous bound (measured around 100 ms in 6-D on a slow 2-core machine): a linear scan would take seconds.
    t.true(ms < 2000, `${ms} ms`);
    for (let i = 0; i < 300; i++) {
      const q = queries[i]!;
      let best = -1;
      let bestDistance = Infinity;
      centroids.forEach((c, k) => { const s = c.reduce((acc, v, d) => acc + (q[d]! - v) ** 2, 0); if (s < bestDistance) { bestDistance = s; best = k; } });
      if (cells[i] !== best) return t.fail(`query ${i}: cell ${cells[i]}, nearest centroid ${best}`);
    }
    t.pass();
  });
}

// A point beyond the box whose nearest centroid differs from its clipped twin's: A = (0.8, 0.5), B = (0.95, 0).
// Raw (3, 0.5): |p - A| = 2.2, |p - B| = sqrt(2.05² + 0.5²) ≈ 2.11, so B. Clipped (1, 0.5): |q - A| = 0.2, |q - B| ≈ 0.502, so A.
const pulled = [[0.8, 0.5], [0.95, 0]];

test('by default a CVT looks an out-of-range descriptor up where it is, as pyribs does, and does not flag it', (t) => {
  const archive = new CvtArchive({ ranges: unit, centroids: pulled });
  t.deepEqual(archive.cellOf([3, 0.5]), { cell: 1, clipped: false });
  t.deepEqual(archive.cellOf([1, 0.5]), { cell: 0, clipped: false });
  t.like(archive.add({ variantId: 'far', fitness: 1, descriptors: [3, 0.5], iteration: 0 }), { status: 'new', cell: 1, clipped: false });
  t.deepEqual(archive.get(1)?.descriptors, [3, 0.5]);
});

test('a CVT with clip clips an out-of-range descriptor to the box before the lookup, and flags it', (t) => {
  const archive = new CvtArchive({ ranges: unit, centroids: pulled, clip: true });
  t.deepEqual(archive.cellOf([3, 0.5]), { cell: 0, clipped: true });
  t.like(archive.describe(), { kind: 'cvt', clip: true });
});

test('a CVT clips ±Infinity to the box edge under either rule, since no distance to it can be measured', (t) => {
  for (const clip of [false, true]) {
    const archive = new CvtArchive({ ranges: unit, centroids: pulled, clip });
    t.deepEqual(archive.cellOf([Infinity, 0.5]), { cell: 0, clipped: true }, `clip ${clip}`);
    // (-Infinity, 0) becomes (0, 0): |A| ≈ 0.943 < |B| = 0.95.
    t.deepEqual(archive.cellOf([-Infinity, 0]), { cell: 0, clipped: true }, `clip ${clip}`);
  }
});

test('a stored CVT description without clip (a run made before the option) is rebuilt clipping, as it was made', (t) => {
  const old = archiveFromDescription({ kind: 'cvt', qdOffset: 0, epsilon: 0, ranges: unit, centroids: pulled });
  t.deepEqual(old.cellOf([3, 0.5]), { cell: 0, clipped: true });
  const fresh = archiveFromDescription(new CvtArchive({ ranges: unit, centroids: pulled }).describe());
  t.deepEqual(fresh.cellOf([3, 0.5]), { cell: 1, clipped: false });
});
