// Tests of selectParents: reproducibility from the rng, coverage of uniform selection, the fitness bias of tournaments.
import test from 'ava';
import type { Elite } from '../../archives/archive.js';
import { selectParents, type SelectionStrategy } from '../../archives/parent-selection.js';
import { rngFor } from '../../common/rng.js';

type Candidate = Elite & { cell: number };

/** Ten elites in increasing cell order; e9 is the fittest. */
const elites: Candidate[] = Array.from({ length: 10 }, (_, k) => ({ variantId: `e${k}`, fitness: k, descriptors: [k], iteration: 0, cell: k * 3 }));

const uniform: SelectionStrategy = { strategy: 'uniform' };
const tournament3: SelectionStrategy = { strategy: 'tournament', size: 3 };

function ids(parents: Candidate[]): string[] {
  return parents.map((p) => p.variantId);
}

for (const selection of [uniform, tournament3]) {
  test(`${selection.strategy} selection gives the same parents for the same rng seed and different ones for another`, (t) => {
    const first = ids(selectParents(elites, 20, rngFor(7, 3, 'select'), selection));
    const again = ids(selectParents(elites, 20, rngFor(7, 3, 'select'), selection));
    const other = ids(selectParents(elites, 20, rngFor(8, 3, 'select'), selection));
    t.is(first.length, 20);
    t.deepEqual(again, first);
    t.notDeepEqual(other, first);
  });
}

/** The share of `draws` independent single-parent selections that pick `id`. */
function share(id: string, selection: SelectionStrategy, draws = 4000): number {
  let hits = 0;
  for (let k = 0; k < draws; k++) if (selectParents(elites, 1, rngFor(2, k, 'select'), selection)[0]!.variantId === id) hits++;
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

test('a single elite is picked as often as asked', (t) => {
  const one = elites.slice(4, 5);
  t.deepEqual(ids(selectParents(one, 3, rngFor(6, 0, 'select'), uniform)), ['e4', 'e4', 'e4']);
});

test('selectParents() returns exactly count parents, all of them elites', (t) => {
  const parents = selectParents(elites, 2, rngFor(4, 0, 'select'), uniform);
  t.is(parents.length, 2);
  for (const p of parents) t.true(elites.includes(p));
  t.deepEqual(selectParents(elites, 0, rngFor(4, 0, 'select'), uniform), []);
});

test('selectParents() from an empty archive throws', (t) => {
  for (const selection of [uniform, tournament3]) {
    t.throws(() => selectParents([], 1, rngFor(5, 0, 'select'), selection), { instanceOf: RangeError, message: 'cannot select parents from an empty archive' });
  }
});
