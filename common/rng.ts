// The seeded random number generator: every random choice in a run comes from rngFor(seed, iteration, purpose).
import seedrandom from 'seedrandom';

/** A deterministic source of uniform numbers in [0, 1) with a few helpers. */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** Standard normal (Box-Muller). */
  normal(): number;
  /** A 32-bit unsigned integer, for deriving seeds handed to evaluators. */
  uint32(): number;
}

function wrap(prng: seedrandom.PRNG): Rng {
  return {
    next: () => prng.quick(),
    int: (n) => Math.floor(prng.quick() * n),
    normal: () => {
      // 1 - u keeps the argument of log in (0, 1].
      const u = 1 - prng.quick();
      const v = prng.quick();
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    },
    uint32: () => prng.int32() >>> 0,
  };
}

/**
 * The generator for one purpose of one iteration of a run. Two calls with the same
 * arguments give the same stream, whatever happened before: this is what makes a run a
 * function of its config and seed.
 */
export function rngFor(seed: number, iteration: number, purpose: string): Rng {
  return wrap(seedrandom.alea(`${seed}/${iteration}/${purpose}`));
}

/** The seed an evaluator receives for an evaluation made at `iteration` (replicate 0 unless re-checked). */
export function evaluationSeed(runSeed: number, iteration: number, replicate = 0): number {
  return rngFor(runSeed, iteration, `evaluation/${replicate}`).uint32();
}
