// The LLM edit formats: SEARCH/REPLACE diffs and whole-file rewrites, how files are shown to the LLM, and the repair message.
import type { VariantFiles } from '../../common/types.js';
import { CUT_OFF } from './edit-text.js';

export { evolveRegions, type EditOptions, type EditResult, type EvolveRegion } from './edit-text.js';
export { applyDiff } from './search-replace.js';
export { parseRewrite } from './rewrite-format.js';
export { splitReasoning, type ReasoningSplit } from './reasoning-sections.js';

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
  const cutOff = errors[0] === CUT_OFF;
  return [
    cutOff ? 'Your answer was cut off at the token limit and could not be applied, so none of it was. The problems:' : 'Your answer could not be applied, so none of it was. The problems:',
    '',
    ...errors.map((e) => `- ${e}`),
    '',
    'Reply with the corrected blocks only, in the same format and with no other text.',
    'Include every block you still want applied, also those that had no error.',
    ...(cutOff ? ['Keep it short enough to end before the token limit: no reasoning or explanation, and smaller edits.'] : []),
  ].join('\n');
}
