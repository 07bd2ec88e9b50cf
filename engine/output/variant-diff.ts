// Line diffs between two variants' files, for the report's lineage view. The only module that uses the `diff` package.
import { structuredPatch } from 'diff';
import type { VariantFiles } from '../../common/types.js';

/** One file's change: its hunks as unified-diff lines (' ', '+', '-' prefixed), or a note when it is too large to show. */
export interface FileDiff {
  file: string;
  change: 'added' | 'removed' | 'changed';
  lines: string[];
  note?: string;
}

/** Files larger than this (characters, either side) are reported as changed without their lines. */
const MAX_CHARS = 200_000;

/**
 * The files that differ between a parent and a child, sorted by name, each as unified-diff hunks with
 * three lines of context. `diff` (jsdiff, Myers' algorithm) is used rather than a hand-written LCS:
 * it is well kept, exact, and fast on the few-hundred-line files a variant holds.
 */
export function diffVariants(before: VariantFiles, after: VariantFiles): FileDiff[] {
  const names = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  const out: FileDiff[] = [];
  for (const file of names) {
    const a = before[file];
    const b = after[file];
    if (a === b) continue;
    const change = a === undefined ? 'added' : b === undefined ? 'removed' : 'changed';
    if ((a?.length ?? 0) > MAX_CHARS || (b?.length ?? 0) > MAX_CHARS) {
      out.push({ file, change, lines: [], note: `too large to show (${Math.max(a?.length ?? 0, b?.length ?? 0)} characters)` });
      continue;
    }
    const patch = structuredPatch(file, file, a ?? '', b ?? '', '', '', { context: 3 });
    out.push({ file, change, lines: patch.hunks.flatMap((h) => [`@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@`, ...h.lines]) });
  }
  return out;
}
