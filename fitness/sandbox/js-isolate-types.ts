// The shapes of one isolate call, its options and its result: shared by the runner (js-isolate.ts), the host process's wire and the limits, so that none of them imports the runner.
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
