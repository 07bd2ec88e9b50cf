// Applies SEARCH/REPLACE answers: reasoning removed, duplicates applied once, ambiguous dividers and elided REPLACE parts rejected.
import type { VariantFiles } from '../../common/types.js';
import { findElisions } from './elisions.js';
import {
  FILE_TAG, finish, joinLines, lineRange, quote, regionList, scanMarkers, splitLines, eolOf, targetError,
  type EditOptions, type EditResult, type Line,
} from './edit-text.js';
import { draftedEdits, splitReasoning } from './reasoning-sections.js';
import { locate, nearestLines, parseDiffBlocks, readingsOf, strayFence, unfence, type DiffBlock, type Location, type Reading } from './search-replace-blocks.js';

const NO_BLOCK = 'no SEARCH/REPLACE block found; write each edit as <<<<<<< SEARCH path, the old lines, =======, the new lines, >>>>>>> REPLACE';

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

const list = (items: string[]): string => (items.length <= 2 ? items.join(' and ') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`);

function locationError(path: string, texts: string[], reading: Reading, where: Location): string {
  if (where.kind === 'empty') return 'the SEARCH part is empty; quote the existing lines to replace (diffs do not create files)';
  if (where.kind === 'many') return `the SEARCH text ${formatPlaces(where.starts)}`;
  const first = reading.search.find((l) => l.trim() !== '')!;
  const elided = findElisions(reading.search, texts).map((i) => reading.search[i]!);
  const hint = elided.length === 0 ? '' : `; its line ${quote(elided[0]!)} stands for lines left out, but SEARCH must quote every line exactly`;
  return `the SEARCH text was not found (its first line: \`${first}\`)${hint}; the nearest lines of ${path} are:\n${nearestLines(texts, reading.search)}`;
}

/**
 * Chooses how to read a block. With one divider line there is one reading; a block with several
 * (a Markdown heading underlined with `=======`, a conflict marker in the file) is applied only
 * when exactly one reading has a SEARCH part found once in the file, and rejected naming the
 * readings otherwise: picking one would be a guess that can silently edit the wrong lines.
 */
function choose(path: string, texts: string[], block: DiffBlock): { reading: Reading; at: number; replace: string[] } | { error: string } {
  const readings = readingsOf(block).map((r) => unfence(r, texts));
  const located = readings.map((reading) => ({ reading, where: locate(texts, reading) }));
  const unique = located.flatMap(({ reading, where }) => (where.kind === 'unique' ? [{ reading, where }] : []));
  if (unique.length === 1) return { reading: unique[0]!.reading, at: unique[0]!.where.at, replace: unique[0]!.where.replace };
  const dividerLines = list(block.dividers.map((d) => String(d + 1)));
  if (unique.length > 1) {
    const shown = unique.map(({ reading, where: { at } }) => {
      const span = reading.search.length === 1 ? quote(reading.search[0]!) : `${quote(reading.search[0]!)} to ${quote(reading.search.at(-1)!)}`;
      return `with the one at line ${reading.divider + 1}, SEARCH is ${span}, found at ${lineRange(at + 1, at + reading.search.length)} of ${path}`;
    });
    return { error: `the block has ${block.dividers.length} lines of only '=' (its lines ${dividerLines}) and more than one could be the divider: ${shown.join('; ')}. Nothing was guessed; quote a SEARCH part that only one reading finds: one with no line of only '=', or whose only such line is its first` };
  }
  const { reading, where } = located.find((l) => l.where.kind === 'many') ?? located[0]!;
  const note = block.dividers.length > 1 ? ` (the block has ${block.dividers.length} lines of only '=', its lines ${dividerLines}; this reads the one at line ${reading.divider + 1} as the divider, and no reading's SEARCH part is found exactly once)` : '';
  return { error: locationError(path, texts, reading, where) + note };
}

/** Applies one block to `files` in place; returns the SEARCH part it replaced, or the error. */
function applyBlock(files: VariantFiles, path: string, block: DiffBlock): { search: string[] } | { error: string } {
  const text = files[path]!;
  const lines = splitLines(text);
  const texts = lines.map((l) => l.text);
  const scan = scanMarkers(texts);
  if (scan.error !== undefined) return { error: `${path} has unbalanced evolve-block markers (${scan.error}), so it cannot be edited` };
  const chosen = choose(path, texts, block);
  if ('error' in chosen) return chosen;
  const { reading, at, replace } = chosen;
  const fence = strayFence(replace, texts, path);
  if (fence !== undefined) return { error: `the REPLACE part is wrapped in a Markdown fence (${quote(fence)}), which would become lines of ${path}; write the lines without the fence` };
  const elided = findElisions(replace, reading.search);
  if (elided.length > 0) {
    return { error: `the REPLACE part elides code (${elided.slice(0, 3).map((i) => `${quote(replace[i]!)}`).join(', ')}): the REPLACE lines replace the SEARCH lines exactly, so write out every line to keep, or quote fewer lines` };
  }
  const [first, last] = [at + 1, at + reading.search.length];
  if (scan.regions.length > 0 && !scan.regions.some((r) => r.start <= first && last <= r.end)) {
    return { error: `the edit touches ${lineRange(first, last)}, outside the evolve blocks (${regionList(scan.regions)}); edit only lines inside one EVOLVE-BLOCK-START/EVOLVE-BLOCK-END pair` };
  }
  files[path] = joinLines(splice(lines, at, reading.search.length, replace, eolOf(text)));
  return { search: reading.search };
}

const sameLines = (a: string[], b: string[]): boolean => a.length === b.length && a.every((l, i) => l.trimEnd() === b[i]!.trimEnd());

/**
 * Applies SEARCH/REPLACE blocks in order, each on the result of the previous ones. All or
 * nothing: a failed block does not stop the others from being tried, so that one repair round
 * can report every problem at once. Line numbers in errors refer to the file as the earlier
 * blocks left it. Reasoning sections are removed first; a block repeated exactly counts once.
 */
export function applyDiff(files: VariantFiles, answer: string, options: EditOptions = {}): EditResult {
  const split = splitReasoning(answer);
  const blocks = parseDiffBlocks(split.answer, (p) => Object.hasOwn(files, p));
  if (blocks.length === 0) return finish(files, files, [noBlockError(split.answer, split.reasoning, split.unclosed)], 0, options);
  const editable = Object.keys(files).filter((p) => options.editable?.(p) ?? true).sort();
  const current: VariantFiles = { ...files };
  const errors: string[] = [];
  let problems = 0;
  const done: Array<{ path: string; block: DiffBlock; search?: string[] }> = [];
  blocks.forEach((block, i) => {
    const path = block.path ?? (editable.length === 1 ? editable[0] : undefined);
    const label = `block ${i + 1}${path === undefined ? '' : ` (${path})`}`;
    const twin = done.findIndex((d) => d.path === path && sameLines(d.block.body, block.body));
    if (path !== undefined && block.error === undefined && twin >= 0) {
      errors.push(`${label}: a duplicate of block ${twin + 1} (the same lines again); it counts once, so send it once`);
      done.push({ path, block });
      return;
    }
    const refused = block.error
      ?? (path === undefined ? `no file named after SEARCH, and ${editable.length} files are editable (${editable.join(', ')}); write <<<<<<< SEARCH followed by the path` : targetError(current, path, options));
    const outcome = refused !== undefined || path === undefined ? { error: refused! } : applyBlock(current, path, block);
    if ('error' in outcome) {
      problems++;
      const earlier = path === undefined ? -1 : done.findIndex((d) => d.path === path && d.search !== undefined && readingsOf(block).some((r) => sameLines(r.search, d.search!)));
      errors.push(earlier >= 0 && /^the SEARCH text was not found/.test(outcome.error)
        ? `${label}: its SEARCH part repeats that of block ${earlier + 1}, which already replaced those lines; merge the two into one block, or quote the lines as block ${earlier + 1} left them`
        : `${label}: ${outcome.error}`);
    }
    if (path !== undefined) done.push({ path, block, ...('search' in outcome ? { search: outcome.search } : {}) });
  });
  // A duplicate is named only beside real problems, so that the repair round does not send it twice again.
  return finish(files, current, problems > 0 ? errors : [], blocks.length, options);
}

function noBlockError(answer: string, reasoning: string[], unclosed: string | undefined): string {
  const drafted = draftedEdits(reasoning);
  if (unclosed !== undefined) {
    return `no SEARCH/REPLACE block found: the reasoning section opened by ${unclosed} is never closed, so everything after it is reasoning${drafted > 0 ? ` (including the ${drafted} block(s) drafted in it, which are not applied)` : ''}; close the reasoning and write the blocks after it`;
  }
  if (drafted > 0) return `no SEARCH/REPLACE block found outside the reasoning section; the ${drafted} block(s) drafted inside it are not applied; write the final blocks after the reasoning`;
  if (FILE_TAG.test(answer)) return `${NO_BLOCK} (the answer gives whole files in <file> tags, which this operator does not take)`;
  if (/^@@ [-+]\d/m.test(answer) || (/^--- \S/m.test(answer) && /^\+\+\+ \S/m.test(answer))) {
    return `${NO_BLOCK} (the answer looks like a unified diff, which is not accepted)`;
  }
  return NO_BLOCK;
}
