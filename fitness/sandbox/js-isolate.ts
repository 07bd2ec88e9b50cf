// Runs an untrusted JavaScript candidate in its own V8 isolate (isolated-vm) under memory, CPU-time and wall-clock limits, with data copied in and out.
import ivm from 'isolated-vm';
import { writeSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { SandboxError } from './sandbox-error.js';
import { runInHostProcess } from './js-isolate-host.js';
import { offThreadCpuMs } from './off-thread-cpu.js';
import { IDENTIFIER, MAX_DESCRIPTION, PRELUDE, RESERVED, wrapCandidate } from './js-isolate-prelude.js';
import { clipChars, decodeRecord } from './js-isolate-record.js';
import { describeCompileError, endsInTime, limitMessage, limitsOf, type Limits } from './js-isolate-limits.js';

/**
 * One call of a candidate's function. Everything the isolate receives is copied in; nothing of
 * the host is reachable from it but the `grants`.
 */
export interface IsolateOptions {
  /**
   * The candidate: a script, run in strict mode, whose top-level declarations are private to it;
   * `entry` names the one handed out. Its context holds the JavaScript built-ins only (no require
   * or import, process, file system, network, environment variables or timers), minus every clock
   * (Date, Intl), eval and the Function constructors (EvalError), WebAssembly, WeakRef,
   * FinalizationRegistry and Atomics.wait; console output is captured. See js-isolate-prelude.ts.
   */
  code: string;
  /** Names the candidate in messages and stack lines; default 'program.js'. */
  filename?: string;
  /** The top-level function to call (a plain identifier; a const holding a function counts too). */
  entry: string;
  /** Arguments for the entry (or the harness), copied in by the structured clone algorithm. */
  args?: unknown[];
  /**
   * Source of a trusted function expression `function (entry, ...args) { ... }` called instead of
   * the entry, in the same context, with the candidate's entry function (undefined when it defines
   * none, for the harness to report) and the args; its return value is the result. Use it to call
   * the candidate many times or to reshape its output inside the isolate: every host-isolate call
   * costs a copy. It runs after the candidate's code, which may have replaced any built-in and
   * prototype, so what it returns is as untrusted as the candidate's own result: the host checks
   * it. The source is evaluated before the candidate's code runs, so a harness written as
   * `(function () { const isArray = Array.isArray; return function (entry) { ... }; })()` keeps the
   * built-ins it captured; returning a string (or an object without prototype) keeps a `toJSON` or
   * `then` the candidate adds to Object.prototype from reaching its result.
   */
  harness?: string;
  /** Heap limit of the isolate in MB (isolated-vm's memoryLimit, at least 8); default 64. */
  memoryMb?: number;
  /**
   * CPU time the isolate may spend on compiling, loading and the call, promise callbacks
   * included (isolated-vm's isolate.cpuTime). Enforced from outside: a host timer disposes the
   * isolate, which stops any JavaScript, `while (true) {}` included, but not a loop inside some
   * built-ins (indexOf over a huge array-like): that call fails as `time-limit` 250 ms later and
   * its isolate is abandoned, still running (see endsInTime in js-isolate-limits.ts). The host's
   * event loop checks it, so a busy host thread lets a candidate overshoot by as long as it is busy.
   */
  cpuTimeMs: number;
  /**
   * Wall-clock limit over the same span, for a candidate that waits (a promise that never
   * settles) or a host grant that is slow; default 4 x cpuTimeMs + 1000.
   */
  wallTimeMs?: number;
  /**
   * Cap on the result, as the UTF-8 length of its JSON text (NaN, Infinity and undefined array
   * entries count as short tags); default 1 MiB. Checked while encoding inside the isolate and
   * again on the host. A larger result is an `output-too-large` failure.
   */
  maxResultBytes?: number;
  /**
   * Console output kept, in UTF-8 bytes; default 16 KiB. Printing past it is not a failure (it is
   * stored inside the isolate, costs only CPU time, which is limited); the rest is dropped and a
   * last line says so.
   */
  maxConsoleBytes?: number;
  /** Seeds the context's Math.random (mulberry32); default 0, so every run is reproducible. */
  seed?: number;
  /**
   * Host functions the problem grants, as globals of these names. They run synchronously on the
   * calling thread (with `host: 'process'`, the isolate host asks for each call over a pipe and
   * waits); arguments and the return value are copied (a function or symbol among them throws
   * inside the isolate). Time spent in them counts against the wall-clock limit, not the CPU limit.
   */
  grants?: Record<string, (...args: any[]) => unknown>;
  /**
   * Use a new isolate for this call and dispose it after, instead of this thread's reusable one.
   * Costs the creation of an isolate (see bench/isolate-overhead.ts); the reusable isolate already
   * gives each call a fresh context, so this only matters when not even the heap may be shared.
   */
  freshIsolate?: boolean;
  /**
   * Where the isolate lives. `'process'` (the default): in this thread's isolate host, a child
   * process started on first use and kept (js-isolate-host.ts). V8 cannot survive some allocations
   * inside an isolate (one array, Map or Set growing past the heap limit at once) and aborts the
   * whole process: here that process is the host, so the call fails with `out-of-memory` and the
   * next call starts a new host. Costs a round trip over IPC per call, and the arguments, result and
   * grant calls are copied once more (see bench/isolate-overhead.ts). `'thread'`: in the calling
   * thread, a little faster, but such an allocation aborts the calling process: the search, every
   * worker and the run, and an isolate abandoned in a built-in keeps a thread of the calling
   * process busy until it ends. Use it only for code that is trusted not to try.
   */
  host?: 'process' | 'thread';
}

export interface IsolateResult {
  /**
   * The result, copied out as JSON text and parsed on the host (NaN, ±Infinity and undefined
   * survive; typed arrays arrive as arrays): plain data, each value read once inside the isolate,
   * nested at most MAX_RESULT_DEPTH levels. A promise (of the isolate's own Promise) is waited for;
   * any other value, a thenable included, is the result as it is.
   */
  value: unknown;
  /** What the candidate printed, one line per console call, cut to maxConsoleBytes. */
  console: string;
  /** CPU time the isolate spent on this call, in ms. */
  cpuMs: number;
  /** Wall-clock time of this call as the caller saw it, isolate (and isolate host) creation included, in ms. */
  wallMs: number;
}

/** An isolate this thread may reuse, and the harness scripts compiled for it. */
interface Lease {
  isolate: ivm.Isolate;
  memoryMb: number;
  fresh: boolean;
  /** PRELUDE, compiled on first use. */
  prelude?: ivm.Script;
  harnesses: Map<string, ivm.Script>;
}

/** One idle isolate per memory limit, per thread (module state is per worker thread). */
const idle = new Map<number, Lease>();
/** Harness scripts kept per isolate; more distinct harnesses than this start the cache over. */
const MAX_HARNESSES = 8;
/** A reusable isolate whose heap is fuller than this share of its limit after a call is disposed. */
const REUSE_HEAP_SHARE = 0.5;

/** Set in the isolate host process (js-isolate-child.ts). */
let isolateHost = false;

/** Called once by the isolate host: a catastrophic error then ends it by SIGKILL (see catastrophic()). */
export function markIsolateHostProcess(): void {
  isolateHost = true;
}

/**
 * V8 cannot always stay inside an isolate's heap limit: one allocation larger than the room left
 * (a Map, Set or array doubling past the limit) is fatal to the whole process, not just the
 * isolate. isolated-vm then calls this; the isolate's thread is wedged for good and a worker that
 * owns it can no longer exit, so, as isolated-vm asks, the process stops here with a reason, on one
 * line of stderr, instead of hanging or dying without one. (A handler that carried on would leave
 * the thread stuck and make worker.terminate() and process exit hang: tried and measured.) The
 * isolate host ends by SIGKILL rather than abort(), which could write a core file of its heaps into
 * the run's directory; the calling thread reads the reason from this line (js-isolate-host.ts).
 */
function catastrophic(message: string): void {
  const why = /memory/i.test(message)
    ? 'a candidate made an allocation larger than its isolate could take in one step (a Map, Set or array growing past the memory limit at once)'
    : 'V8 lost control of an isolate';
  const ending = isolateHost ? 'so the isolate host stops now and the calling thread records the call as failed' : 'so the process stops now (isolated-vm requires it)';
  writeSync(2, `\nouroboros: the JavaScript sandbox reports "${message}": ${why}. V8 cannot recover from this inside the process, ${ending}.\n`);
  if (isolateHost) process.kill(process.pid, 'SIGKILL');
  process.abort();
}

function acquire(memoryMb: number, fresh: boolean): Lease {
  const kept = fresh ? undefined : idle.get(memoryMb);
  if (kept !== undefined) {
    idle.delete(memoryMb);
    if (!kept.isolate.isDisposed) return kept;
  }
  const isolate = new ivm.Isolate({ memoryLimit: memoryMb, onCatastrophicError: catastrophic });
  return { isolate, memoryMb, fresh, harnesses: new Map() };
}

/** Keeps the isolate for the next call when it is healthy, reusable and the slot is free; else disposes it. */
function giveBack(lease: Lease): void {
  const { isolate } = lease;
  if (isolate.isDisposed) return;
  if (!lease.fresh && !idle.has(lease.memoryMb)) {
    const heap = isolate.getHeapStatisticsSync();
    if (heap.used_heap_size + heap.externally_allocated_size <= REUSE_HEAP_SHARE * lease.memoryMb * 2 ** 20) {
      idle.set(lease.memoryMb, lease);
      return;
    }
  }
  isolate.dispose();
}

/** Disposes this thread's idle isolates (they are also freed when the thread exits). */
export function disposeIdleIsolates(): void {
  for (const lease of idle.values()) if (!lease.isolate.isDisposed) lease.isolate.dispose();
  idle.clear();
}

/**
 * Stops the isolate from outside once it has used its CPU time or its wall-clock time. The timer
 * sleeps for the CPU time still allowed (CPU time never runs ahead of wall time), so a busy
 * candidate costs a few wake-ups, not a poll.
 *
 * isolated-vm's isolate.cpuTime follows wall time while the isolate runs (seen here: 18 s reported
 * for 0.12 s of CPU on a starved core): on a loaded machine a candidate that has used a tenth of
 * its CPU time can read as over it. So a CPU verdict also needs the
 * kernel's count of the CPU the process's other threads used meanwhile (offThreadCpuMs), which
 * bounds the call's own from above and is not inflated by waiting for a core. The candidate is
 * stopped when both say the limit is reached: never earlier than the real CPU limit, and the
 * wall-clock limit still bounds the wait when the second count is inflated by other work.
 */
function watch(isolate: ivm.Isolate, limits: Limits, onKill: (why: 'cpu' | 'wall') => void): { cpuMs: () => number; stop: () => void } {
  const cpuStart = isolate.cpuTime;
  const offStart = offThreadCpuMs();
  const wallStart = performance.now();
  const cpuMs = (): number => {
    if (isolate.isDisposed) return Number.NaN;
    const reported = Number(isolate.cpuTime - cpuStart) / 1e6;
    const off = offStart === null ? null : offThreadCpuMs();
    return off === null ? reported : Math.min(reported, off - offStart!);
  };
  let timer: NodeJS.Timeout;
  const check = (): void => {
    if (isolate.isDisposed) return;
    const cpu = cpuMs();
    const wall = performance.now() - wallStart;
    if (cpu >= limits.cpuTimeMs) return onKill('cpu');
    // Which limit a busy candidate meets first depends on how much of a core it got. What is recorded
    // must not: a candidate that has been running inside the isolate for longer than its CPU time
    // (isolated-vm's figure, which counts time running whether or not it had a core) is stopped as
    // over its CPU time; one that was waiting (a promise that never settles) as over its wall clock.
    if (wall >= limits.wallTimeMs) return onKill(Number(isolate.cpuTime - cpuStart) / 1e6 >= limits.cpuTimeMs ? 'cpu' : 'wall');
    timer = setTimeout(check, Math.max(1, Math.min(limits.cpuTimeMs - cpu, limits.wallTimeMs - wall)));
  };
  timer = setTimeout(check, Math.min(limits.cpuTimeMs, limits.wallTimeMs));
  return { cpuMs, stop: () => clearTimeout(timer) };
}

async function harnessScript(lease: Lease, source: string): Promise<ivm.Script> {
  let script = lease.harnesses.get(source);
  if (script === undefined) {
    try {
      script = await lease.isolate.compileScript(`(${source})`, { filename: 'harness.js' });
    } catch (error) {
      if (lease.isolate.isDisposed) throw error;
      throw new TypeError(`the harness does not parse: ${(error as Error).message}`);
    }
    if (lease.harnesses.size >= MAX_HARNESSES) {
      for (const s of lease.harnesses.values()) s.release();
      lease.harnesses.clear();
    }
    lease.harnesses.set(source, script);
  }
  return script;
}

/**
 * Runs `options.entry` of `options.code` in a fresh context of a V8 isolate and returns its
 * result, copied out. The isolate lives in this thread's isolate host process unless `host` is
 * 'thread'; it is the reusable one unless `freshIsolate`, and is disposed after a time limit, an
 * out-of-memory, or a call that left its heap half full.
 * Throws SandboxError when the candidate did not give a result: `syntax` (with the line),
 * `threw` (described inside the isolate: `Name: message (program.js line N)`, or what a non-Error
 * value was), `time-limit` (CPU or wall clock), `out-of-memory` (the heap limit, or an allocation
 * that stopped the isolate host), `output-too-large`, `no-result` (no such function, or a result
 * that cannot be copied out: a function, a symbol, a bigint, a Map...), `crashed` (the isolate or
 * its host failed for another reason). Throws TypeError for bad options and uncloneable args.
 */
export async function runInIsolate(options: IsolateOptions): Promise<IsolateResult> {
  const limits = limitsOf(options);
  const names = [options.entry, ...Object.keys(options.grants ?? {})];
  const bad = names.find((name) => typeof name !== 'string' || !IDENTIFIER.test(name) || RESERVED.has(name));
  if (bad !== undefined) throw new TypeError(`runInIsolate: ${JSON.stringify(bad)} is not a plain identifier`);
  const host = options.host ?? 'process';
  if (host === 'process') return runInHostProcess(options, limits);
  if (host !== 'thread') throw new TypeError(`runInIsolate: host must be 'process' or 'thread' (got ${JSON.stringify(host)})`);
  return endsInTime(limits, (disposed) => runInThread(options, limits, disposed));
}

/** The call in this thread's own isolate; `disposed` is told when the watchdog disposes it (see endsInTime). */
async function runInThread(options: IsolateOptions, limits: Limits, disposed: (why: 'cpu' | 'wall') => void): Promise<IsolateResult> {
  const { filename } = limits;
  const grants = Object.entries(options.grants ?? {});
  // Copying the arguments first turns an uncloneable one into the caller's TypeError, before any isolate work.
  const args = new ivm.ExternalCopy(options.args ?? []);
  const started = performance.now();
  const lease = acquire(limits.memoryMb, options.freshIsolate === true);
  const { isolate } = lease;
  let killed: 'cpu' | 'wall' | undefined;
  const watchdog = watch(isolate, limits, (why) => {
    killed = why;
    isolate.dispose();
    disposed(why);
  });
  let context: ivm.Context | undefined;
  const references: Array<{ release(): void }> = [];
  // The runner's record: a string of JSON text, or anything else when something went wrong (see decodeRecord).
  let record: unknown;
  let cpuMs = Number.NaN;
  try {
    context = await isolate.createContext();
    lease.prelude ??= await isolate.compileScript(PRELUDE, { filename: 'prelude.js' });
    const prepare = await lease.prelude.run(context, { reference: true });
    references.push(prepare);
    // Everything trusted is set up before the candidate's script runs, since a candidate can close
    // the function it is wrapped in and run code right then: the harness is evaluated (and
    // captures what it needs), and the runner copies the arguments (see PRELUDE).
    let harness: ivm.Reference | undefined;
    if (options.harness !== undefined) {
      harness = await (await harnessScript(lease, options.harness)).run(context, { reference: true });
      references.push(harness);
    }
    const callbacks = grants.map(([, fn]) => new ivm.Callback(fn));
    const names = grants.map(([name]) => name).join(',');
    const runner = await prepare.apply(undefined, [
      harness?.derefInto(), args.copyInto(), limits.maxResultBytes, limits.seed, limits.maxConsoleBytes, filename, names, ...callbacks,
    ], { result: { reference: true } }) as ivm.Reference;
    references.push(runner);
    let script: ivm.Script;
    try {
      script = await isolate.compileScript(wrapCandidate(options.code, options.entry), { filename, lineOffset: -1 });
    } catch (error) {
      if (isolate.isDisposed) throw error;
      throw new SandboxError('syntax', describeCompileError(error, filename, options.code));
    }
    const loader = await script.run(context, { reference: true }).finally(() => script.release());
    references.push(loader);
    record = await runner.apply(undefined, [loader.derefInto()], { result: { promise: true, copy: true } }) as unknown;
    cpuMs = watchdog.cpuMs();
  } catch (error) {
    throw stopped(error, killed, isolate, limits);
  } finally {
    watchdog.stop();
    for (const reference of references) reference.release();
    args.release();
    context?.release();
    giveBack(lease);
  }
  return decodeRecord(record, options.entry, limits, cpuMs, performance.now() - started);
}

/** Why the run ended without a record: a limit, the heap, or (never expected) isolated-vm itself. */
function stopped(error: unknown, killed: 'cpu' | 'wall' | undefined, isolate: ivm.Isolate, limits: Limits): Error {
  const { filename } = limits;
  if (killed !== undefined) return new SandboxError('time-limit', limitMessage(limits, killed));
  // Ours: a syntax failure, or the TypeError for a harness that does not parse.
  if (error instanceof SandboxError || error instanceof TypeError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (isolate.isDisposed && /memory limit/.test(message)) {
    return new SandboxError('out-of-memory', `${filename} ran out of memory: it reached the isolate's ${limits.memoryMb} MB heap limit`);
  }
  // Cut: the text of a rejection may come from inside the isolate.
  return new SandboxError('crashed', `the isolate running ${filename} failed: ${clipChars(message, MAX_DESCRIPTION)}`);
}
