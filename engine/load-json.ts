// Reads a JSON file for validation, turning a missing file or a syntax error into a ConfigError with a line and column.
import { readFileSync } from 'node:fs';
import { ConfigError } from '../common/errors.js';

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
    const at = /position (\d+)/.exec(message);
    let where = '';
    if (at) {
      const before = text.slice(0, Number(at[1]));
      const line = before.split('\n').length;
      where = ` at line ${line}, column ${Number(at[1]) - before.lastIndexOf('\n')}`;
    }
    throw new ConfigError(file, [`malformed JSON${where}: ${message}`], { cause: error });
  }
}
