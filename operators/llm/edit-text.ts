// The vocabulary the edit formats share: results, line handling, edit markers and evolve-block regions.
import type { VariantFiles } from '../../common/types.js';

export interface EditOptions {
  /** Whether the LLM may change this file; absent means every file may change. */
  editable?: (path: string) => boolean;
  /**
   * The answer stopped at the token limit (finish_reason "length"). It is then never applied, even
   * when what arrived parses: the edits after the cut are missing, so the child would be half a change.
   */
  cutOff?: boolean;
}

/** An applied edit, or every problem found in the answer (nothing is applied then). */
export type EditResult =
  | { ok: true; files: VariantFiles; changed: string[]; blocks: number }
  | { ok: false; errors: string[] };

/** 1-based, inclusive line numbers of the content lines between a pair of markers (end = start - 1 when empty). */
export interface EvolveRegion { start: number; end: number }

/** A line and its end: '\n', '\r\n', or '' for a last line without a final newline. */
export interface Line { text: string; eol: string }

/**
 * Marker lines. 5 to 9 angle brackets or equals signs are accepted (models miscount the usual 7);
 * 4 or 10 are not markers, so content lines such as a long `==========` rule never are.
 */
export const SEARCH_LINE = /^\s*<{5,9}\s*SEARCH\b:?\s*(.*?)\s*$/;
export const DIVIDER_LINE = /^\s*={5,9}\s*$/;
export const REPLACE_LINE = /^\s*>{5,9}\s*REPLACE\b/;
// At a line start only, so that content mentioning a tag inline is not cut there.
export const FILE_TAG = /^[ \t]*<file\s+path\s*=\s*(["'])(.*?)\1\s*>/m;
/** A Markdown fence line: its character run and what follows it (a language tag, or nothing on a closing fence). */
export const FENCE_LINE = /^[ \t]*(`{3,}|~{3,})[ \t]*([^`\s]*)[ \t]*$/;
export const NO_CHANGE = 'the edit changes nothing';
export const CUT_OFF = 'the answer was cut off at the token limit (finish_reason "length"), so its edits may be incomplete and none is applied; answer more briefly';

export function splitLines(text: string): Line[] {
  const parts = text.split(/(\r?\n)/); // text, eol, text, eol, ..., text
  const lines: Line[] = [];
  for (let i = 0; i < parts.length; i += 2) {
    if (i + 1 < parts.length || parts[i] !== '') lines.push({ text: parts[i]!, eol: parts[i + 1] ?? '' });
  }
  return lines;
}

export const joinLines = (lines: Line[]): string => lines.map((l) => l.text + l.eol).join('');

/** The line end new lines get: the file's majority, so that an edit does not mix line ends. */
export function eolOf(text: string): string {
  const crlf = text.split('\r\n').length - 1;
  return crlf > text.split('\n').length - 1 - crlf ? '\r\n' : '\n';
}

/** A path as models write it: quoted, backticked, bold, or with a trailing colon. */
export function cleanPath(raw: string | undefined): string | undefined {
  const path = (raw ?? '').replace(/^[\s"'`*([]+|[\s"'`*)\]:]+$/g, '').replace(/^\.\//, '');
  return path === '' ? undefined : path;
}

export const lineRange = (first: number, last: number): string => (first === last ? `line ${first}` : `lines ${first}-${last}`);

export function regionList(regions: EvolveRegion[]): string {
  return regions.map((r) => (r.end < r.start ? `(empty, after line ${r.start - 1})` : lineRange(r.start, r.end))).join(', ');
}

export function scanMarkers(lines: string[]): { regions: EvolveRegion[]; error?: string } {
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

/** Why a path may not be targeted, or undefined when it may. */
export function targetError(files: VariantFiles, path: string, options: EditOptions): string | undefined {
  if (!Object.hasOwn(files, path)) return `file ${path} does not exist; the files are: ${Object.keys(files).sort().join(', ')}`;
  if (options.editable !== undefined && !options.editable(path)) return `file ${path} may not be edited`;
  return undefined;
}

/** The result of an answer: its errors (the cut-off first), else the files it changed. */
export function finish(original: VariantFiles, files: VariantFiles, errors: string[], blocks: number, options: EditOptions): EditResult {
  const all = options.cutOff === true ? [CUT_OFF, ...errors] : errors;
  if (all.length > 0) return { ok: false, errors: all };
  const changed = Object.keys(files).filter((p) => files[p] !== original[p]).sort();
  if (changed.length === 0) return { ok: false, errors: [NO_CHANGE] };
  return { ok: true, files, changed, blocks };
}

/** Quotes a line of an answer in an error, shortened so that the message stays readable. */
export function quote(line: string): string {
  const t = line.trim();
  const shown = t.length > 80 ? `${t.slice(0, 77)}...` : t;
  return shown.includes('`') ? `\`\` ${shown} \`\`` : `\`${shown}\``; // Markdown's way to quote backticks
}
