// Tests of GridArchive: cell numbering, clipping, rejection reasons, add() outcomes and statistics.
import test from 'ava';
import { GridArchive } from '../../archives/grid-archive.js';
import type { Elite } from '../../archives/archive.js';
import { rngFor } from '../../common/rng.js';
import type { DescriptorSpec } from '../../common/types.js';

// 5 x 4 = 20 cells; x bins are 2 wide, y bins 0.5 wide.
const dimensions: DescriptorSpec[] = [
  { name: 'x', min: 0, max: 10, bins: 5 },
  { name: 'y', min: -1, max: 1, bins: 4 },
];

function grid(qdOffset?: number): GridArchive {
  return new GridArchive(qdOffset === undefined ? { dimensions } : { dimensions, qdOffset });
}

function elite(variantId: string, fitness: number, descriptors: number[], iteration = 0): Elite {
  return { variantId, fitness, descriptors, iteration };
}

const cells: Array<[string, number[], number, boolean]> = [
  // [what, descriptors, cell = xBin * 4 + yBin, clipped]
  ['an interior point', [3, 0.2], 1 * 4 + 2, false],
  ['the lower corner, exactly at both minimums', [0, -1], 0, false],
  ['exactly at both maximums, in the last bins', [10, 1], 4 * 4 + 3, false],
  ['exactly at x max and y min', [10, -1], 4 * 4 + 0, false],
  ['a point on an inner bin edge, in the upper bin', [4, 0], 2 * 4 + 2, false],
  ['just below an inner bin edge', [3.999, -0.001], 1 * 4 + 1, false],
  ['x below its minimum, clipped to the first bin', [-0.1, 0.6], 0 * 4 + 3, true],
  ['y above its maximum, clipped to the last bin', [5, 1.5], 2 * 4 + 3, true],
  ['both far outside, clipped to the far corner', [1e9, 1e9], 19, true],
  ['both far below, clipped to cell 0', [-1e9, -1e9], 0, true],
  ['+Infinity, clipped to the last bin', [Infinity, 0], 4 * 4 + 2, true],
  ['-Infinity, clipped to the first bin', [9, -Infinity], 4 * 4 + 0, true],
];

for (const [what, descriptors, cell, clipped] of cells) {
  test(`cellOf() puts ${what} in cell ${cell}${clipped ? ', flagged clipped' : ''}`, (t) => {
    t.deepEqual(grid().cellOf(descriptors), { cell, clipped });
  });
}

test('add() flags a value outside its range as clipped and files it in the edge cell', (t) => {
  const archive = grid();
  t.deepEqual(archive.add(elite('a', 1, [12, -3])), { status: 'new', cell: 16, improvement: 1, clipped: true });
  t.deepEqual(archive.add(elite('b', 2, [10, -1])), { status: 'improved', cell: 16, improvement: 1, clipped: false, replaced: 'a' });
  t.is(archive.get(16)?.variantId, 'b');
});

test('cellOf() returns null for a NaN descriptor or the wrong number of descriptors', (t) => {
  const archive = grid();
  t.is(archive.cellOf([NaN, 0]), null);
  t.is(archive.cellOf([1, NaN]), null);
  t.is(archive.cellOf([1]), null);
  t.is(archive.cellOf([1, 0, 0]), null);
});

const rejections: Array<[string, Elite, string]> = [
  ['a NaN descriptor', elite('v', 1, [1, NaN]), 'descriptor y is NaN'],
  ['a NaN fitness', elite('v', NaN, [1, 0]), 'fitness is NaN'],
  ['an infinite fitness', elite('v', Infinity, [1, 0]), 'fitness is Infinity'],
  ['a fitness of -Infinity', elite('v', -Infinity, [1, 0]), 'fitness is -Infinity'],
  ['too few descriptors', elite('v', 1, [1]), 'expected 2 descriptors, got 1'],
  ['too many descriptors', elite('v', 1, [1, 0, 0]), 'expected 2 descriptors, got 3'],
];

for (const [what, bad, reason] of rejections) {
  test(`add() rejects ${what} with a reason and stores nothing`, (t) => {
    const archive = grid();
    t.deepEqual(archive.add(bad), { status: 'rejected', cell: null, reason, clipped: false });
    t.is(archive.stats().filledCells, 0);
    t.deepEqual(archive.elites(), []);
  });
}

