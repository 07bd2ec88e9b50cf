// How numbers are written where people and LLMs read them.

/** Integers exactly; other numbers to 6 significant digits, without trailing zeros (0.5, 2.41681, 1.5e-7). */
export function shortNumber(x: number): string {
  return Number.isInteger(x) ? String(x) : String(Number(x.toPrecision(6)));
}
