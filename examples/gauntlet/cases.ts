// The gauntlet's test cases: seeded lists of numbers, the reference summary, and how an answer is judged.
import { mulberry32 } from '../shared/prng.js';

export interface Summary {
  count: number;
  min: number | null;
  max: number | null;
  mean: number | null;
  median: number | null;
}

/**
 * `count` lists drawn from `seed`. Public cases: 1 to 12 numbers, integers and decimals, some
 * negative, lengths odd and even. Held-out cases (`heldOut`) add what the public ones rarely show:
 * empty lists, 200-number lists, and values in the millions.
 */
export function makeCases(seed: number, count: number, heldOut = false): number[][] {
  const rand = mulberry32(seed);
  const cases: number[][] = [];
  for (let k = 0; k < count; k++) {
    const kind = heldOut ? k % 3 : 3;
    const length = kind === 0 ? 0 : kind === 1 ? 200 : 1 + Math.floor(rand() * 12);
    const scale = kind === 2 ? 1e6 : 100;
    const integers = rand() < 0.5;
    cases.push(Array.from({ length }, () => {
      const v = (rand() - 0.3) * scale;
      return integers ? Math.round(v) : Math.round(v * 1000) / 1000;
    }));
  }
  return cases;
}

/** The reference: nulls for an empty list; the median of an even count is the mean of the middle two. */
export function reference(values: readonly number[]): Summary {
  if (values.length === 0) return { count: 0, min: null, max: null, mean: null, median: null };
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  const mid = n >> 1;
  return {
    count: n,
    min: sorted[0]!,
    max: sorted[n - 1]!,
    mean: sorted.reduce((a, b) => a + b, 0) / n,
    median: n % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2,
  };
}

const FIELDS = ['count', 'min', 'max', 'mean', 'median'] as const;

/**
 * Whether `answer` matches the reference: every field present, numbers within 1e-9 relative (or
 * absolute near zero), nulls where the reference has null. Anything else, NaN and strings
 * included, is wrong; nothing a candidate returns can make this throw.
 */
export function isCorrect(answer: unknown, values: readonly number[]): boolean {
  if (answer === null || typeof answer !== 'object') return false;
  const want = reference(values);
  for (const field of FIELDS) {
    const got = (answer as Record<string, unknown>)[field];
    const expected = want[field];
    if (expected === null) {
      if (got !== null && got !== undefined) return false;
      continue;
    }
    if (typeof got !== 'number' || !Number.isFinite(got)) return false;
    if (Math.abs(got - expected) > 1e-9 * Math.max(1, Math.abs(expected))) return false;
  }
  return true;
}