test('add() reports a new cell with the improvement over the QD offset', (t) => {
  const archive = grid(-10);
  t.deepEqual(archive.add(elite('a', -3, [3, 0.2])), { status: 'new', cell: 6, improvement: 7, clipped: false });
  t.deepEqual(archive.get(6), elite('a', -3, [3, 0.2]));
});

test('add() replaces a worse elite and reports the difference and the replaced id', (t) => {
  const archive = grid();
  archive.add(elite('a', 2.5, [3, 0.2], 1));
  t.deepEqual(archive.add(elite('b', 4, [2.1, 0.3], 7)), { status: 'improved', cell: 6, improvement: 1.5, clipped: false, replaced: 'a' });
  t.deepEqual(archive.get(6), elite('b', 4, [2.1, 0.3], 7));
});

test('add() rejects a worse elite and keeps the incumbent', (t) => {
  const archive = grid();
  archive.add(elite('a', 5, [3, 0.2]));
  t.deepEqual(archive.add(elite('b', 4, [3, 0.2])), { status: 'rejected', cell: 6, reason: 'not better than the elite (5)', clipped: false });
  t.is(archive.get(6)?.variantId, 'a');
});

test('add() keeps the first elite when fitness ties', (t) => {
  const archive = grid();
  archive.add(elite('first', 5, [3, 0.2]));
  const result = archive.add(elite('second', 5, [3.5, 0.4]));
  t.like(result, { status: 'rejected', cell: 6 });
  t.is(archive.get(6)?.variantId, 'first');
  t.is(archive.stats().qdScore, 5);
});

test('add() of the incumbent itself is rejected as already the elite', (t) => {
  const archive = grid();
  archive.add(elite('a', 5, [3, 0.2]));
  t.deepEqual(archive.add(elite('a', 5, [3, 0.2])), { status: 'rejected', cell: 6, reason: 'already the elite of this cell', clipped: false });
});

test('stats() of an empty archive has no best or mean', (t) => {
  t.deepEqual(grid(-10).stats(), { filledCells: 0, totalCells: 20, coverage: 0, qdScore: 0, qdOffset: -10, bestFitness: null, meanFitness: null });
});

test('stats() counts negative fitness above the QD offset, after replacements', (t) => {
  const archive = grid(-10);
  archive.add(elite('a', -3, [1, -0.9])); // cell 0
  archive.add(elite('b', -7, [9, 0.9])); // cell 19
  archive.add(elite('c', -6, [5, 0])); // cell 10
  archive.add(elite('d', -1, [9.5, 0.75])); // cell 19 again, replaces b
  archive.add(elite('e', -8, [1, -0.9])); // rejected
  // (-3 + 10) + (-1 + 10) + (-6 + 10) = 20; mean (-3 - 1 - 6) / 3.
  t.deepEqual(archive.stats(), { filledCells: 3, totalCells: 20, coverage: 3 / 20, qdScore: 20, qdOffset: -10, bestFitness: -1, meanFitness: -10 / 3 });
});

test('best() breaks fitness ties toward the lower cell, whatever the insertion order', (t) => {
  const archive = grid();
  archive.add(elite('high-cell', 3, [9, 0.9]));
  archive.add(elite('low-cell', 3, [1, -0.9]));
  archive.add(elite('worse', 2, [5, 0]));
  t.like(archive.best(), { variantId: 'low-cell', cell: 0 });
});

test('elites() lists filled cells in increasing cell order with their cell index', (t) => {
  const archive = grid();
  archive.add(elite('c19', 1, [9, 0.9]));
  archive.add(elite('c6', 2, [3, 0.2]));
  archive.add(elite('c0', 3, [0, -1]));
  archive.add(elite('c10', 4, [5, 0]));
  t.deepEqual(archive.elites().map((e) => [e.cell, e.variantId]), [[0, 'c0'], [6, 'c6'], [10, 'c10'], [19, 'c19']]);
});

