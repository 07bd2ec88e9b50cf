// Runs the calling thread's isolates in a child process of their own, the isolate host (js-isolate-child.ts), so that V8 aborting over one candidate costs that call and not the search.
import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { IsolateOptions, IsolateResult } from './js-isolate-types.js';
import { OverdueGuard, type Guarded } from './js-isolate-guard.js';
import { limitMessage, type Limits } from './js-isolate-limits.js';
import { fromWire, grantReply, parseGrantRequest, type CallMessage, type HostMessage } from './js-isolate-wire.js';
import { SandboxError } from './sandbox-error.js';

// The host is a sibling module; under tsx (tests, TypeScript evaluators) it is the .ts file and needs
// tsx's loader, resolved from here rather than from the working directory; once compiled, the .js one.
const fromSource = import.meta.url.endsWith('.ts');
const CHILD_FILE = fileURLToPath(new URL(`./js-isolate-child${fromSource ? '.ts' : '.js'}`, import.meta.url));
const LOADER = fromSource ? ['--import', import.meta.resolve('tsx')] : [];

/** How long the host may take to start (and load tsx); not charged to any call. */
const STARTUP_LIMIT_MS = 30_000;
/** Why a wedged host is killed (only calls that arrive in it after it said so could fail with it). */
const WEDGED = 'an isolate in it could not be stopped and kept a thread busy';
/** Last bytes of the host's stderr kept to tell why it died. */
const STDERR_KEPT = 4 * 1024;
/** How long to wait, once the host is gone, for its exit status and the rest of its stderr. */
const END_GRACE_MS = 2_000;
/** What the host's stderr shows when V8 gave up on memory: isolated-vm's catastrophic error, or V8's own fatal ones. */
const OUT_OF_MEMORY = /out[- ]of[- ]memory|Allocation failed|heap limit/i;

/*
 * How the host is started: /bin/sh (in a session of its own, so that a terminal's Ctrl-C, which the
 * CLI turns into a graceful stop, does not reach it) starts a watcher subshell in the background and
 * exits at once. The watcher starts Node, waits for it and writes its exit status to fd 4. The host
 * is thus no child of this process: when the calling thread is terminated, nobody here could reap it
 * (libuv waits only for the children of live threads), and every terminated worker thread would
 * leave a zombie until the search ends; orphaned, the host and the watcher are reaped by init. The
 * host gets no environment (sh's PWD removed), the IPC channel on fd 3, grant answers from fd 5 as
 * its stdin; its stdout carries grant requests, its stderr is kept for diagnosis.
 */
const LAUNCH = `unset PWD OLDPWD
(
  "$@" 0<&5 4>&- 5>&- &
  exec 0</dev/null 1>&- 2>&- 3>&- 5>&-
  wait $!
  echo "$?" >&4
) &`;

interface Call extends Guarded {
  message: CallMessage;
  grants: Array<(...args: any[]) => unknown>;
  limits: Limits;
  started: number;
  resolve: (result: IsolateResult) => void;
  reject: (error: Error) => void;
}

/** One host process and the calls it is running, by id. */
class IsolateHost {
  /** The host's pid once it said it is ready. */
  pid: number | undefined;
  /** Set once no call may be sent to this host any more: it died, or is being killed. */
  retired = false;
  private readonly child: ChildProcess;
  private readonly calls = new Map<number, Call>();
  private readonly waiting: Call[] = [];
  private nextId = 0;
  private stderr = '';
  private status = '';
  private killedBecause: string | undefined;
  /** Set once the host said an isolate in it could not be stopped: it is killed once its calls have ended. */
  private wedged = false;
  /** Notices a call this host lets run past its limits (js-isolate-guard.ts); stopped once the host is being killed. */
  private readonly guard = new OverdueGuard<Call>({
    running: () => this.calls.values(),
    ping: () => {
      try {
        this.child.send({ kind: 'ping' });
        return true;
      } catch {
        return false; // the channel closed: the host is gone and the disconnect handler fails the calls
      }
    },
    giveUp: (late, what) => this.stopOverdue(late, what),
  });
  private readonly startup: NodeJS.Timeout;
  /** Settles once the host is gone and every call in it has failed. */
  private readonly ended: Promise<void>;
  private finished: () => void = () => undefined;

