// The quickstart data set: two interleaved spirals plus distractor features, generated in memory from a fixed seed.
import { gaussian, mulberry32 } from '../shared/prng.js';

/** Rows are stored flat (row-major) so the training loop never allocates. */
export interface Split {
  x: Float64Array;
  y: Uint8Array;
  rows: number;
  dim: number;
}

export interface Dataset {
  /** The pool that training draws from; `trainFraction` takes a prefix of it. */
  train: Split;
  validation: Split;
}

/** Fixed, so that the data never depends on the evaluation seed: every variant sees the same task. */
const DATA_SEED = 0x5eed_0001;
export const TRAIN_POOL_ROWS = 800;
export const VALIDATION_ROWS = 400;
/** Two spiral coordinates, then two pure-noise columns. */
export const RAW_DIM = 4;

const TURNS = 1.5;
const POSITION_NOISE = 0.06;
/**
 * The distractors are large on purpose, and the signal sits off-centre, so that raw inputs
 * train badly and a feature transform is a real choice rather than a no-op.
 */
const DISTRACTOR_SCALE = 4;
const SIGNAL_SCALE = 2;
const SIGNAL_OFFSET = 3;

function makeSplit(rows: number, rand: () => number): Split {
  const x = new Float64Array(rows * RAW_DIM);
  const y = new Uint8Array(rows);
  for (let i = 0; i < rows; i++) {
    const label = i % 2;
    // sqrt spreads points evenly along the arm instead of crowding the centre.
    const t = Math.sqrt(rand());
    const angle = TURNS * 2 * Math.PI * t + label * Math.PI;
    const radius = 0.05 + 0.95 * t;
    const o = i * RAW_DIM;
    x[o] = SIGNAL_OFFSET + SIGNAL_SCALE * (radius * Math.cos(angle) + POSITION_NOISE * gaussian(rand));
    x[o + 1] = SIGNAL_SCALE * (radius * Math.sin(angle) + POSITION_NOISE * gaussian(rand));
    x[o + 2] = DISTRACTOR_SCALE * gaussian(rand);
    x[o + 3] = DISTRACTOR_SCALE * gaussian(rand);
    y[i] = label;
  }
  return { x, y, rows, dim: RAW_DIM };
}

let cached: Dataset | undefined;

/** The same data set on every call; cached because it is immutable and workers evaluate many variants. */
export function makeDataset(): Dataset {
  if (cached === undefined) {
    const rand = mulberry32(DATA_SEED);
    const train = makeSplit(TRAIN_POOL_ROWS, rand);
    const validation = makeSplit(VALIDATION_ROWS, rand);
    cached = { train, validation };
  }
  return cached;
}

/** The first `rows` rows of a split (the pool is already in random order, so a prefix is a fair sample). */
export function takePrefix(split: Split, rows: number): Split {
  return {
    x: split.x.subarray(0, rows * split.dim),
    y: split.y.subarray(0, rows),
    rows,
    dim: split.dim,
  };
}
