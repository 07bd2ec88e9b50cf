// Tests of GridLayout's categorical dimensions: one bin per value, the index as descriptor, unknown values refused.
import test from 'ava';
import type { Elite, GridDimension } from '../../archives/archive.js';
import { GridArchive } from '../../archives/grid-archive.js';
import { encodeDescriptors, GridLayout } from '../../archives/grid-layout.js';

// 5 numeric bins of width 2 over [0, 10], then 3 shapes: cell = xBin * 3 + shapeIndex, 15 cells.
const dimensions: GridDimension[] = [
  { name: 'x', min: 0, max: 10, bins: 5 },
  { name: 'shape', values: ['circle', 'square', 'triangle'] },
];

function elite(variantId: string, fitness: number, descriptors: number[]): Elite {
  return { variantId, fitness, descriptors, iteration: 0 };
}

test('a categorical dimension has one bin per value', (t) => {
  t.is(new GridArchive({ dimensions }).totalCells, 15);
});

const cells: Array<[string, number[], number, boolean]> = [
  ['x bin 1, circle', [3, 0], 3, false],
  ['x bin 1, triangle', [3, 2], 5, false],
  ['x at its maximum, square', [10, 1], 13, false],
  ['x below its range (clipped), square', [-4, 1], 1, true],
  ['x above its range (clipped), triangle', [11, 2], 14, true],
];
for (const [what, descriptors, cell, clipped] of cells) {
  test(`cellOf() puts ${what} in cell ${cell}`, (t) => {
    t.deepEqual(new GridArchive({ dimensions }).cellOf(descriptors), { cell, clipped });
  });
}

test('binsOf() gives the value index of a categorical dimension', (t) => {
  t.deepEqual(new GridArchive({ dimensions }).binsOf(14), [4, 2]);
});

const unknown: Array<[string, number]> = [
  ['an index past the last value', 3],
  ['a negative index', -1],
  ['a fractional index', 1.5],
  ['an infinite index', Infinity],
];
for (const [what, index] of unknown) {
  test(`add() rejects ${what} with a reason, never clipping it to a category`, (t) => {
    const archive = new GridArchive({ dimensions });
    t.deepEqual(archive.add(elite('v', 1, [3, index])), {
      status: 'rejected', cell: null, clipped: false,
      reason: `descriptor shape is ${index}, not the index of one of its 3 values (0 to 2)`,
    });
    t.is(archive.cellOf([3, index]), null);
    t.is(archive.stats().filledCells, 0);
  });
}

test('a NaN categorical descriptor is rejected as NaN', (t) => {
  t.like(new GridArchive({ dimensions }).add(elite('v', 1, [3, NaN])), { status: 'rejected', reason: 'descriptor shape is NaN' });
});

test('encodeDescriptors() turns values into indexes and numeric descriptors through', (t) => {
  t.deepEqual(encodeDescriptors(dimensions, [3.5, 'triangle']), { descriptors: [3.5, 2] });
  const numbers: GridDimension[] = [{ name: 'width', values: [2, 4, 8] }];
  // With numeric values the value 4 is index 1, never index 4: the reason the archive takes indexes.
  t.deepEqual(encodeDescriptors(numbers, [4]), { descriptors: [1] });
});

const encodings: Array<[string, GridDimension[], Array<number | string>, string]> = [
  ['an unknown value', dimensions, [1, 'hexagon'], 'descriptor shape: "hexagon" is not one of its values ("circle", "square", "triangle")'],
  ['a number for a string value', [{ name: 'width', values: ['2', '4'] }], [2], 'descriptor width: 2 is not one of its values ("2", "4")'],
  ['a string for a numeric dimension', dimensions, ['3', 'circle'], 'descriptor x: expected a number, got "3"'],
  ['the wrong number of values', dimensions, [1], 'expected 2 descriptors, got 1'],
];
for (const [what, dims, raw, reason] of encodings) {
  test(`encodeDescriptors() refuses ${what} with a reason`, (t) => {
    t.deepEqual(encodeDescriptors(dims, raw), { reason });
  });
}

const badDimensions: Array<[string, GridDimension, string]> = [
  ['an empty value list', { name: 'c', values: [] }, 'descriptor c: values must be a non-empty list'],
  ['a repeated value', { name: 'c', values: ['a', 'b', 'a'] }, 'descriptor c: value "a" is listed twice'],
  ['a non-finite value', { name: 'c', values: [1, NaN] }, 'descriptor c: values must be strings or finite numbers (got NaN)'],
  ['an infinite numeric range', { name: 'x', min: 0, max: Infinity, bins: 3 }, 'descriptor x: min and max must be finite'],
];
for (const [what, d, message] of badDimensions) {
  test(`the constructor refuses ${what}`, (t) => {
    t.throws(() => new GridArchive({ dimensions: [d] }), { instanceOf: RangeError, message });
  });
}

test('embed() normalises numeric values to [0, 1] after clipping, and puts two categories at distance 1', (t) => {
  const layout = new GridLayout(dimensions);
  t.is(layout.embeddingSize, 4);
  const out = new Float64Array(8);
  layout.embed([2.5, 0], out, 0);
  layout.embed([20, 2], out, 4);
  t.deepEqual([...out], [0.25, Math.SQRT1_2, 0, 0, 1, 0, 0, Math.SQRT1_2]);
  const d2 = [1, 2, 3].reduce((s, k) => s + (out[k]! - out[4 + k]!) ** 2, 0);
  t.true(Math.abs(d2 - 1) < 1e-15);
});
