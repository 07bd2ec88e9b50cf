// Online bin packing: places each item, in arrival order, into one of the open bins it fits, or opens a bin.
import type { Instance } from './instances.js';

/**
 * Picks a bin for `item` among the open bins it fits, given their remaining capacities in the
 * order the bins were opened; returns an index into `capacities`. Only called when at least one
 * open bin fits, because otherwise a new bin is opened without asking.
 */
export type ChooseBin = (item: number, capacities: readonly number[], position: number) => number;

/**
 * Packs the instance and returns the remaining capacity of every bin used, in opening order.
 * Throws when `choose` returns anything but an index into the capacities it was given, naming
 * the item (the position in the stream) so the message can be traced.
 */
export function packOnline(instance: Instance, choose: ChooseBin): number[] {
  const remaining: number[] = [];
  const fit: number[] = [];
  instance.items.forEach((item, position) => {
    fit.length = 0;
    for (let b = 0; b < remaining.length; b++) if (remaining[b]! >= item) fit.push(b);
    if (fit.length === 0) {
      remaining.push(instance.capacity - item);
      return;
    }
    const capacities = fit.map((b) => remaining[b]!);
    const chosen = choose(item, capacities, position);
    if (!Number.isInteger(chosen) || chosen < 0 || chosen >= fit.length) {
      throw new Error(`item ${position} (size ${item}): chose bin ${chosen} of ${fit.length} that fit`);
    }
    const bin = fit[chosen]!;
    remaining[bin] = remaining[bin]! - item;
  });
  return remaining;
}

/** First fit: the earliest opened bin that fits. */
export const firstFit: ChooseBin = () => 0;

/** Best fit: the bin left with the least room, the earliest on ties. */
export const bestFit: ChooseBin = (item, capacities) => {
  let best = 0;
  for (let i = 1; i < capacities.length; i++) if (capacities[i]! < capacities[best]!) best = i;
  return best;
};
