// The fixed test instances: five streams of 500 items, sizes uniform in [20, 100], bins of capacity 150 (OR-Library "u" style).
import { mulberry32 } from '../shared/prng.js';

export interface Instance {
  capacity: number;
  /** Item sizes in arrival order, integers. */
  items: number[];
}

export const INSTANCE_COUNT = 5;
export const ITEMS_PER_INSTANCE = 500;
export const BIN_CAPACITY = 150;
export const MIN_ITEM = 20;
export const MAX_ITEM = 100;
/**
 * The instances never depend on the evaluation seed: every variant is scored on the same five
 * streams, so fitness values compare across a whole run and across runs.
 */
const INSTANCE_SEED = 20231214;

function makeInstances(): Instance[] {
  const rand = mulberry32(INSTANCE_SEED);
  const span = MAX_ITEM - MIN_ITEM + 1;
  return Array.from({ length: INSTANCE_COUNT }, () => ({
    capacity: BIN_CAPACITY,
    items: Array.from({ length: ITEMS_PER_INSTANCE }, () => MIN_ITEM + Math.floor(rand() * span)),
  }));
}

/** The five instances, built once; callers must not modify them. */
export const INSTANCES: readonly Instance[] = makeInstances();

/** The L1 lower bound on the bins any packing needs: total size over capacity, rounded up. */
export function lowerBound(instance: Instance): number {
  return Math.ceil(instance.items.reduce((a, b) => a + b, 0) / instance.capacity);
}
