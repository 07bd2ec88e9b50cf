// The JS isolate's options with their defaults applied and checked, and the message for a candidate that does not parse.
import type { IsolateOptions } from './js-isolate.js';

/** Every limit of one call, defaults applied. */
export interface Limits {
  filename: string;
  memoryMb: number;
  cpuTimeMs: number;
  wallTimeMs: number;
  maxResultBytes: number;
  maxConsoleBytes: number;
  seed: number;
}

export const DEFAULT_MEMORY_MB = 64;
export const DEFAULT_MAX_RESULT_BYTES = 2 ** 20;
export const DEFAULT_MAX_CONSOLE_BYTES = 16 * 2 ** 10;
/** isolated-vm refuses smaller heaps. */
const MIN_MEMORY_MB = 8;

/** The options' limits with defaults; throws TypeError naming every option that is out of range. */
export function limitsOf(options: IsolateOptions): Limits {
  const limits: Limits = {
    filename: options.filename ?? 'program.js',
    memoryMb: options.memoryMb ?? DEFAULT_MEMORY_MB,
    cpuTimeMs: options.cpuTimeMs,
    wallTimeMs: options.wallTimeMs ?? 4 * options.cpuTimeMs + 1000,
    maxResultBytes: options.maxResultBytes ?? DEFAULT_MAX_RESULT_BYTES,
    maxConsoleBytes: options.maxConsoleBytes ?? DEFAULT_MAX_CONSOLE_BYTES,
    seed: options.seed ?? 0,
  };
  const problems: string[] = [];
  const positive = (name: keyof Limits, min = 1): void => {
    const v = limits[name] as number;
    if (!Number.isFinite(v) || v < min) problems.push(`${name} must be a finite number of at least ${min} (got ${v})`);
  };
  positive('memoryMb', MIN_MEMORY_MB);
  positive('cpuTimeMs');
  positive('wallTimeMs');
  positive('maxResultBytes');
  positive('maxConsoleBytes', 0);
  if (!Number.isFinite(limits.seed)) problems.push(`seed must be a finite number (got ${limits.seed})`);
  if (typeof options.code !== 'string') problems.push('code must be a string');
  if (limits.filename === '' || /[\s:]/.test(limits.filename)) problems.push(`filename must be a name without spaces or colons (got ${JSON.stringify(limits.filename)})`);
  if (problems.length > 0) throw new TypeError(`runInIsolate: ${problems.join('; ')}`);
  return limits;
}

/**
 * `program.js does not parse: Unexpected token '{' (line 3)`, from the error isolated-vm raises
 * on the host (its text only: no candidate object is involved). The wrapper's suffix starts on the
 * line after the program's last, so an error placed there means the program left something open.
 */
export function describeCompileError(error: unknown, filename: string, code: string): string {
  const raw = error instanceof Error ? error.message : String(error);
  const at = /\s*\[([^\]]*):(-?\d+):(\d+)\]$/.exec(raw);
  const message = at === null ? raw : raw.slice(0, at.index);
  const line = at === null ? Number.NaN : Number(at[2]);
  const where = !Number.isFinite(line) ? '' : line > code.split('\n').length ? ' at the end of the file (is a bracket left open?)' : ` (line ${line})`;
  return `${filename} does not parse: ${message}${where}`;
}
