// Tests of IslandModel: ring migration of each island's best elite and the statistics of the union.
import test from 'ava';
import { IslandModel, type IslandOptions } from '../../archives/island-model.js';
import type { ArchiveDescription, Elite } from '../../archives/archive.js';
import { rngFor } from '../../common/rng.js';

// One dimension of 10 bins over [0, 1): descriptor 0.05 is cell 0, 0.15 cell 1, and so on.
const grid: ArchiveDescription = { kind: 'grid', qdOffset: 0, epsilon: 0, dimensions: [{ name: 'd', min: 0, max: 1, bins: 10 }] };
const ring = { interval: 50, rate: 1, topology: 'ring' as const };

function islands(count: number, extra: Partial<IslandOptions> & { qdOffset?: number } = {}): IslandModel {
  const { qdOffset, ...rest } = extra;
  return new IslandModel({ count, archive: qdOffset === undefined ? grid : { ...grid, qdOffset }, migration: ring, ...rest });
}

function elite(variantId: string, fitness: number, cell: number, iteration = 0): Elite {
  return { variantId, fitness, descriptors: [cell / 10 + 0.05], iteration };
}

test('migrate() copies each island\'s best, as it was before the round, to the next island on the ring', (t) => {
  const model = islands(3);
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
  const model = islands(2);
  model.island(0).add(elite('A', 3, 4));
  model.island(1).add(elite('B', 8, 4));
  const migrations = model.migrate(10);
  t.deepEqual(migrations.map((m) => [m.from, m.to, m.variantId, m.result.status]), [[0, 1, 'A', 'rejected'], [1, 0, 'B', 'improved']]);
  t.is(model.island(1).get(4)?.variantId, 'B');
  t.is(model.island(0).get(4)?.variantId, 'B');
});

test('migrate() skips an empty island', (t) => {
  const model = islands(3);
  model.island(1).add(elite('B', 1, 3));
  const migrations = model.migrate(5);
  t.deepEqual(migrations.map((m) => [m.from, m.to, m.variantId]), [[1, 2, 'B']]);
  t.is(model.island(0).stats().filledCells, 0);
});

test('migrate() with a single island migrates nothing and leaves the island unchanged', (t) => {
  const model = islands(1);
  model.island(0).add(elite('A', 4, 2));
  model.island(0).add(elite('B', 6, 7));
  const before = model.island(0).elites();
  t.deepEqual(model.migrate(50), []);
  t.deepEqual(model.island(0).elites(), before);
});

test('combined() keeps the best elite of each cell over all islands and stats() reports the union', (t) => {
  const model = islands(2, { qdOffset: -1 });
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
  const model = islands(2);
  model.island(0).add(elite('first', 5, 3));
  model.island(1).add(elite('second', 5, 3));
  t.is(model.combined().get(3)?.variantId, 'first');
});

test('island() refuses an index outside the ring and the constructor a non-positive count', (t) => {
  const model = islands(2);
  t.throws(() => model.island(2), { instanceOf: RangeError, message: 'no island 2 (there are 2)' });
  t.throws(() => islands(0), { instanceOf: RangeError, message: 'island count must be a positive integer' });
  t.throws(() => islands(1.5), { instanceOf: RangeError, message: 'island count must be a positive integer' });
});

test('full topology with rate 2 copies each island\'s two best elites to every other island', (t) => {
  const model = islands(3, { migration: { interval: 10, rate: 2, topology: 'full' } });
  model.island(0).add(elite('A1', 9, 0));
  model.island(0).add(elite('A2', 7, 1));
  model.island(0).add(elite('A3', 1, 2));
  model.island(1).add(elite('B1', 5, 5));
  const migrations = model.migrate(10);
  t.deepEqual(migrations.map((m) => [m.from, m.to, m.variantId, m.result.status]), [
    [0, 1, 'A1', 'new'], [0, 1, 'A2', 'new'], [0, 2, 'A1', 'new'], [0, 2, 'A2', 'new'],
    [1, 0, 'B1', 'new'], [1, 2, 'B1', 'new'],
  ]);
  t.deepEqual(model.island(2).elites().map((e) => e.variantId), ['A1', 'A2', 'B1']);
  t.false(model.island(1).elites().some((e) => e.variantId === 'A3'), 'only the `rate` best leave');
});

