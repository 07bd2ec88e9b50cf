// Finds the numeric literals a stand-in edit may touch (inside the evolve block, outside comments and strings) and perturbs a few of them.

/** Uniform numbers in [0, 1); the same seed always gives the same stream. */
export type Prng = () => number;

/** sfc32 seeded from the first 16 bytes of a digest (e.g. a SHA-256 of the request). */
export function prngFromDigest(digest: Uint8Array): Prng {
  if (digest.length < 16) throw new RangeError(`prngFromDigest needs at least 16 bytes (got ${digest.length})`);
  const view = new DataView(digest.buffer, digest.byteOffset, 16);
  let a = view.getUint32(0, true);
  let b = view.getUint32(4, true);
  let c = view.getUint32(8, true);
  let d = view.getUint32(12, true);
  const next: Prng = () => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 12; i++) next(); // sfc32 mixes poorly in its first outputs
  return next;
}

function gaussian(rng: Prng): number {
  return Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
}

/** One changed line: its index in the file, its text before and after, and each literal's old and new spelling. */
export interface LineEdit {
  line: number;
  before: string;
  after: string;
  changes: { from: string; to: string }[];
}

interface Literal { line: number; start: number; end: number; text: string }

/** A JS numeric literal that is not part of an identifier or a member access; hex, octal, binary and bigint never match cleanly and are filtered out. */
const LITERAL = /(?<![\w$.])(?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)(?:[eE][+-]?\d+)?n?(?![\w$.])/g;
/** What we perturb: plain integers and decimals; legacy octal (`07`), separators (`1_000`) and bigints (`1n`) are left alone. */
const PLAIN_INTEGER = /^(?:0|[1-9]\d*)$/;
const PLAIN_DECIMAL = /^(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/**
 * Replaces every character that is not code (comments, string and template contents) by a space, line by line,
 * so that a literal found in the masked text is code at the same offset in the original line.
 */
export function maskNonCode(lines: readonly string[]): string[] {
  let mode: 'code' | 'block-comment' | 'template' = 'code';
  return lines.map((line) => {
    if (mode === 'code' && /^\s*#/.test(line)) return ' '.repeat(line.length); // a Python or shebang comment
    let out = '';
    let quote: string | null = null;
    for (let i = 0; i < line.length; i++) {
      const ch = line[i]!;
      const next = line[i + 1];
      if (mode === 'block-comment') {
        if (ch === '*' && next === '/') { mode = 'code'; out += '  '; i++; } else out += ' ';
        continue;
      }
      if (mode === 'template' || quote !== null) {
        if (ch === '\\') { out += '  '; i++; continue; }
        if (mode === 'template' ? ch === '`' : ch === quote) { if (mode === 'template') mode = 'code'; else quote = null; }
        out += ' ';
        continue;
      }
      if (ch === '/' && next === '/') break;
      if (ch === '#' && (next === undefined || next === ' ')) break; // a trailing Python comment; JS never has `# `
      if (ch === '/' && next === '*') { mode = 'block-comment'; out += '  '; i++; continue; }
      if (ch === '`') { mode = 'template'; out += ' '; continue; }
      if (ch === '"' || ch === "'") { quote = ch; out += ' '; continue; }
      out += ch;
    }
    return out.padEnd(line.length, ' ').slice(0, line.length);
  });
}

/** Line indexes strictly between EVOLVE-BLOCK-START and EVOLVE-BLOCK-END markers (every block), or every line when there is no START marker. */
export function editableLines(lines: readonly string[]): number[] {
  const inside: number[] = [];
  let open = false;
  let marked = false;
  lines.forEach((line, index) => {
    if (line.includes('EVOLVE-BLOCK-START')) { open = true; marked = true; return; }
    if (line.includes('EVOLVE-BLOCK-END')) { open = false; return; }
    if (open) inside.push(index);
  });
  return marked ? inside : lines.map((_, index) => index);
}

function findLiterals(lines: readonly string[]): Literal[] {
  const masked = maskNonCode(lines);
  const counts = new Map<string, number>();
  for (const line of lines) counts.set(line, (counts.get(line) ?? 0) + 1);
  const all: Literal[] = [];
  for (const index of editableLines(lines)) {
    for (const match of masked[index]!.matchAll(LITERAL)) {
      const text = match[0];
      if (!PLAIN_INTEGER.test(text) && !(/[.eE]/.test(text) && PLAIN_DECIMAL.test(text))) continue;
      all.push({ line: index, start: match.index, end: match.index + text.length, text });
    }
  }
  // A SEARCH of one line must match once, or the edit may land on a twin line outside the evolve block.
  const onUniqueLines = all.filter((literal) => counts.get(lines[literal.line]!) === 1);
  return onUniqueLines.length > 0 ? onUniqueLines : all;
}

/** A new spelling of `text`, different in value from the original and never negative, so `x - 0.5` cannot become `x - -0.4`. */
export function perturbLiteral(text: string, rng: Prng, temperature: number): string {
  if (PLAIN_INTEGER.test(text)) {
    const step = BigInt(rng() < 0.5 ? 1 : 2);
    const value = BigInt(text);
    const down = rng() < 0.5 && value - step >= 0n;
    return String(down ? value - step : value + step);
  }
  const parts = PLAIN_DECIMAL.exec(text);
  if (parts === null) throw new RangeError(`not a plain numeric literal: ${text}`);
  const decimals = Math.max(parts[2]?.length ?? 0, 1);
  const exponential = parts[3] !== undefined;
  const original = Number(text);
  const spread = 0.05 + 0.15 * temperature;
  const z = gaussian(rng);
  const value = original * Math.max(0.1, 1 + z * spread);
  const spellings = exponential
    ? [value.toExponential(decimals), value.toExponential(5)]
    : [value.toFixed(decimals), String(Number(value.toPrecision(6)))];
  const changed = (spelling: string) => Number(spelling) !== original && (original === 0 || Number(spelling) !== 0);
  const found = spellings.find(changed);
  if (found !== undefined) return found;
  // The draw was too close to 1 to show at this precision: move one printed unit the way it pointed.
  if (exponential) return (original === 0 ? 0.1 : original * (z < 0 ? 0.9 : 1.1)).toExponential(decimals);
  const unit = 10 ** -decimals;
  const nudged = z < 0 && original - unit > 0 ? original - unit : original + unit;
  return nudged.toFixed(decimals);
}

/**
 * Perturbs one to three numeric literals of `content`, chosen by `rng` among code (not comments or strings) inside
 * the evolve block. Returns the new lines and one edit per changed line, in file order; no edit when there is no literal.
 */
export function editNumericLiterals(content: string, rng: Prng, temperature: number): { lines: string[]; edits: LineEdit[] } {
  const lines = content.split('\n');
  const pool = findLiterals(lines);
  const wanted = Math.min(1 + Math.floor(rng() * 3), pool.length);
  for (let i = 0; i < wanted; i++) { // partial Fisher-Yates: the first `wanted` entries become the pick
    const j = i + Math.floor(rng() * (pool.length - i));
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  const picked = pool.slice(0, wanted).map((literal) => ({ ...literal, to: perturbLiteral(literal.text, rng, temperature) }));
  const byLine = new Map<number, typeof picked>();
  for (const literal of picked) byLine.set(literal.line, [...(byLine.get(literal.line) ?? []), literal]);
  const edits: LineEdit[] = [];
  const result = [...lines];
  for (const [line, literals] of [...byLine].sort(([a], [b]) => a - b)) {
    let text = lines[line]!;
    // Right to left, so earlier offsets on the same line stay valid.
    for (const literal of [...literals].sort((a, b) => b.start - a.start)) text = text.slice(0, literal.start) + literal.to + text.slice(literal.end);
    result[line] = text;
    const changes = [...literals].sort((a, b) => a.start - b.start).map((literal) => ({ from: literal.text, to: literal.to }));
    edits.push({ line, before: lines[line]!, after: text, changes });
  }
  return { lines: result, edits };
}
