// Reads SEARCH/REPLACE blocks out of an answer (after its reasoning is removed) and locates a block's SEARCH part in a file.
import { DIVIDER_LINE, FENCE_LINE, REPLACE_LINE, SEARCH_LINE, cleanPath } from './edit-text.js';

export interface DiffBlock {
  /** The path named after SEARCH, or on the line before the block (Aider's style), if any. */
  path: string | undefined;
  /** The lines between the SEARCH and REPLACE markers, dividers included. */
  body: string[];
  /** Indices in `body` of the lines that can be the divider (`=======`). */
  dividers: number[];
  error?: string;
}

/** One way of reading a block: the SEARCH and REPLACE parts around one of its divider lines. */
export interface Reading { divider: number; search: string[]; replace: string[] }

/** Where a SEARCH part is in a file: once (with the REPLACE part moved to the file's indentation), several times, or nowhere. */
export type Location =
  | { kind: 'unique'; at: number; replace: string[] }
  | { kind: 'many'; starts: number[] }
  | { kind: 'none' }
  | { kind: 'empty' };

/**
 * Splits an answer into blocks. Text outside blocks (prose, fences) is ignored. A block without a
 * path after SEARCH takes the file named alone on the line before it (skipping blank and fence
 * lines), when that is one of `known`.
 */
export function parseDiffBlocks(answer: string, known: (path: string) => boolean): DiffBlock[] {
  const lines = answer.split(/\r?\n/);
  const blocks: DiffBlock[] = [];
  let current: DiffBlock | undefined;
  const unterminated = (b: DiffBlock): DiffBlock => ({
    ...b, error: b.dividers.length === 0 ? "missing the '=======' line between SEARCH and REPLACE" : "missing the '>>>>>>> REPLACE' line that ends the block",
  });
  lines.forEach((line, i) => {
    const start = SEARCH_LINE.exec(line);
    if (start !== null) {
      if (current !== undefined) blocks.push(unterminated(current));
      current = { path: cleanPath(start[1]) ?? pathBefore(lines, i, known), body: [], dividers: [] };
    } else if (current === undefined) {
      // prose or fences outside blocks
    } else if (REPLACE_LINE.test(line)) {
      blocks.push(current.dividers.length === 0 ? unterminated(current) : current);
      current = undefined;
    } else {
      if (DIVIDER_LINE.test(line)) current.dividers.push(current.body.length);
      current.body.push(line);
    }
  });
  if (current !== undefined) blocks.push(unterminated(current));
  return blocks;
}

