import test from 'ava';
import { GridArchive } from '../../archives/grid-archive.js';
import { rngFor } from '../../common/rng.js';

const dims = [
  { name: 'a', min: 0, max: 10, bins: 5 },
  { name: 'b', min: -1, max: 1, bins: 4 },
];
const elite = (variantId: string, fitness: number, descriptors: number[]) => ({ variantId, fitness, descriptors, iteration: 0 });

test('cells are numbered row-major with the last dimension fastest', (t) => {
  const g = new GridArchive({ dimensions: dims });
  t.is(g.totalCells, 20);
  t.deepEqual(g.cellOf([0, -1]), { cell: 0, clipped: false });
  t.deepEqual(g.cellOf([0, -0.4]), { cell: 1, clipped: false });   // b bin 1
  t.deepEqual(g.cellOf([2.5, 0.9]), { cell: 1 * 4 + 3, clipped: false }); // a bin 1, b bin 3
  t.deepEqual(g.binsOf(7), [1, 3]);
  t.deepEqual(g.binsOf(19), [4, 3]);
});

test('a value exactly at max belongs to the last bin and is not clipped', (t) => {
  const g = new GridArchive({ dimensions: dims });
  t.deepEqual(g.cellOf([10, 1]), { cell: 19, clipped: false });
});

test('values outside the range go to the edge cell and are flagged', (t) => {
  const g = new GridArchive({ dimensions: dims });
  t.deepEqual(g.cellOf([-3, 5]), { cell: 3, clipped: true });
  t.like(g.add(elite('x', 1, [99, -99])), { status: 'new', cell: 16, clipped: true });
});

test('NaN descriptors and non-finite fitness are rejected with a reason', (t) => {
  const g = new GridArchive({ dimensions: dims });
  t.deepEqual(g.add(elite('x', 1, [NaN, 0])), { status: 'rejected', cell: null, reason: 'descriptor a is NaN', clipped: false });
  t.like(g.add(elite('x', NaN, [1, 0])), { status: 'rejected', reason: 'fitness is NaN' });
  t.like(g.add(elite('x', Infinity, [1, 0])), { status: 'rejected', reason: 'fitness is Infinity' });
  t.like(g.add(elite('x', 1, [1])), { status: 'rejected', reason: 'expected 2 descriptors, got 1' });
  t.is(g.stats().filledCells, 0);
});

test('add() reports new, improved with the improvement, and rejected; a tie keeps the first elite', (t) => {
  const g = new GridArchive({ dimensions: dims, qdOffset: -2 });
  t.deepEqual(g.add(elite('a', 1, [1, 0])), { status: 'new', cell: 2, improvement: 3, clipped: false });
  t.deepEqual(g.add(elite('b', 1.5, [1.5, 0.1])), { status: 'improved', cell: 2, improvement: 0.5, clipped: false, replaced: 'a' });
  t.deepEqual(g.add(elite('c', 1.5, [1.2, 0.2])), { status: 'rejected', cell: 2, reason: 'not better than the elite (1.5)', clipped: false });
  t.is(g.get(2)!.variantId, 'b');
});

test('stats give filled cells, coverage, QD score with the offset, best and mean', (t) => {
  const g = new GridArchive({ dimensions: dims, qdOffset: -10 });
  g.add(elite('a', -4, [1, 0]));
  g.add(elite('b', -2, [9, 0.9]));
  g.add(elite('c', 3, [5, -0.9]));
  t.deepEqual(g.stats(), { filledCells: 3, totalCells: 20, coverage: 0.15, qdScore: 6 + 8 + 13, qdOffset: -10, bestFitness: 3, meanFitness: -1 });
  t.deepEqual(g.elites().map((e) => e.cell), [2, 8, 19]);
  t.is(g.best()!.variantId, 'c');
});

test('coverage and QD score never decrease over random adds when the offset is below every fitness', (t) => {
  const g = new GridArchive({ dimensions: dims, qdOffset: -100 });
  const rng = rngFor(1, 0, 'property');
  let last = g.stats();
  for (let i = 0; i < 2000; i++) {
    g.add(elite(`v${i}`, rng.normal() * 10, [rng.next() * 14 - 2, rng.next() * 3 - 1.5]));
    const now = g.stats();
    t.true(now.coverage >= last.coverage);
    t.true(now.qdScore >= last.qdScore - 1e-9);
    last = now;
  }
  t.is(last.filledCells, 20);
});
