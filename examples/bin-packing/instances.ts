// The fixed test instances: five streams of 500 items, sizes uniform in [20, 100], bins of capacity 150 (OR-Library "u" style).

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

/** mulberry32: a 32-bit PRNG, here only to make the fixed instances reproducible. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

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
