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

export type { IsolateOptions, IsolateResult } from './js-isolate-types.js';
import type { IsolateOptions, IsolateResult } from './js-isolate-types.js';

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
