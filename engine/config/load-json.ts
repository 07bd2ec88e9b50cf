// Reads a JSON file for validation, turning a missing file or a syntax error into a ConfigError with a line and column.
import { readFileSync } from 'node:fs';
import { ConfigError } from '../../common/errors.js';

export function loadJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError(file, [code === 'ENOENT' ? 'file not found' : `cannot read: ${(error as Error).message}`], { cause: error });
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    const offset = errorOffset(text, message);
    const before = text.slice(0, offset);
    const where = ` at line ${before.split('\n').length}, column ${offset - before.lastIndexOf('\n')}`;
    throw new ConfigError(file, [`malformed JSON${where}: ${message}`], { cause: error });
  }
}

/**
 * Where JSON.parse gave up. Some V8 messages carry "position N"; others ("Unexpected token",
 * "Unexpected end of JSON input") do not, so find the shortest prefix that already fails with
 * something other than running out of input: a syntax error stays in every longer prefix, which
 * makes a binary search exact.
 */
function errorOffset(text: string, message: string): number {
  const at = /position (\d+)/.exec(message);
  if (at) return Number(at[1]);
  const failsEarly = (k: number): boolean => {
    try {
      JSON.parse(text.slice(0, k));
      return false;
    } catch (e) {
      // Running out of input shows as "end of JSON input" or as a position at the very end.
      const m = (e as Error).message;
      const p = /position (\d+)/.exec(m);
      return !/end of JSON input/.test(m) && (p === null || Number(p[1]) < k);
    }
  };
  if (!failsEarly(text.length)) return text.length;
  let lo = 1;
  let hi = text.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (failsEarly(mid)) hi = mid; else lo = mid + 1;
  }
  return lo - 1;
}
