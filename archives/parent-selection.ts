// Parent selection strategies over an archive's elites, driven only by the rng they are given.
import type { Rng } from '../common/rng.js';
import type { Elite } from './archive.js';

export type SelectionStrategy =
  | { strategy: 'uniform' }
  | { strategy: 'tournament'; size: number };

type Candidate = Elite & { cell: number };

/**
 * Picks `count` distinct parents from `elites` (repeats only when there are fewer elites than
 * `count`, or after a bounded number of redraws), which must be listed in a stable
 * order (increasing cell index): the same elites and rng always give the same parents.
 * `uniform` gives every elite the same chance; `tournament` draws `size` elites and keeps the
 * fittest, a fitness bias whose strength grows with `size`.
 */
export function selectParents(elites: Candidate[], count: number, rng: Rng, selection: SelectionStrategy): Candidate[] {
  if (elites.length === 0) throw new RangeError('cannot select parents from an empty archive');
  const parents: Candidate[] = [];
  for (let k = 0; k < count; k++) {
    let pick = drawOne(elites, rng, selection);
    // A crossover of a variant with itself is wasted work: redraw a few times (bounded, so the
    // number of draws, and with it determinism, never depends on anything but the rng).
    for (let retry = 0; retry < 8 && parents.length < elites.length && parents.some((p) => p.cell === pick.cell); retry++) {
      pick = drawOne(elites, rng, selection);
    }
    parents.push(pick);
  }
  return parents;
}

function drawOne(elites: Candidate[], rng: Rng, selection: SelectionStrategy): Candidate {
  if (selection.strategy === 'uniform') return elites[rng.int(elites.length)]!;
  let winner = elites[rng.int(elites.length)]!;
  for (let t = 1; t < selection.size; t++) {
    const challenger = elites[rng.int(elites.length)]!;
    if (challenger.fitness > winner.fitness) winner = challenger;
  }
  return winner;
}
