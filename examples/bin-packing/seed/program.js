// Online bin packing heuristic. Items arrive one at a time; priority(item, capacities) scores the
// open bins the item fits (capacities[i] is the room left in the i-th of them, in the order the
// bins were opened) and the item goes into the bin with the highest score (the first on ties).
// When no open bin fits, a new bin is opened without asking. Must return one finite number per
// entry of capacities. Plain JavaScript: no imports, no I/O.

// EVOLVE-BLOCK-START
// Best fit (least room left after placing the item), with two adjustments: a bonus for filling a
// bin (almost) exactly, and a penalty for leaving a gap too small to take a later item.
const FIT_WEIGHT = 1; // weight on the room left after placing the item
const EXACT_BONUS = 10; // bonus when the room left is at most EXACT_TOLERANCE
const EXACT_TOLERANCE = 2; // room left that still counts as a (near) exact fit
const SMALL_GAP = 20; // room left below this is hard to use later: items are at least 20
const SMALL_GAP_PENALTY = 20; // penalty for leaving such a gap

function priority(item, capacities) {
  return capacities.map((room) => {
    const left = room - item;
    let score = -FIT_WEIGHT * left;
    if (left <= EXACT_TOLERANCE) score += EXACT_BONUS;
    else if (left < SMALL_GAP) score -= SMALL_GAP_PENALTY;
    return score;
  });
}
// EVOLVE-BLOCK-END
