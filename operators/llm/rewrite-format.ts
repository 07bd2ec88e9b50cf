// Applies whole-file rewrite answers (<file path="...">…</file>): reasoning removed, fences unwrapped, elisions and ambiguity rejected.
import type { VariantFiles } from '../../common/types.js';
import { findElisions } from './elisions.js';
import {
  FENCE_LINE, FILE_TAG, SEARCH_LINE, cleanPath, eolOf, finish, joinLines, quote, regionList, scanMarkers, splitLines, targetError,
  type EditOptions, type EditResult, type Line,
} from './edit-text.js';
import { draftedEdits, splitReasoning } from './reasoning-sections.js';

const NO_TAG = 'no <file path=...> block found; write each file as <file path="name">, its entire new content, </file>';

/**
 * The content of a file tag without the Markdown fence wrapped directly around it. A fence line
 * with a language tag opens a nested block (a Markdown file's own code), so the wrapper is the
 * first bare fence line that closes no nested block. Text after the wrapper means the tag holds
 * several fenced blocks, and which one is the file is a guess: that is an error, unless the
 * original itself has fences and the tag ends with one (a document wrapped whole).
 */
function stripFence(body: string, original: string): { text: string } | { error: string } {
  const lines = body.split('\n');
  const open = FENCE_LINE.exec(lines[0] ?? '');
  if (open === null || /^[ \t]*(```|~~~)/.test(original)) return { text: body };
  const [char, size] = [open[1]![0]!, open[1]!.length];
  let nested = 0;
  let close = -1;
  for (let i = 1; i < lines.length && close < 0; i++) {
    const m = FENCE_LINE.exec(lines[i]!);
    if (m === null || m[1]![0] !== char || m[1]!.length < size) continue;
    if (m[2] !== '') nested++;
    else if (nested > 0) nested--;
    else close = i;
  }
  if (close < 0) return { text: lines.slice(1).join('\n') }; // a fence never closed: only its opening line is the wrapper
  let last = lines.length - 1;
  while (last > 0 && lines[last]!.trim() === '') last--;
  const wrappedWhole = last !== close && FENCE_LINE.exec(lines[last]!)?.[2] === '' && original.split('\n').some((l) => FENCE_LINE.test(l));
  if (last !== close && !wrappedWhole) {
    const after = lines.slice(close + 1).find((l) => l.trim() !== '')!;
    return { error: `the content holds more than one fenced block (after the fence closed at its line ${close + 1} comes ${quote(after)}), so which is the file is unclear; give the file's entire content in one fence, or none` };
  }
  const inner = lines.slice(1, wrappedWhole ? last : close);
  return { text: inner.length === 0 ? '' : inner.join('\n') + '\n' };
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

/** A file's new content from its tag body, or why it cannot be taken. */
function contentOf(path: string, body: string, original: string): { text: string } | { error: string } {
  const unfenced = stripFence(body, original);
  if ('error' in unfenced) return unfenced;
  const lines = unfenced.text.split('\n');
  const elided = findElisions(lines, original.split(/\r?\n/));
  if (elided.length > 0) {
    const shown = elided.slice(0, 3).map((i) => `line ${i + 1}: ${quote(lines[i]!)}`).join(', ');
    return { error: `the rewrite elides code (${shown}); a rewrite replaces the whole file, so write out every line, also those that stay the same` };
  }
  return keepOutside(path, original, conform(unfenced.text, original));
}

function noTagError(answer: string, reasoning: string[], unclosed: string | undefined): string {
  const drafted = draftedEdits(reasoning);
  if (unclosed !== undefined) return `${NO_TAG} (the reasoning section opened by ${unclosed} is never closed, so everything after it is reasoning${drafted > 0 ? `, including the ${drafted} file(s) drafted in it, which are not applied` : ''})`;
  if (drafted > 0) return `${NO_TAG} (only inside the reasoning section, which is never applied: write the final files after it)`;
  const lines = answer.split(/\r?\n/);
  if (lines.some((l) => SEARCH_LINE.test(l))) return `${NO_TAG} (the answer gives SEARCH/REPLACE blocks, which this operator does not take)`;
  const fences = lines.filter((l) => FENCE_LINE.test(l)).length;
  if (fences > 0) return `${NO_TAG} (the answer has ${Math.ceil(fences / 2)} fenced block(s), but a fence does not say which file it is)`;
  return NO_TAG;
}

/**
 * Applies whole-file rewrites of existing files. Content is taken verbatim apart from one
 * fence directly inside the tag; the final-newline state and line ends stay the original's.
 * Reasoning sections are removed first; a file given twice with the same content counts once.
 */
export function parseRewrite(files: VariantFiles, answer: string, options: EditOptions = {}): EditResult {
  const split = splitReasoning(answer);
  const tags = parseFileTags(split.answer);
  if (tags.length === 0) return finish(files, files, [noTagError(split.answer, split.reasoning, split.unclosed)], 0, options);
  const current: VariantFiles = { ...files };
  const errors: string[] = [];
  let problems = 0;
  const seen = new Map<string, { block: number; body?: string; text?: string }>();
  tags.forEach(({ path, body }, i) => {
    const label = `block ${i + 1} (${path})`;
    const problem = body === undefined ? `<file path="${path}"> has no closing </file>` : targetError(files, path, options);
    const content = problem !== undefined || body === undefined ? { error: problem! } : contentOf(path, body, files[path]!);
    const text = 'text' in content ? content.text : undefined;
    const earlier = seen.get(path);
    if (earlier === undefined) seen.set(path, { block: i + 1, body: body?.trimEnd(), text });
    else if ((body !== undefined && earlier.body === body.trimEnd()) || (text !== undefined && earlier.text === text)) {
      errors.push(`${label}: a duplicate of block ${earlier.block} (the same content again); it counts once, so send it once`);
      return;
    }
    if (earlier !== undefined || text === undefined) {
      problems++;
      errors.push(`${label}: ${earlier !== undefined ? `file ${path} is given more than once, with different content (blocks ${earlier.block} and ${i + 1}); give it once` : 'error' in content ? content.error : ''}`);
    } else {
      current[path] = text;
    }
  });
  // A duplicate is named only beside real problems, so that the repair round does not send it twice again.
  return finish(files, current, problems > 0 ? errors : [], tags.length, options);
}
