// A tiny seeded PRNG (mulberry32) with Gaussian draws and shuffling, so the problem never touches Math.random.

/** A generator of uniform numbers in [0, 1); the same seed always gives the same stream. */
export type Uniform = () => number;

/** mulberry32: 32-bit state, good enough for data generation and init, and trivially reproducible. */
export function mulberry32(seed: number): Uniform {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A standard normal draw by Box-Muller; 1 - u keeps the logarithm away from zero. */
export function gaussian(rand: Uniform): number {
  const u = 1 - rand();
  const v = rand();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Fisher-Yates shuffle in place. */
export function shuffleInPlace(items: Uint32Array, rand: Uniform): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const tmp = items[i]!;
    items[i] = items[j]!;
    items[j] = tmp;
  }
}
