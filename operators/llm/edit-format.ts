// Parses and applies what an LLM answers when asked to edit a variant: SEARCH/REPLACE diffs and whole-file rewrites.
import type { VariantFiles } from '../../common/types.js';

export interface EditOptions {
  /** Whether the LLM may change this file; absent means every file may change. */
  editable?: (path: string) => boolean;
}

/** An applied edit, or every problem found in the answer (nothing is applied then). */
export type EditResult =
  | { ok: true; files: VariantFiles; changed: string[]; blocks: number }
  | { ok: false; errors: string[] };

/** 1-based, inclusive line numbers of the content lines between a pair of markers (end = start - 1 when empty). */
export interface EvolveRegion { start: number; end: number }

/** A line and its end: '\n', '\r\n', or '' for a last line without a final newline. */
interface Line { text: string; eol: string }

interface DiffBlock { path: string | undefined; search: string[]; replace: string[]; error?: string }

const SEARCH_LINE = /^\s*<{5,9}\s*SEARCH\b:?\s*(.*?)\s*$/;
const DIVIDER_LINE = /^\s*={5,9}\s*$/;
const REPLACE_LINE = /^\s*>{5,9}\s*REPLACE\b/;
// At a line start only, so that content mentioning a tag inline is not cut there.
const FILE_TAG = /^[ \t]*<file\s+path\s*=\s*(["'])(.*?)\1\s*>/m;
const NO_CHANGE = 'the edit changes nothing';

function splitLines(text: string): Line[] {
  const parts = text.split(/(\r?\n)/); // text, eol, text, eol, ..., text
  const lines: Line[] = [];
  for (let i = 0; i < parts.length; i += 2) {
    if (i + 1 < parts.length || parts[i] !== '') lines.push({ text: parts[i]!, eol: parts[i + 1] ?? '' });
  }
  return lines;
}

const joinLines = (lines: Line[]): string => lines.map((l) => l.text + l.eol).join('');

/** The line end new lines get: the file's majority, so that an edit does not mix line ends. */
function eolOf(text: string): string {
  const crlf = text.split('\r\n').length - 1;
  return crlf > text.split('\n').length - 1 - crlf ? '\r\n' : '\n';
}

function cleanPath(raw: string | undefined): string | undefined {
  const path = (raw ?? '').trim().replace(/^["'`]+|["'`]+$/g, '').replace(/^\.\//, '');
  return path === '' ? undefined : path;
}

const lineRange = (first: number, last: number): string => (first === last ? `line ${first}` : `lines ${first}-${last}`);

function regionList(regions: EvolveRegion[]): string {
  return regions.map((r) => (r.end < r.start ? `(empty, after line ${r.start - 1})` : lineRange(r.start, r.end))).join(', ');
}

function scanMarkers(lines: string[]): { regions: EvolveRegion[]; error?: string } {
  const regions: EvolveRegion[] = [];
  let open: number | undefined;
  for (let i = 0; i < lines.length; i++) {
    const [n, start, end] = [i + 1, /\bEVOLVE-BLOCK-START\b/.test(lines[i]!), /\bEVOLVE-BLOCK-END\b/.test(lines[i]!)];
    if (start && end) return { regions, error: `line ${n} has both EVOLVE-BLOCK-START and EVOLVE-BLOCK-END` };
    if (start) {
      if (open !== undefined) return { regions, error: `EVOLVE-BLOCK-START at line ${n} comes before the block opened at line ${open} is closed` };
      open = n;
    } else if (end) {
      if (open === undefined) return { regions, error: `EVOLVE-BLOCK-END at line ${n} has no matching EVOLVE-BLOCK-START` };
      regions.push({ start: open + 1, end: n - 1 });
      open = undefined;
    }
  }
  if (open !== undefined) return { regions, error: `EVOLVE-BLOCK-START at line ${open} has no matching EVOLVE-BLOCK-END` };
  return { regions };
}

/**
 * The regions of a file the LLM may change. A file without markers has none and is wholly
 * editable. Throws on unbalanced markers: those can only come from a seed file (edits never
 * touch marker lines), so it is a configuration error that must not pass as "no regions".
 */
export function evolveRegions(text: string): EvolveRegion[] {
  const scan = scanMarkers(splitLines(text).map((l) => l.text));
  if (scan.error !== undefined) throw new Error(`unbalanced evolve-block markers: ${scan.error}`);
  return scan.regions;
}

function parseDiffBlocks(answer: string): DiffBlock[] {
  const blocks: DiffBlock[] = [];
  let current: DiffBlock | undefined;
  let inReplace = false;
  const unterminated = (): string => (inReplace ? "missing the '>>>>>>> REPLACE' line that ends the block" : "missing the '=======' line between SEARCH and REPLACE");
  for (const line of answer.split(/\r?\n/)) {
    const start = SEARCH_LINE.exec(line);
    if (start !== null) {
      if (current !== undefined) blocks.push({ ...current, error: unterminated() });
      current = { path: cleanPath(start[1]), search: [], replace: [] };
      inReplace = false;
    } else if (current === undefined) {
      continue; // prose or fences outside blocks
    } else if (!inReplace && DIVIDER_LINE.test(line)) {
      inReplace = true;
    } else if (inReplace && REPLACE_LINE.test(line)) {
      blocks.push(current);
      current = undefined;
    } else {
      (inReplace ? current.replace : current.search).push(line);
    }
  }
  if (current !== undefined) blocks.push({ ...current, error: unterminated() });
  return blocks;
}

function findRuns(lines: string[], search: string[], same: (a: string, b: string) => boolean): number[] {
  const found: number[] = [];
  for (let i = 0; i + search.length <= lines.length; i++) {
    let k = 0;
    while (k < search.length && same(lines[i + k]!, search[k]!)) k++;
    if (k === search.length) found.push(i);
  }
  return found;
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
function nearestLines(lines: string[], search: string[]): string {
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

/** Replaces lines [at, at+count) keeping the file's line ends and its final-newline state. */
function splice(lines: Line[], at: number, count: number, replacement: string[], eol: string): Line[] {
  const lastEol = lines[at + count - 1]!.eol;
  const added = replacement.map((text, j) => ({ text, eol: j === replacement.length - 1 ? lastEol : eol }));
  const out = [...lines.slice(0, at), ...added, ...lines.slice(at + count)];
  if (added.length === 0 && lastEol === '' && at > 0) out[at - 1] = { ...out[at - 1]!, eol: '' };
  return out;
}

function formatPlaces(starts: number[]): string {
  const shown = starts.slice(0, 5).map((i) => String(i + 1));
  const list = starts.length === 2 ? `${shown[0]} and ${shown[1]}` : shown.join(', ') + (starts.length > 5 ? ', ...' : '');
  return `matches ${starts.length} places (lines ${list}); add surrounding lines to make it unique`;
}

/** Applies one block to `files` in place; returns the error, if any. */
function applyBlock(files: VariantFiles, path: string, block: DiffBlock): string | undefined {
  if (block.search.every((l) => l.trim() === '')) return 'the SEARCH part is empty; quote the existing lines to replace (diffs do not create files)';
  const text = files[path]!;
  const lines = splitLines(text);
  const texts = lines.map((l) => l.text);
  const scan = scanMarkers(texts);
  if (scan.error !== undefined) return `${path} has unbalanced evolve-block markers (${scan.error}), so it cannot be edited`;
  let replace = block.replace;
  let starts = findRuns(texts, block.search, (a, b) => a === b);
  if (starts.length === 0) {
    starts = findRuns(texts, block.search, (a, b) => a.trim() === b.trim());
    if (starts.length === 1) {
      const k = block.search.findIndex((l) => l.trim() !== '');
      replace = reindent(replace, indentOf(block.search[k]!), indentOf(texts[starts[0]! + k]!));
    }
  }
  if (starts.length > 1) return `the SEARCH text ${formatPlaces(starts)}`;
  if (starts.length === 0) {
    const first = block.search.find((l) => l.trim() !== '')!;
    return `the SEARCH text was not found (its first line: \`${first}\`); the nearest lines of ${path} are:\n${nearestLines(texts, block.search)}`;
  }
  const at = starts[0]!;
  const [first, last] = [at + 1, at + block.search.length];
  if (scan.regions.length > 0 && !scan.regions.some((r) => r.start <= first && last <= r.end)) {
    return `the edit touches ${lineRange(first, last)}, outside the evolve blocks (${regionList(scan.regions)}); edit only lines inside one EVOLVE-BLOCK-START/EVOLVE-BLOCK-END pair`;
  }
  files[path] = joinLines(splice(lines, at, block.search.length, replace, eolOf(text)));
  return undefined;
}

function finish(original: VariantFiles, files: VariantFiles, errors: string[], blocks: number): EditResult {
  if (errors.length > 0) return { ok: false, errors };
  const changed = Object.keys(files).filter((p) => files[p] !== original[p]).sort();
  if (changed.length === 0) return { ok: false, errors: [NO_CHANGE] };
  return { ok: true, files, changed, blocks };
}

/** Why a path may not be targeted, or undefined when it may. */
function targetError(files: VariantFiles, path: string, options: EditOptions): string | undefined {
  if (!Object.hasOwn(files, path)) return `file ${path} does not exist; the files are: ${Object.keys(files).sort().join(', ')}`;
  if (options.editable !== undefined && !options.editable(path)) return `file ${path} may not be edited`;
  return undefined;
}

/**
 * Applies SEARCH/REPLACE blocks in order, each on the result of the previous ones. All or
 * nothing: a failed block does not stop the others from being tried, so that one repair round
 * can report every problem at once. Line numbers in errors refer to the file as the earlier
 * blocks left it.
 */
export function applyDiff(files: VariantFiles, answer: string, options: EditOptions = {}): EditResult {
  const blocks = parseDiffBlocks(answer);
  if (blocks.length === 0) return { ok: false, errors: ['no SEARCH/REPLACE block found; write each edit as <<<<<<< SEARCH path, the old lines, =======, the new lines, >>>>>>> REPLACE'] };
  const editable = Object.keys(files).filter((p) => options.editable?.(p) ?? true).sort();
  const current: VariantFiles = { ...files };
  const errors: string[] = [];
  blocks.forEach((block, i) => {
    const path = block.path ?? (editable.length === 1 ? editable[0] : undefined);
    const label = `block ${i + 1}${path === undefined ? '' : ` (${path})`}`;
    const error = block.error
      ?? (path === undefined
        ? `no file named after SEARCH, and ${editable.length} files are editable (${editable.join(', ')}); write <<<<<<< SEARCH followed by the path`
        : targetError(current, path, options) ?? applyBlock(current, path, block));
    if (error !== undefined) errors.push(`${label}: ${error}`);
  });
  return finish(files, current, errors, blocks.length);
}

/** Strips a Markdown fence wrapped directly around a file's content, unless the file itself starts with one. */
function stripFence(body: string, original: string): string {
  const lines = body.split('\n');
  const fence = /^[ \t]*(```|~~~)/;
  if (!fence.test(lines[0] ?? '') || fence.test(original)) return body;
  let last = lines.length - 1;
  while (last > 0 && lines[last]!.trim() === '') last--;
  if (last === 0 || !/^[ \t]*(```|~~~)[ \t]*$/.test(lines[last]!)) return body;
  const inner = lines.slice(1, last);
  return inner.length === 0 ? '' : inner.join('\n') + '\n';
}

/**
 * Gives rewritten content the original's final-newline state and line ends: the rendered form
 * cannot tell "abc" from "abc\n", and the LLM's line ends are not a change it meant to make.
 */
function conform(body: string, original: string): string {
  let text = body;
  if (original !== '') {
    if (original.endsWith('\n') && text !== '' && !text.endsWith('\n')) text += '\n';
    if (!original.endsWith('\n') && text.endsWith('\n')) text = text.slice(0, -1);
  }
  return eolOf(original) === '\r\n' ? text.replace(/\n/g, '\r\n') : text;
}

/** The rewrite with everything outside the evolve blocks taken byte for byte from the original, or why it cannot be. */
function keepOutside(path: string, original: string, rewritten: string): { text: string } | { error: string } {
  const old = splitLines(original);
  const oldScan = scanMarkers(old.map((l) => l.text));
  if (oldScan.error !== undefined) return { error: `${path} has unbalanced evolve-block markers (${oldScan.error}), so it cannot be edited` };
  if (oldScan.regions.length === 0) return { text: rewritten };
  const keep = `keep everything outside the evolve blocks (${regionList(oldScan.regions)}) exactly as it is`;
  const neu = splitLines(rewritten);
  const newScan = scanMarkers(neu.map((l) => l.text));
  if (newScan.error !== undefined) return { error: `the rewrite breaks the evolve-block markers (${newScan.error}); ${keep}` };
  if (newScan.regions.length !== oldScan.regions.length) {
    return { error: `the rewrite has ${newScan.regions.length} evolve blocks where ${path} has ${oldScan.regions.length}; ${keep}` };
  }
  const out: Line[] = [];
  let [oldAt, newAt] = [0, 0];
  for (let r = 0; r <= oldScan.regions.length; r++) {
    const oldRegion = oldScan.regions[r];
    const newRegion = newScan.regions[r];
    const outsideOld = old.slice(oldAt, oldRegion === undefined ? old.length : oldRegion.start - 1);
    const outsideNew = neu.slice(newAt, newRegion === undefined ? neu.length : newRegion.start - 1);
    const k = outsideOld.findIndex((l, j) => l.text !== outsideNew[j]?.text);
    const diff = k >= 0 ? k : outsideNew.length > outsideOld.length ? outsideOld.length : -1;
    if (diff >= 0) return { error: `the rewrite changes ${path} outside its evolve blocks (first difference at line ${oldAt + diff + 1} of the original); ${keep}` };
    out.push(...outsideOld);
    if (oldRegion === undefined || newRegion === undefined) break;
    out.push(...neu.slice(newRegion.start - 1, newRegion.end));
    [oldAt, newAt] = [oldRegion.end, newRegion.end];
  }
  return { text: joinLines(out) };
}

function parseFileTags(answer: string): Array<{ path: string; body?: string }> {
  const text = answer.replace(/\r\n/g, '\n');
  const tags: Array<{ path: string; body?: string }> = [];
  const open = new RegExp(FILE_TAG.source, 'gm');
  for (let m = open.exec(text); m !== null; m = open.exec(text)) {
    const path = cleanPath(m[2]) ?? '';
    let from = m.index + m[0].length;
    if (text[from] === '\n') from++;
    const nextOpen = text.slice(from).search(FILE_TAG);
    const limit = nextOpen < 0 ? text.length : from + nextOpen;
    const closeLine = /^[ \t]*<\/file>[ \t]*$/gm;
    closeLine.lastIndex = from;
    const c = closeLine.exec(text);
    const inline = text.indexOf('</file>', from);
    // Prefer a closing tag on its own line, so that content mentioning </file> survives.
    const [end, next] = c !== null && c.index < limit ? [c.index, c.index + c[0].length]
      : inline >= 0 && inline < limit ? [inline, inline + '</file>'.length] : [-1, limit];
    tags.push(end < 0 ? { path } : { path, body: text.slice(from, end) });
    open.lastIndex = next;
  }
  return tags;
}

/**
 * Applies whole-file rewrites of existing files. Content is taken verbatim apart from one
 * fence directly inside the tag; the final-newline state and line ends stay the original's.
 */
export function parseRewrite(files: VariantFiles, answer: string, options: EditOptions = {}): EditResult {
  const tags = parseFileTags(answer);
  if (tags.length === 0) return { ok: false, errors: ['no <file path=...> block found; write each file as <file path="name">, its entire new content, </file>'] };
  const current: VariantFiles = { ...files };
  const errors: string[] = [];
  const seen = new Set<string>();
  tags.forEach(({ path, body }, i) => {
    const label = `block ${i + 1} (${path})`;
    const problem = body === undefined ? `<file path="${path}"> has no closing </file>`
      : seen.has(path) ? `file ${path} is given more than once`
      : targetError(files, path, options);
    seen.add(path);
    if (problem !== undefined || body === undefined) {
      errors.push(`${label}: ${problem}`);
      return;
    }
    const original = files[path]!;
    const kept = keepOutside(path, original, conform(stripFence(body, original), original));
    if ('error' in kept) errors.push(`${label}: ${kept.error}`);
    else current[path] = kept.text;
  });
  return finish(files, current, errors, tags.length);
}

/**
 * Renders files the way prompts show them and rewrites are answered, so that parseRewrite
 * reads back exactly what this wrote. Sorted, so that a prompt does not depend on insertion order.
 */
export function formatFiles(files: VariantFiles, paths: string[] = Object.keys(files)): string {
  return [...new Set(paths)].sort().map((path) => {
    const text = Object.hasOwn(files, path) ? files[path] : undefined;
    if (text === undefined) throw new RangeError(`formatFiles: the variant has no file ${path}`);
    // An empty file renders with no blank line, else it would read back as "\n".
    const newline = text === '' || text.endsWith('\n') ? '' : '\n';
    return `<file path="${path}">\n${text}${newline}</file>`;
  }).join('\n');
}

/**
 * The one follow-up sent after a failed answer. A failed answer is applied all or nothing, so
 * the LLM must resend every block it still wants, not only the ones that failed.
 */
export function repairMessage(errors: string[]): string {
  return [
    'Your answer could not be applied, so none of it was. The problems:',
    '',
    ...errors.map((e) => `- ${e}`),
    '',
    'Reply with the corrected blocks only, in the same format and with no other text.',
    'Include every block you still want applied, also those that had no error.',
  ].join('\n');
}