function pathBefore(lines: string[], at: number, known: (path: string) => boolean): string | undefined {
  for (let i = at - 1; i >= 0 && i >= at - 3; i--) {
    const line = lines[i]!.trim();
    if (line === '' || FENCE_LINE.test(line)) continue;
    const path = cleanPath(line.replace(/^#+\s*/, '').replace(/^(?:file(?:name)?|path)\s*:\s*/i, ''));
    return path !== undefined && known(path) ? path : undefined;
  }
  return undefined;
}

export function readingsOf(block: DiffBlock): Reading[] {
  return block.dividers.map((d) => ({ divider: d, search: block.body.slice(0, d), replace: block.body.slice(d + 1) }));
}

/**
 * Unwraps a Markdown fence written inside the SEARCH part (and then the REPLACE part's too) when
 * the file has no such fence line, i.e. when the fence cannot be part of what is quoted.
 */
export function unfence(reading: Reading, fileLines: readonly string[]): Reading {
  const has = new Set(fileLines.map((l) => l.trim()));
  const wrapped = (part: string[]) => part.length >= 2 && FENCE_LINE.test(part[0]!) && FENCE_LINE.exec(part.at(-1)!)?.[2] === ''
    && part[0]!.trim()[0] === part.at(-1)!.trim()[0] && !has.has(part[0]!.trim());
  if (!wrapped(reading.search)) return reading;
  return { ...reading, search: reading.search.slice(1, -1), replace: wrapped(reading.replace) ? reading.replace.slice(1, -1) : reading.replace };
}

/** The fence that wraps a REPLACE part, when the file has no fence line to say it is content. */
export function strayFence(replace: string[], fileLines: readonly string[], path: string): string | undefined {
  if (replace.length < 2 || !FENCE_LINE.test(replace[0]!) || FENCE_LINE.exec(replace.at(-1)!)?.[2] !== '') return undefined;
  if (/\.(?:md|markdown|mdx|txt|rst|adoc)$/i.test(path) || fileLines.some((l) => FENCE_LINE.test(l))) return undefined;
  return replace[0]!.trim();
}

function findRuns(lines: readonly string[], search: string[], same: (a: string, b: string) => boolean): number[] {
  const found: number[] = [];
  for (let i = 0; i + search.length <= lines.length; i++) {
    let k = 0;
    while (k < search.length && same(lines[i + k]!, search[k]!)) k++;
    if (k === search.length) found.push(i);
  }
  return found;
}

const indentOf = (s: string): string => /^[ \t]*/.exec(s)![0];

/** Moves REPLACE lines from the SEARCH text's indentation to the file's, keeping their relative indentation. */
function reindent(replace: string[], searchIndent: string, fileIndent: string): string[] {
  if (searchIndent === fileIndent) return replace;
  return replace.map((line) => {
    if (line.trim() === '') return line;
    if (line.startsWith(searchIndent)) return fileIndent + line.slice(searchIndent.length);
    if (fileIndent.startsWith(searchIndent)) return fileIndent.slice(searchIndent.length) + line;
    if (searchIndent.startsWith(fileIndent)) {
      const drop = Math.min(searchIndent.length - fileIndent.length, indentOf(line).length);
      return line.slice(drop);
    }
    return line; // tabs against spaces: no prefix relation to move by
  });
}

/** Finds a SEARCH part: an exact match wins over one that ignores indentation. */
export function locate(lines: readonly string[], reading: Reading): Location {
  const { search, replace } = reading;
  if (search.every((l) => l.trim() === '')) return { kind: 'empty' };
  let starts = findRuns(lines, search, (a, b) => a === b);
  let moved = replace;
  if (starts.length === 0) {
    starts = findRuns(lines, search, (a, b) => a.trim() === b.trim());
    if (starts.length === 1) {
      const k = search.findIndex((l) => l.trim() !== '');
      moved = reindent(replace, indentOf(search[k]!), indentOf(lines[starts[0]! + k]!));
    }
  }
  if (starts.length === 1) return { kind: 'unique', at: starts[0]!, replace: moved };
  return starts.length === 0 ? { kind: 'none' } : { kind: 'many', starts };
}

/** Character bigrams as a multiset; strings shorter than 2 are their own single token. */
function bigrams(s: string): Map<string, number> {
  const grams = new Map<string, number>();
  const t = s.trim();
  if (t.length < 2) grams.set(t, 1);
  for (let i = 0; i + 1 < t.length; i++) grams.set(t.slice(i, i + 2), (grams.get(t.slice(i, i + 2)) ?? 0) + 1);
  return grams;
}

function dice(a: Map<string, number>, b: Map<string, number>): number {
  let [shared, size] = [0, 0];
  for (const [g, n] of a) [shared, size] = [shared + Math.min(n, b.get(g) ?? 0), size + n];
  for (const n of b.values()) size += n;
  return (2 * shared) / size;
}

/** The file window most like the SEARCH text (first one on ties), with a line of context each side, numbered. */
export function nearestLines(lines: readonly string[], search: string[]): string {
  if (lines.length === 0) return '(the file is empty)';
  const n = Math.min(search.length, lines.length);
  const fileGrams = lines.map(bigrams);
  const searchGrams = search.map(bigrams);
  let [best, bestScore] = [0, -1];
  for (let w = 0; w + n <= lines.length; w++) {
    let score = 0;
    for (let k = 0; k < n; k++) score += dice(searchGrams[k]!, fileGrams[w + k]!);
    if (score > bestScore) [best, bestScore] = [w, score];
  }
  const from = Math.max(0, best - 1);
  const to = Math.min(lines.length, best + n + 1, from + 30); // a long SEARCH still gets a readable error
  const width = String(to).length;
  return lines.slice(from, to).map((l, j) => `${String(from + j + 1).padStart(width)} | ${l}`).join('\n');
}