test('apply() puts the seed into every island, a later iteration\'s children only into its island, and migrates on schedule', (t) => {
  const model = islands(3, { migration: { interval: 4, rate: 1, topology: 'ring' } });
  const seed = model.apply(0, 0, [elite('seed', 1, 0)]);
  t.deepEqual(seed.cells.map((c) => [c.island, c.cell, c.elite.variantId]), [[0, 0, 'seed'], [1, 0, 'seed'], [2, 0, 'seed']]);
  const third = model.apply(3, 1, [elite('x', 5, 4, 3), elite('y', 2, 7, 3)]);
  t.deepEqual(third.results.map((r) => r.status), ['new', 'new']);
  t.deepEqual(third.migrations, [], 'iteration 3 is not a multiple of the interval');
  t.deepEqual(third.cells.map((c) => [c.island, c.cell, c.elite.variantId]), [[1, 4, 'x'], [1, 7, 'y']]);
  t.is(model.island(0).stats().filledCells, 1);
  const fourth = model.apply(4, 2, []);
  // Island 0 sends seed to 1 (a tie: rejected), island 1 sends x to 2, island 2 sends seed to 0 (rejected).
  t.deepEqual(fourth.migrations.map((m) => [m.from, m.to, m.variantId, m.result.status]), [[0, 1, 'seed', 'rejected'], [1, 2, 'x', 'new'], [2, 0, 'seed', 'rejected']]);
  t.deepEqual(fourth.cells.map((c) => [c.island, c.cell, c.elite.variantId, c.elite.iteration]), [[2, 4, 'x', 4]]);
});

test('apply() adds an iteration\'s children as one batch: statuses against the archive before it, the fittest per cell kept', (t) => {
  const model = islands(1);
  model.apply(0, 0, [elite('seed', 1, 0)]);
  const out = model.apply(1, 0, [elite('p', 3, 5, 1), elite('q', 4, 5, 1), elite('r', 4, 5, 1)]);
  t.deepEqual(out.results.map((r) => r.status), ['new', 'new', 'new']);
  t.is(model.island(0).get(5)?.variantId, 'q', 'the fittest wins, the first of equals');
  t.deepEqual(out.cells.map((c) => [c.cell, c.elite.variantId]), [[5, 'q']]);
});

test('an island whose own last `stagnation` iterations improved nothing is emptied and restarted from the best elites of all islands', (t) => {
  const model = islands(2, { migration: { interval: 1000, rate: 1, topology: 'ring' }, reset: { stagnation: 2, survivors: 2 } });
  model.apply(0, 0, [elite('seed', 1, 0)]);
  model.apply(1, 0, [elite('a', 5, 3, 1)]);
  model.apply(2, 1, [elite('b', 2, 6, 2)]);
  t.deepEqual(model.apply(3, 1, [elite('b-worse', 0.5, 6, 3)]).resets, [], 'island 1: one iteration without improvement');
  // Island 1's second iteration in a row without improvement: it restarts from the best two over both islands.
  const out = model.apply(4, 1, [elite('c', 0.1, 6, 4)]);
  t.deepEqual(out.resets, [{ island: 1, survivors: ['a', 'b'] }]);
  t.deepEqual(model.island(1).elites().map((e) => [e.cell, e.variantId, e.iteration]), [[3, 'a', 4], [6, 'b', 4]]);
  t.deepEqual(out.cells.filter((c) => c.island === 1).map((c) => [c.cell, c.elite.variantId]), [[3, 'a'], [6, 'b']]);
  t.deepEqual(model.island(0).elites().map((e) => e.variantId), ['seed', 'a'], 'island 0 had no iteration since it improved: untouched');
  // Island 0's own iterations count, not the run's: two of them without improvement restart it.
  t.deepEqual(model.apply(5, 0, []).resets, []);
  t.deepEqual(model.apply(6, 0, [elite('a-worse', 1, 3, 6)]).resets, [{ island: 0, survivors: ['a', 'b'] }]);
  t.deepEqual(model.apply(7, 1, []).resets, [], 'island 1 counts again from its restart');
});

test('stagnation 0 never resets', (t) => {
  const model = islands(1, { reset: { stagnation: 0, survivors: 1 } });
  model.apply(0, 0, [elite('seed', 1, 0)]);
  for (let i = 1; i < 200; i++) t.deepEqual(model.apply(i, 0, []).resets, []);
});

