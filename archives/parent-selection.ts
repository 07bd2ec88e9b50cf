// Parent selection strategies over an archive's elites, driven only by the rng they are given.
import type { Rng } from '../common/rng.js';
import type { Elite } from './archive.js';

export type SelectionStrategy =
  | { strategy: 'uniform' }
  | { strategy: 'tournament'; size: number };

type Candidate = Elite & { cell: number };

/**
 * Picks `count` parents (with replacement) from `elites`, which must be listed in a stable
 * order (increasing cell index): the same elites and rng always give the same parents.
 * `uniform` gives every elite the same chance; `tournament` draws `size` elites and keeps the
 * fittest, a fitness bias whose strength grows with `size`.
 */
export function selectParents(elites: Candidate[], count: number, rng: Rng, selection: SelectionStrategy): Candidate[] {
  if (elites.length === 0) throw new RangeError('cannot select parents from an empty archive');
  const parents: Candidate[] = [];
  for (let k = 0; k < count; k++) {
    if (selection.strategy === 'uniform') {
      parents.push(elites[rng.int(elites.length)]!);
      continue;
    }
    let winner = elites[rng.int(elites.length)]!;
    for (let t = 1; t < selection.size; t++) {
      const challenger = elites[rng.int(elites.length)]!;
      if (challenger.fitness > winner.fitness) winner = challenger;
    }
    parents.push(winner);
  }
  return parents;
}
