// Reads what pack() returned into circles and checks them against the unit square, or says precisely what is wrong.

export interface Circle {
  x: number;
  y: number;
  r: number;
}

/** Circles the packing must hold. */
export const CIRCLE_COUNT = 26;
/** Slack allowed on every constraint, for floating-point round-off. */
export const TOLERANCE = 1e-9;

function fail(message: string): never {
  throw new Error(message);
}

/** How a value pack() returned is named in a message. */
function kind(v: unknown): string {
  if (v === undefined) return 'undefined';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  const type = typeof v;
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

/** A finite number, or a message naming the circle and the field. */
function field(i: number, c: Record<string, unknown>, name: 'x' | 'y' | 'r'): number {
  const v = Object.hasOwn(c, name) ? c[name] : undefined;
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'number') return fail(`circle ${i}: ${name} is ${v}, expected a finite number`);
  return fail(`circle ${i}: ${name} is ${v === undefined ? 'missing' : kind(v)}, expected a finite number`);
}

/**
 * Turns what pack() returned into circles, or throws naming the first circle or field that is
 * wrong. `value` is plain data parsed on the host from the JSON text the sandbox copied out (no
 * harness runs after the program: nothing the program could have replaced computes any of it),
 * and every number is checked here with Number.isFinite before it is scored.
 */
export function readCircles(value: unknown): Circle[] {
  const expected = `an array of ${CIRCLE_COUNT} objects { x, y, r }`;
  if (!Array.isArray(value)) fail(`pack() returned ${kind(value)}, expected ${expected}`);
  if (value.length !== CIRCLE_COUNT) fail(`pack() returned ${value.length} circles, expected ${CIRCLE_COUNT}`);
  return value.map((raw: unknown, i) => {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) fail(`circle ${i} is ${kind(raw)}, expected an object { x, y, r }`);
    const c = raw as Record<string, unknown>;
    return { x: field(i, c, 'x'), y: field(i, c, 'y'), r: field(i, c, 'r') };
  });
}

const fmt = (n: number): string => (Math.abs(n) >= 1e-4 || n === 0 ? n.toFixed(6).replace(/0+$/, '').replace(/\.$/, '') : n.toExponential(2));

/** Every constraint the circles break, in order: radius, then walls, then overlapping pairs. */
export function violations(circles: readonly Circle[]): string[] {
  const found: string[] = [];
  // NaN compares false with everything, so it would pass every check below: refuse it first.
  const finite = circles.map((c) => Number.isFinite(c.x) && Number.isFinite(c.y) && Number.isFinite(c.r));
  circles.forEach((c, i) => {
    const bad = (['x', 'y', 'r'] as const).find((k) => !Number.isFinite(c[k]));
    if (bad !== undefined) {
      found.push(`circle ${i} has ${bad} = ${c[bad]}, must be a finite number`);
      return;
    }
    if (!(c.r > 0)) found.push(`circle ${i} has radius ${fmt(c.r)}, must be positive`);
    const walls: Array<[string, number, string]> = [
      ['left', c.x - c.r, 'x - r'],
      ['bottom', c.y - c.r, 'y - r'],
      ['right', 1 - (c.x + c.r), '1 - (x + r)'],
      ['top', 1 - (c.y + c.r), '1 - (y + r)'],
    ];
    for (const [wall, gap, formula] of walls) {
      if (gap < -TOLERANCE) found.push(`circle ${i} crosses the ${wall} wall by ${fmt(-gap)} (${formula} = ${fmt(gap)})`);
    }
  });
  for (let i = 0; i < circles.length; i++) {
    for (let j = i + 1; j < circles.length; j++) {
      if (!finite[i] || !finite[j]) continue;
      const a = circles[i]!;
      const b = circles[j]!;
      const d = Math.hypot(a.x - b.x, a.y - b.y);
      if (!(d >= a.r + b.r - TOLERANCE)) {
        found.push(`circles ${i} and ${j} overlap by ${fmt(a.r + b.r - d)} (centre distance ${fmt(d)} < r${i} + r${j} = ${fmt(a.r + b.r)})`);
      }
    }
  }
  return found;
}

/** Throws with the first violation (and how many more there are) unless the packing is valid. */
export function checkPacking(circles: readonly Circle[]): void {
  const found = violations(circles);
  if (found.length === 0) return;
  const more = found.length > 1 ? ` (and ${found.length - 1} more violation${found.length > 2 ? 's' : ''})` : '';
  throw new Error(`invalid packing: ${found[0]}${more}`);
}