test('islands of a soft archive report the result archive\'s elite and the cell\'s threshold', (t) => {
  const soft: ArchiveDescription = { kind: 'soft', learningRate: 0.5, thresholdMin: 0, result: grid };
  const model = new IslandModel({ count: 1, archive: soft });
  model.apply(0, 0, [elite('seed', 4, 2)]);
  // Threshold 0 -> 0.5 * 0 + 0.5 * 4 = 2; then 3 > 2 is accepted by the soft archive (threshold 2.5) but not by the result archive.
  const out = model.apply(1, 0, [elite('weaker', 3, 2, 1)]);
  t.is(out.results[0]!.status, 'improved');
  t.deepEqual(out.cells.map((c) => [c.cell, c.elite.variantId, c.threshold]), [[2, 'seed', 2.5]]);
  t.is(model.island(0).get(2)?.variantId, 'weaker', 'the soft archive itself holds the newer elite');
  t.is(model.stats().bestFitness, 4, 'statistics come from the result archive');
});

test('islands of a CVT or novelty archive are built from the description and migrate like any other', (t) => {
  const cvt: ArchiveDescription = { kind: 'cvt', qdOffset: 0, epsilon: 0, ranges: [{ name: 'd', min: 0, max: 1 }], centroids: [[0.1], [0.5], [0.9]] };
  for (const archive of [cvt, { kind: 'novelty', neighbours: 1, threshold: 0.2, result: cvt } satisfies ArchiveDescription]) {
    const model = new IslandModel({ count: 2, archive, migration: { interval: 5, rate: 1, topology: 'ring' } });
    model.apply(0, 0, [{ variantId: 's', fitness: 1, descriptors: [0.12], iteration: 0 }]);
    model.apply(1, 1, [{ variantId: 'far', fitness: 3, descriptors: [0.95], iteration: 1 }]);
    const out = model.apply(5, 0, []);
    t.deepEqual(out.migrations.map((m) => [m.from, m.to, m.variantId]), [[0, 1, 's'], [1, 0, 'far']], archive.kind);
    t.deepEqual(model.island(0).result.elites().map((e) => [e.cell, e.variantId]), [[0, 's'], [2, 'far']], archive.kind);
    t.is(model.stats().filledCells, 2);
  }
});

test('stats() agrees with combined().stats() while islands fill, migrate, reset and are added to directly, with epsilon', (t) => {
  const rng = rngFor(3, 0, 'tests/island-model/stats');
  for (const epsilon of [0, 0.3]) {
    const description: ArchiveDescription = { kind: 'grid', qdOffset: -2, epsilon, dimensions: [{ name: 'd', min: 0, max: 1, bins: 40 }] };
    const model = new IslandModel({ count: 3, archive: description, migration: { interval: 7, rate: 2, topology: 'ring' }, reset: { stagnation: 25, survivors: 3 } });
    const random = (i: number): Elite => ({ variantId: `v${i}-${rng.int(1000)}`, fitness: Math.round(rng.next() * 100) / 10, descriptors: [rng.next()], iteration: i });
    model.apply(0, 0, [random(0)]);
    for (let i = 1; i < 400; i++) {
      model.apply(i, i % 3, Array.from({ length: rng.int(3) }, () => random(i)));
      if (i % 50 === 0) model.island(rng.int(3)).add(random(i));
      const expected = model.combined().stats();
      const actual = model.stats();
      // The running sum may differ from the combined archive's (added in cell order) in the last bits.
      t.true(Math.abs(actual.qdScore - expected.qdScore) < 1e-9 && Math.abs(actual.meanFitness! - expected.meanFitness!) < 1e-9, `iteration ${i}`);
      t.deepEqual({ ...actual, qdScore: 0, meanFitness: 0 }, { ...expected, qdScore: 0, meanFitness: 0 }, `iteration ${i}`);
    }
  }
});

test('migration sends the fittest elites, the lower cell first among equals, as a stable sort of elites() would', (t) => {
  const model = islands(2, { migration: { interval: 10, rate: 3, topology: 'ring' } });
  for (const [id, fitness, cell] of [['a', 2, 0], ['b', 5, 1], ['c', 2, 2], ['d', 5, 3], ['e', 1, 4], ['f', 5, 5]] as const) model.island(0).add(elite(id, fitness, cell));
  const out = model.apply(10, 0, []);
  t.deepEqual(out.migrations.filter((m) => m.from === 0).map((m) => m.variantId), ['b', 'd', 'f']);
});
