// Tests of the elitist rule shared by GridArchive and CvtArchive: epsilon for ties and batches, with hand-computed expectations.
import test from 'ava';
import type { Elite } from '../../archives/archive.js';
import { GridArchive } from '../../archives/grid-archive.js';
import { rngFor } from '../../common/rng.js';

// 5 x 4 = 20 cells as in grid-archive.test.ts: cell = xBin * 4 + yBin, x bins 2 wide over [0, 10], y bins 0.5 wide over [-1, 1].
const dimensions = [{ name: 'x', min: 0, max: 10, bins: 5 }, { name: 'y', min: -1, max: 1, bins: 4 }];
const A = [3, 0.2]; // x bin 1, y bin 2: cell 6
const B = [9, 0.9]; // x bin 4, y bin 3: cell 19
const C = [0.5, -0.75]; // x bin 0, y bin 0: cell 0

function elite(variantId: string, fitness: number, descriptors: number[], iteration = 0): Elite {
  return { variantId, fitness, descriptors, iteration };
}

test('with epsilon, a challenger must beat the incumbent by more than epsilon', (t) => {
  const archive = new GridArchive({ dimensions, epsilon: 0.5 });
  archive.add(elite('a', 5, A));
  // 5.25 - 5 = 0.25 and 5.5 - 5 = 0.5 are not more than 0.5; 5.75 - 5 = 0.75 is.
  t.deepEqual(archive.add(elite('b', 5.25, A)), { status: 'rejected', cell: 6, reason: 'not better than the elite (5) by more than 0.5', clipped: false });
  t.deepEqual(archive.add(elite('c', 5.5, A)), { status: 'rejected', cell: 6, reason: 'not better than the elite (5) by more than 0.5', clipped: false });
  t.deepEqual(archive.add(elite('d', 5.75, A)), { status: 'improved', cell: 6, improvement: 0.75, clipped: false, replaced: 'a' });
  t.is(archive.get(6)?.variantId, 'd');
});

test('epsilon 0 is the default: a tie keeps the incumbent, any higher fitness replaces it', (t) => {
  const archive = new GridArchive({ dimensions });
  t.is(archive.epsilon, 0);
  archive.add(elite('a', 5, A));
  t.like(archive.add(elite('tie', 5, A)), { status: 'rejected', reason: 'not better than the elite (5)' });
  t.like(archive.add(elite('up', 5.000000000000001, A)), { status: 'improved', replaced: 'a' });
});

test('epsilon guards incumbents, not batch-mates: the best accepted elite of a batch wins its cell', (t) => {
  const archive = new GridArchive({ dimensions, epsilon: 1 });
  archive.add(elite('old', 5, A));
  const results = archive.addBatch([elite('x', 6.5, A), elite('y', 6.75, A), elite('z', 5.5, A)]);
  // Against old (5): 1.5 and 1.75 are more than 1; 0.5 is not.
  t.deepEqual(results.map((r) => r.status), ['improved', 'improved', 'rejected']);
  t.is(archive.get(6)?.variantId, 'y');
});

test('the constructor refuses a negative or non-finite epsilon and a non-finite QD offset', (t) => {
  t.throws(() => new GridArchive({ dimensions, epsilon: -0.1 }), { instanceOf: RangeError, message: 'epsilon must be a finite number >= 0 (got -0.1)' });
  t.throws(() => new GridArchive({ dimensions, epsilon: NaN }), { instanceOf: RangeError, message: 'epsilon must be a finite number >= 0 (got NaN)' });
  t.throws(() => new GridArchive({ dimensions, qdOffset: -Infinity }), { instanceOf: RangeError, message: 'qdOffset must be a finite number (got -Infinity)' });
});

