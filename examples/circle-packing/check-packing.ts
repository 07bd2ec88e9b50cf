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

/**
 * Runs inside the sandbox (see ../shared/program-sandbox.ts): calls pack() and turns its answer into plain
 * JSON, keeping what JSON would lose (NaN, Infinity, wrong types) as descriptions for readCircles.
 */
export const PACK_HARNESS = `function (pack) {
  if (typeof pack !== 'function') return { missing: true };
  const out = pack();
  const kind = (v) => v === undefined ? 'missing' : v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v;
  if (!Array.isArray(out)) return { type: kind(out) };
  if (out.length !== ${CIRCLE_COUNT}) return { length: out.length };
  const num = (v) => typeof v === 'number' ? (Number.isFinite(v) ? v : String(v)) : { type: kind(v) };
  return { circles: out.map((c) => c !== null && typeof c === 'object' && !Array.isArray(c)
    ? { x: num(c.x), y: num(c.y), r: num(c.r) }
    : { type: kind(c) }) };
}`;

type Encoded = number | string | { type?: unknown };

function field(i: number, name: 'x' | 'y' | 'r', v: Encoded | undefined): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return fail(`circle ${i}: ${name} is ${v}, expected a finite number`);
  const type = v !== null && typeof v === 'object' && typeof v.type === 'string' ? v.type : 'missing';
  return fail(`circle ${i}: ${name} is ${type === 'missing' ? 'missing' : article(type)}, expected a finite number`);
}

function article(type: string): string {
  if (type === 'null' || type === 'an array') return type;
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function fail(message: string): never {
  throw new Error(message);
}

/** Turns the harness's output into circles, or throws naming the first circle or field that is wrong. */
export function readCircles(value: unknown): Circle[] {
  const v = (value ?? {}) as { missing?: unknown; type?: unknown; length?: unknown; circles?: unknown };
  if (v.missing === true) fail('program.js defines no function pack()');
  const expected = `an array of ${CIRCLE_COUNT} objects { x, y, r }`;
  if (typeof v.type === 'string') fail(`pack() returned ${v.type === 'missing' ? 'undefined' : article(v.type)}, expected ${expected}`);
  if (typeof v.length === 'number') fail(`pack() returned ${v.length} circles, expected ${CIRCLE_COUNT}`);
  if (!Array.isArray(v.circles) || v.circles.length !== CIRCLE_COUNT) {
    fail('the evaluation harness got malformed output (did program.js replace a built-in?)');
  }
  return v.circles.map((raw: unknown, i) => {
    const c = (raw ?? {}) as { x?: Encoded; y?: Encoded; r?: Encoded; type?: unknown };
    if (typeof c.type === 'string') fail(`circle ${i} is ${c.type === 'missing' ? 'undefined' : article(c.type)}, expected an object { x, y, r }`);
    return { x: field(i, 'x', c.x), y: field(i, 'y', c.y), r: field(i, 'r', c.r) };
  });
}

const fmt = (n: number): string => (Math.abs(n) >= 1e-4 || n === 0 ? n.toFixed(6).replace(/0+$/, '').replace(/\.$/, '') : n.toExponential(2));

/** Every constraint the circles break, in order: radius, then walls, then overlapping pairs. */
export function violations(circles: readonly Circle[]): string[] {
  const found: string[] = [];
  circles.forEach((c, i) => {
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
      const a = circles[i]!;
      const b = circles[j]!;
      const d = Math.hypot(a.x - b.x, a.y - b.y);
      if (d < a.r + b.r - TOLERANCE) {
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