  constructor() {
    this.child = spawn('/bin/sh', ['-c', LAUNCH, 'sh', process.execPath, ...LOADER, CHILD_FILE], {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc', 'pipe', 'pipe'], serialization: 'advanced', env: {}, detached: true,
    });
    const [, requests, stderr, , status, answers] = this.child.stdio as unknown as [null, Readable, Readable, null, Readable, Writable];
    this.child.unref(); // sh itself exits at once
    for (const stream of [requests, stderr, status, answers]) (stream as unknown as { unref?: () => void }).unref?.();
    answers.on('error', () => undefined); // EPIPE once the host is gone
    // Without a pid, sh could not be started; any later error (a send on a closed channel) is the host's death, which the disconnect handler reports.
    this.child.on('error', (error) => { if (this.child.pid === undefined) void this.kill(`cannot start the isolate host: ${error.message}`); });
    this.child.on('message', (message: HostMessage) => this.receive(message));
    stderr.setEncoding('utf8').on('data', (text: string) => { this.stderr = (this.stderr + text).slice(-STDERR_KEPT); });
    status.setEncoding('utf8').on('data', (text: string) => { this.status += text; });
    let pending = '';
    requests.setEncoding('latin1').on('data', (text: string) => {
      pending += text;
      for (let at = pending.indexOf('\n'); at >= 0; at = pending.indexOf('\n')) {
        answers.write(this.grant(pending.slice(0, at)), 'latin1');
        pending = pending.slice(at + 1);
      }
    });
    const closed = (stream: Readable) => new Promise<void>((done) => { stream.once('close', done); });
    this.ended = new Promise<void>((done) => { this.finished = done; });
    // The channel closes when the host dies (or, before it started, when the watcher gave up); its
    // exit status and last words follow on their pipes.
    // The grace timer is not unref'd: it keeps the thread alive until the calls waiting on the host have failed.
    this.child.once('disconnect', () => {
      this.retired = true;
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((done) => { timer = setTimeout(done, END_GRACE_MS); });
      void Promise.race([Promise.all([closed(stderr), closed(status)]), grace]).then(() => {
        clearTimeout(timer);
        this.failAll();
      });
    });
    this.startup = setTimeout(() => this.kill(`the isolate host did not start within ${STARTUP_LIMIT_MS} ms`), STARTUP_LIMIT_MS);
    this.startup.unref();
    this.hold(false); // idle until a call arrives (a host started early must not keep the thread alive)
  }

  run(options: IsolateOptions, limits: Limits): Promise<IsolateResult> {
    const { grants = {}, host: _host, ...rest } = options;
    const id = this.nextId++;
    return new Promise<IsolateResult>((resolve, reject) => {
      const message: CallMessage = { kind: 'call', id, options: rest, grantNames: Object.keys(grants) };
      const call: Call = { message, grants: Object.values(grants), limits, started: performance.now(), lateAt: Number.POSITIVE_INFINITY, resolve, reject };
      this.hold(true);
      if (this.pid === undefined) this.waiting.push(call);
      else this.dispatch(call);
    });
  }

