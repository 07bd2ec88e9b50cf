// What the edit-format tests share: a small program, a SEARCH/REPLACE block writer, and readers of an EditResult.
import type { VariantFiles } from '../../common/types.js';
import type { EditResult } from '../../operators/llm/edit-format.js';

export const program = [
  'function score(items) {',
  '  let total = 0;',
  '  for (const item of items) {',
  '    const k = 3;',
  '    total += item * k;',
  '  }',
  '  return total;',
  '}',
  '',
].join('\n');

export function block(search: string, replace: string, path = 'program.js', brackets = 7): string {
  return `${'<'.repeat(brackets)} SEARCH ${path}\n${search}\n=======\n${replace}\n${'>'.repeat(brackets)} REPLACE\n`;
}

export function applied(t: { fail: (m: string) => void }, result: EditResult): VariantFiles {
  if (!result.ok) {
    t.fail(`expected ok, got errors:\n${result.errors.join('\n')}`);
    return {};
  }
  return result.files;
}

export function errorsOf(result: EditResult): string[] {
  return result.ok ? ['(ok)'] : result.errors;
}

