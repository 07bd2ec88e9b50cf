// Tests of IslandModel: ring migration of each island's best elite and the statistics of the union.
import test from 'ava';
import { IslandModel } from '../../archives/island-model.js';
import type { Elite } from '../../archives/archive.js';

// One dimension of 10 bins over [0, 1): descriptor 0.05 is cell 0, 0.15 cell 1, and so on.
const options = { dimensions: [{ name: 'd', min: 0, max: 1, bins: 10 }] };

function elite(variantId: string, fitness: number, cell: number, iteration = 0): Elite {
  return { variantId, fitness, descriptors: [cell / 10 + 0.05], iteration };
}

test('migrate() copies each island\'s best, as it was before the round, to the next island on the ring', (t) => {
  const model = new IslandModel(3, options);
  model.island(0).add(elite('A', 9, 0));
  model.island(0).add(elite('a-weak', 1, 5));
  model.island(1).add(elite('B', 5, 1));
  model.island(2).add(elite('C', 2, 2));

  const migrations = model.migrate(50);

  t.deepEqual(migrations.map((m) => [m.from, m.to, m.variantId, m.result.status]), [
    [0, 1, 'A', 'new'],
    // A is now island 1's best, but island 1 still sends B: emigrants are chosen before any copy.
    [1, 2, 'B', 'new'],
    [2, 0, 'C', 'new'],
  ]);
  t.deepEqual(model.island(0).elites().map((e) => e.variantId), ['A', 'C', 'a-weak']);
  t.deepEqual(model.island(1).elites().map((e) => e.variantId), ['A', 'B']);
  t.deepEqual(model.island(2).elites().map((e) => e.variantId), ['B', 'C']);
  // A copy enters its new island at the migration's iteration, with the emigrant's fitness and descriptors.
  t.deepEqual(model.island(1).get(0), { variantId: 'A', fitness: 9, descriptors: [0.05], iteration: 50 });
  t.is(model.island(0).get(0)?.iteration, 0, 'the source island keeps its own elite');
});

test('migrate() records a rejected copy when the receiving cell holds a better elite', (t) => {
  const model = new IslandModel(2, options);
  model.island(0).add(elite('A', 3, 4));
  model.island(1).add(elite('B', 8, 4));
  const migrations = model.migrate(10);
  t.deepEqual(migrations.map((m) => [m.from, m.to, m.variantId, m.result.status]), [[0, 1, 'A', 'rejected'], [1, 0, 'B', 'improved']]);
  t.is(model.island(1).get(4)?.variantId, 'B');
  t.is(model.island(0).get(4)?.variantId, 'B');
});

test('migrate() skips an empty island', (t) => {
  const model = new IslandModel(3, options);
  model.island(1).add(elite('B', 1, 3));
  const migrations = model.migrate(5);
  t.deepEqual(migrations.map((m) => [m.from, m.to, m.variantId]), [[1, 2, 'B']]);
  t.is(model.island(0).stats().filledCells, 0);
});

test('migrate() with a single island migrates nothing and leaves the island unchanged', (t) => {
  const model = new IslandModel(1, options);
  model.island(0).add(elite('A', 4, 2));
  model.island(0).add(elite('B', 6, 7));
  const before = model.island(0).elites();
  t.deepEqual(model.migrate(50), []);
  t.deepEqual(model.island(0).elites(), before);
});

test('combined() keeps the best elite of each cell over all islands and stats() reports the union', (t) => {
  const model = new IslandModel(2, { ...options, qdOffset: -1 });
  model.island(0).add(elite('a0', 1, 0));
  model.island(0).add(elite('a1', 4, 1));
  model.island(1).add(elite('b1', 6, 1));
  model.island(1).add(elite('b2', 2, 2));
  const union = model.combined();
  t.deepEqual(union.elites().map((e) => [e.cell, e.variantId, e.fitness]), [[0, 'a0', 1], [1, 'b1', 6], [2, 'b2', 2]]);
  // (1 + 1) + (6 + 1) + (2 + 1) = 12.
  t.deepEqual(model.stats(), { filledCells: 3, totalCells: 10, coverage: 0.3, qdScore: 12, qdOffset: -1, bestFitness: 6, meanFitness: 3 });
  t.is(model.island(0).get(1)?.variantId, 'a1', 'combining leaves the islands untouched');
});

test('combined() keeps the lower island\'s elite when fitness ties across islands', (t) => {
  const model = new IslandModel(2, options);
  model.island(0).add(elite('first', 5, 3));
  model.island(1).add(elite('second', 5, 3));
  t.is(model.combined().get(3)?.variantId, 'first');
});

test('island() refuses an index outside the ring and the constructor a non-positive count', (t) => {
  const model = new IslandModel(2, options);
  t.throws(() => model.island(2), { instanceOf: RangeError, message: 'no island 2 (there are 2)' });
  t.throws(() => new IslandModel(0, options), { instanceOf: RangeError, message: 'island count must be a positive integer' });
  t.throws(() => new IslandModel(1.5, options), { instanceOf: RangeError, message: 'island count must be a positive integer' });
});