test('addBatch() on a hand-computed batch: statuses from the archive before it, best per cell stored, first on ties', (t) => {
  const archive = new GridArchive({ dimensions, qdOffset: -10 });
  archive.add(elite('a6', 4, A, 1)); // cell 6 holds 4
  archive.add(elite('a19', 8, B, 1)); // cell 19 holds 8
  const results = archive.addBatch([
    elite('p', 6, A, 2), //    cell 6: 6 > 4, improved by 2 over a6
    elite('q', 5, A, 2), //    cell 6: 5 > 4, improved by 1 over a6 (though p is better)
    elite('r', 7, C, 2), //    cell 0: empty before, new, 7 - (-10) = 17
    elite('s', 9, C, 2), //    cell 0: still empty before the batch, new, 19
    elite('u', 9, C, 2), //    cell 0: new, 19, ties s which came first
    elite('w', 8, B, 2), //    cell 19: ties a19, rejected
    elite('y', 7, A, 2), //    cell 6: improved by 3 over a6, the best of cell 6
    elite('z', NaN, B, 2), //  rejected, no cell
  ]);
  t.deepEqual(results, [
    { status: 'improved', cell: 6, improvement: 2, clipped: false, replaced: 'a6' },
    { status: 'improved', cell: 6, improvement: 1, clipped: false, replaced: 'a6' },
    { status: 'new', cell: 0, improvement: 17, clipped: false },
    { status: 'new', cell: 0, improvement: 19, clipped: false },
    { status: 'new', cell: 0, improvement: 19, clipped: false },
    { status: 'rejected', cell: 19, reason: 'not better than the elite (8)', clipped: false },
    { status: 'improved', cell: 6, improvement: 3, clipped: false, replaced: 'a6' },
    { status: 'rejected', cell: null, reason: 'fitness is NaN', clipped: false },
  ]);
  t.deepEqual(archive.elites().map((e) => [e.cell, e.variantId, e.fitness]), [[0, 's', 9], [6, 'y', 7], [19, 'a19', 8]]);
  // (9 + 10) + (7 + 10) + (8 + 10) = 54.
  t.like(archive.stats(), { filledCells: 3, qdScore: 54, bestFitness: 9 });
  // best() ties: s (cell 0) holds 9 as the best.
  t.like(archive.best(), { variantId: 's', cell: 0 });
});

test('an empty batch changes nothing and returns no results', (t) => {
  const archive = new GridArchive({ dimensions });
  t.deepEqual(archive.addBatch([]), []);
  t.is(archive.stats().filledCells, 0);
});

test('a huge sparse grid stores only its filled cells', (t) => {
  // 1000^4 = 10^12 cells: far past the dense index, so cells are found through a map.
  const huge = new GridArchive({ dimensions: ['a', 'b', 'c', 'd'].map((name) => ({ name, min: 0, max: 1, bins: 1000 })) });
  t.is(huge.totalCells, 1e12);
  t.like(huge.add(elite('v', 1, [0.9995, 0.5, 0.0005, 0.25])), { status: 'new', cell: 999 * 1e9 + 500 * 1e6 + 0 * 1e3 + 250 });
  t.like(huge.add(elite('w', 2, [0.9995, 0.5, 0.0005, 0.25])), { status: 'improved', replaced: 'v' });
  t.deepEqual(huge.elites().map((e) => e.cell), [999500000250]);
  t.is(huge.get(999500000250)?.variantId, 'w');
});

test('get() of a cell outside the archive is undefined', (t) => {
  const archive = new GridArchive({ dimensions });
  archive.add(elite('a', 1, A));
  t.is(archive.get(-1), undefined);
  t.is(archive.get(20), undefined);
  t.is(archive.get(6.5), undefined);
});

test('describe() gives the kind, QD offset, epsilon and dimensions', (t) => {
  const archive = new GridArchive({ dimensions: [...dimensions, { name: 'c', values: ['u', 'v'] }], qdOffset: -1, epsilon: 0.25 });
  t.deepEqual(archive.describe(), { kind: 'grid', qdOffset: -1, epsilon: 0.25, dimensions: [...dimensions, { name: 'c', values: ['u', 'v'] }] });
});

test('view() reads what elites() lists, in cell order, as cells fill one by one and in large batches', (t) => {
  const rng = rngFor(5, 0, 'tests/cell-archive/view');
  const archive = new GridArchive({ dimensions: [{ name: 'x', min: 0, max: 1, bins: 50 }, { name: 'y', min: 0, max: 1, bins: 50 }] });
  const random = (k: number): Elite => ({ variantId: `v${k}`, fitness: rng.next(), descriptors: [rng.next(), rng.next()], iteration: k });
  for (let round = 0; round < 30; round++) {
    // Singles and batches both below and above the size at which new cells are merged in bulk.
    const size = [1, 3, 40, 300][round % 4]!;
    if (size === 1) archive.add(random(round * 1000));
    else archive.addBatch(Array.from({ length: size }, (_, k) => random(round * 1000 + k)));
    const view = archive.view();
    const listed = Array.from({ length: view.length }, (_, k) => view.at(k));
    t.deepEqual(listed, archive.elites());
    t.true(listed.every((e, k) => k === 0 || e!.cell > listed[k - 1]!.cell));
  }
  t.is(archive.view().at(-1), undefined);
  t.is(archive.view().at(archive.view().length), undefined);
});
