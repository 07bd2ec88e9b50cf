// The JS isolate's options with their defaults applied and checked, the message for a candidate that does not parse, and the guard that ends a call whose isolate cannot be stopped.
import type { IsolateOptions } from './js-isolate-types.js';
import { SandboxError } from './sandbox-error.js';

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

/**
 * How long an isolate disposed at a limit may take to stop. V8 checks for termination in
 * JavaScript loops but not inside some built-ins: a loop in `indexOf`, `includes`, `lastIndexOf`,
 * `fill`, `reverse`, `join` or `Array.from` over a huge array-like (a proxy included) runs on after
 * dispose(), its promise never settles, and its thread spins until the process ends.
 */
export const DISPOSE_GRACE_MS = 250;
/** When the call has not ended this long past its wall-clock limit although nothing disposed its isolate (the watchdog could not act), it counts as wedged too. */
export const WALL_GRACE_MS = 500;

/** Told once a call is given up as wedged: its isolate's thread may still be running. */
type WedgedListener = () => void;
let wedgedListener: WedgedListener | undefined;

/** The isolate host registers here: a wedged isolate's thread cannot be stopped, so its process must end (js-isolate-child.ts). */
export function onWedgedIsolate(listener: WedgedListener): void {
  wedgedListener = listener;
}

/**
 * Runs `call` (one isolate call, which must call `disposed(why)` right after disposing its isolate
 * at a limit) and makes sure it ends: as `time-limit` when the isolate has not stopped
 * DISPOSE_GRACE_MS after disposal, or WALL_GRACE_MS past the wall-clock limit whatever happened.
 * Invariant: from the start until the call settles, a timer is armed that ends it.
 */
export function endsInTime<T>(limits: Limits, call: (disposed: (why: 'cpu' | 'wall') => void) => Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let done = false;
    const giveUp = (why: 'cpu' | 'wall' | undefined): void => {
      if (done) return;
      done = true;
      clearTimeout(backstop);
      clearTimeout(grace);
      wedgedListener?.();
      reject(new SandboxError('time-limit', limitMessage(limits, why ?? 'wall')));
    };
    // A disposal already under way has its own grace: the backstop leaves the verdict to it.
    const backstop = setTimeout(() => { if (grace === undefined) giveUp(undefined); }, limits.wallTimeMs + WALL_GRACE_MS);
    let grace: NodeJS.Timeout | undefined;
    const disposed = (why: 'cpu' | 'wall'): void => {
      if (!done && grace === undefined) grace = setTimeout(() => giveUp(why), DISPOSE_GRACE_MS);
    };
    const settle = (): void => {
      done = true;
      clearTimeout(backstop);
      clearTimeout(grace);
    };
    call(disposed).then((value) => { if (!done) { settle(); resolve(value); } }, (error: unknown) => { if (!done) { settle(); reject(error); } });
  });
}

/**
 * The message of a call stopped at a limit. It is the same whether disposal ended the call at once or
 * the call was given up as wedged DISPOSE_GRACE_MS later: how fast the isolate thread was scheduled
 * must not change what is recorded (and shown to the LLM) for the same candidate.
 */
export function limitMessage({ filename, cpuTimeMs, wallTimeMs }: Limits, why: 'cpu' | 'wall'): string {
  return why === 'cpu'
    ? `${filename} ran past the ${cpuTimeMs} ms CPU time limit (an endless loop, or far too much work)`
    : `${filename} did not finish within the ${wallTimeMs} ms wall-clock limit (is it waiting on a promise that never settles?)`;
}