  /** Kills the host; the calls still running in it fail with `why`. Settles once it is gone. */
  kill(why: string): Promise<void> {
    this.retired = true;
    this.killedBecause ??= why;
    this.guard.stop();
    this.hold(true); // until the host is gone, for whoever awaits that
    if (this.child.pid === undefined) {
      this.failAll(); // it never started
    } else if (this.child.connected) {
      // Only while the channel is open: once it closed the host is dead and its pid may be reused.
      // Before `ready` its pid is unknown: kill its process group (sh's, of which it is part).
      try {
        process.kill(this.pid ?? -this.child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    return this.ended;
  }

  private dispatch(call: Call): void {
    const { id } = call.message;
    this.calls.set(id, call);
    if (!this.child.connected) return; // the host just died: the disconnect handler fails the call with the reason
    try {
      this.child.send(call.message);
    } catch (error) {
      // An argument the structured clone cannot copy, as in thread mode: the caller's TypeError.
      this.settle(id);
      call.reject(new TypeError((error as Error).message));
      return;
    }
    this.guard.sent(call, call.limits.wallTimeMs);
  }

  /** Fails the overdue calls as time-limit and kills the host; its other calls fail as crashed. */
  private stopOverdue(late: Call[], what: string): void {
    for (const call of late) {
      this.settle(call.message.id);
      // The message a wall-clock stop records in the host, whatever the host was doing: what is stored
      // (and shown to the LLM) must not depend on how the machine's load starved the host.
      call.reject(new SandboxError('time-limit', limitMessage(call.limits, 'wall')));
    }
    void this.kill(`another call in it ran past its wall-clock limit and the host ${what}`);
    replaceEarly(this);
  }

  private receive(message: HostMessage): void {
    if (message?.kind === 'pong') return this.guard.pong();
    if (message?.kind === 'wedged') {
      this.wedged = true;
      this.retired = true;
      replaceEarly(this);
      if (this.calls.size === 0) void this.kill(WEDGED);
      return;
    }
    if (message?.kind === 'ready') {
      this.pid = message.pid;
      clearTimeout(this.startup);
      for (const call of this.waiting.splice(0)) this.dispatch(call);
      return;
    }
    const call = this.settle(message?.id);
    if (call === undefined) return;
    if (message.kind === 'failed') return call.reject(fromWire(message.error));
    const { value, console, cpuMs } = message.result ?? {};
    if (typeof console !== 'string' || typeof cpuMs !== 'number') {
      return call.reject(new SandboxError('crashed', `the isolate host running ${call.limits.filename} returned no result`));
    }
    call.resolve({ value, console, cpuMs, wallMs: performance.now() - call.started });
  }

  /** Forgets the call and returns it (undefined when it was already settled); lets go of the process when it was the last. */
  private settle(id: number): Call | undefined {
    const call = this.calls.get(id);
    if (call !== undefined) {
      this.calls.delete(id);
      this.guard.ended();
    }
    // A wedged host is killed once the last call in it has ended; one being killed stays held until it is gone (failAll lets go).
    if (this.wedged && this.calls.size === 0) void this.kill(WEDGED);
    if (this.calls.size === 0 && this.waiting.length === 0 && !this.retired) this.hold(false);
    return call;
  }

  /**
   * While calls are running the IPC channel keeps this thread's event loop alive (an awaited call
   * must not let the process exit under it); idle, nothing does, so the host never keeps a worker
   * thread or the process from ending. Its stdio pipes never do.
   */
  private hold(on: boolean): void {
    if (on) this.child.channel?.ref();
    else this.child.channel?.unref();
  }

  /** Answers one grant request line: the call's grant run here, on the calling thread. */
  private grant(line: string): string {
    return grantReply(() => {
      const request = parseGrantRequest(line);
      const fn = request === null ? undefined : this.calls.get(request.id)?.grants[request.index];
      if (request === null || fn === undefined) throw new Error('no such grant');
      return fn(...request.args);
    });
  }

  /** The host is gone: every call still here fails with why. */
  private failAll(): void {
    this.retired = true;
    clearTimeout(this.startup);
    this.guard.stop();
    const calls = [...this.calls.values(), ...this.waiting.splice(0)];
    this.calls.clear();
    for (const call of calls) call.reject(this.death(call.limits));
    this.hold(false);
    this.finished();
  }

  private death({ filename, memoryMb }: Limits): SandboxError {
    if (this.killedBecause !== undefined) return new SandboxError('crashed', `the isolate host running ${filename} was stopped: ${this.killedBecause}`);
    const how = describeStatus(this.status);
    const last = lastWords(this.stderr);
    if (OUT_OF_MEMORY.test(this.stderr)) {
      const v8 = /reports "([^"]*)"/.exec(this.stderr)?.[1] ?? last;
      return new SandboxError('out-of-memory', `${filename} ran out of memory: it made an allocation larger than its isolate's ${memoryMb} MB heap could take at once ` +
        `(a Map, Set or array growing past the limit in one step), which V8 cannot survive; its isolate host process ${how} (${v8}), the search goes on`);
    }
    return new SandboxError('crashed', `the isolate host process running ${filename} ${how}${last === '' ? ' without a word on stderr' : `: ${last}`}`);
  }
}

/**
 * The last line of the host's stderr that says what happened: the last error line if there is one
 * (Node ends an uncaught exception with its stack, the error's fields and its version), else the last line.
 */
function lastWords(stderr: string): string {
  const lines = stderr.split('\n').map((line) => line.trim()).filter((line) => line !== '' && !/^Node\.js v\d/.test(line) && !line.startsWith('at '));
  const telling = lines.filter((line) => /error|fatal|abort|ouroboros:/i.test(line));
  return (telling[telling.length - 1] ?? lines[lines.length - 1] ?? '').slice(0, 500);
}

/** `was killed by SIGABRT` or `exited with code 1`, from the status the watcher reports (128 + n for signal n, as sh's wait). */
function describeStatus(status: string): string {
  const code = /^\d+$/.test(status.trim()) ? Number(status.trim()) : Number.NaN;
  if (Number.isNaN(code)) return 'ended (exit status unknown)';
  if (code <= 128) return `exited with code ${code}`;
  const name = Object.entries(constants.signals).find(([, n]) => n === code - 128)?.[0];
  return `was killed by ${name ?? `signal ${code - 128}`}`;
}

/** This thread's host (module state is per worker thread), started on first use and replaced once it is gone. */
let current: IsolateHost | undefined;

/**
 * Starts the replacement of `host` at once when it is this thread's host and had started: a host
 * given up while a call overran is likely to be followed by another call, which then need not wait
 * for a whole start. Never for a host that did not start, so that a host that cannot start is not
 * restarted in a loop.
 */
function replaceEarly(host: IsolateHost): void {
  if (current === host && host.pid !== undefined) current = new IsolateHost();
}

/** Runs the call in this thread's isolate host; options are already checked (js-isolate.ts). */
export function runInHostProcess(options: IsolateOptions, limits: Limits): Promise<IsolateResult> {
  if (current === undefined || current.retired) current = new IsolateHost();
  return current.run(options, limits);
}

/** The pid of this thread's isolate host, when it has one that is running or starting; for tests and diagnosis. */
export function isolateHostPid(): number | undefined {
  return current?.retired === false ? current.pid : undefined;
}

/** Kills this thread's isolate host and waits until it is gone; calls still running in it fail as `crashed`. The next call starts a new one. */
export async function stopIsolateHost(): Promise<void> {
  const host = current;
  current = undefined;
  await host?.kill('stopIsolateHost() was called');
}