test('binsOf() gives the per-dimension bins of a cell and inverts cellOf() for every cell', (t) => {
  const archive = grid();
  t.deepEqual(archive.binsOf(6), [1, 2]);
  t.deepEqual(archive.binsOf(19), [4, 3]);
  for (let cell = 0; cell < archive.totalCells; cell++) {
    const bins = archive.binsOf(cell);
    // The centre of each bin lies unambiguously inside it.
    const centre = bins.map((b, i) => dimensions[i]!.min + ((b + 0.5) * (dimensions[i]!.max - dimensions[i]!.min)) / dimensions[i]!.bins);
    t.deepEqual(archive.cellOf(centre), { cell, clipped: false }, `cell ${cell}`);
  }
});

test('cellOf() numbers a 3-D grid row-major with the last dimension fastest', (t) => {
  const archive = new GridArchive({ dimensions: [
    { name: 'a', min: 0, max: 2, bins: 2 },
    { name: 'b', min: 0, max: 3, bins: 3 },
    { name: 'c', min: 0, max: 4, bins: 4 },
  ] });
  t.is(archive.totalCells, 24);
  // a bin 1, b bin 2, c bin 3: 1 * 12 + 2 * 4 + 3.
  t.deepEqual(archive.cellOf([1.5, 2.5, 3.5]), { cell: 23, clipped: false });
  // a bin 1, b bin 0, c bin 1: 12 + 0 + 1.
  t.deepEqual(archive.cellOf([1, 0.5, 1]), { cell: 13, clipped: false });
  t.deepEqual(archive.binsOf(13), [1, 0, 1]);
});

const badDimensions: Array<[string, DescriptorSpec[], string]> = [
  ['no dimension', [], 'a grid archive needs at least one dimension'],
  ['max equal to min', [{ name: 'x', min: 1, max: 1, bins: 4 }], 'descriptor x: max must be greater than min'],
  ['max below min', [{ name: 'x', min: 2, max: 1, bins: 4 }], 'descriptor x: max must be greater than min'],
  ['zero bins', [{ name: 'x', min: 0, max: 1, bins: 0 }], 'descriptor x: bins must be a positive integer'],
  ['fractional bins', [{ name: 'x', min: 0, max: 1, bins: 2.5 }], 'descriptor x: bins must be a positive integer'],
];

for (const [what, dims, message] of badDimensions) {
  test(`the constructor refuses ${what}`, (t) => {
    t.throws(() => new GridArchive({ dimensions: dims }), { instanceOf: RangeError, message });
  });
}

test('coverage and QD score never decrease over 2,000 random adds when the offset is below every fitness', (t) => {
  const archive = new GridArchive({ dimensions: [{ name: 'a', min: 0, max: 1, bins: 12 }, { name: 'b', min: -2, max: 2, bins: 9 }], qdOffset: -100 });
  const rng = rngFor(20240611, 0, 'grid-archive-property');
  let previous = archive.stats();
  const counts = { new: 0, improved: 0, rejected: 0 };
  for (let k = 0; k < 2000; k++) {
    // Descriptors spill a little outside the ranges so that clipping is exercised too.
    const descriptors = [rng.next() * 1.2 - 0.1, rng.next() * 4.8 - 2.4];
    const fitness = rng.next() * 100 - 50;
    const result = archive.add(elite(`v${k}`, fitness, descriptors, k));
    counts[result.status]++;
    const now = archive.stats();
    if (now.coverage < previous.coverage || now.qdScore < previous.qdScore) {
      t.fail(`add ${k} (${result.status}) lowered coverage ${previous.coverage} -> ${now.coverage} or QD score ${previous.qdScore} -> ${now.qdScore}`);
      return;
    }
    t.is(now.filledCells - previous.filledCells, result.status === 'new' ? 1 : 0);
    previous = now;
  }
  // The run must have exercised every outcome for the property to mean anything.
  t.true(counts.new > 50 && counts.improved > 50 && counts.rejected > 50, JSON.stringify(counts));
  const recomputed = archive.elites().reduce((s, e) => s + (e.fitness + 100), 0);
  t.true(Math.abs(previous.qdScore - recomputed) < 1e-6, `${previous.qdScore} vs ${recomputed}`);
});
