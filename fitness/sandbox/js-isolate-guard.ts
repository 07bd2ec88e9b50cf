// The caller's guard over one isolate host: it notices a call the host let run past its wall-clock limit, pings the host, and gives the host up when it does not answer or does not end the call.
import { performance } from 'node:perf_hooks';

/**
 * The host's own limits end every call: its watchdog disposes the isolate, and an isolate that does
 * not stop (a loop inside a built-in V8 does not interrupt) is given up DISPOSE_GRACE_MS later, or
 * WALL_GRACE_MS past the wall-clock limit at the latest; the host then says it is `wedged` and is
 * replaced (js-isolate-limits.ts). The guard only checks that the host is still there. Once a call
 * is GUARD_GRACE_MS past its wall-clock limit (after the host's own backstop), the host is pinged: a
 * host that does not answer within PROBE_LIMIT_MS (stopped, or its thread blocked) is given up, and
 * so is one that answers but still has the call OVERDUE_LIMIT_MS after its first answer. A host
 * stopped for a while answers before it runs its due timers, hence that second chance; a host that
 * is merely slow (a loaded machine delays it) does not answer at once either, and gets PROBE_LIMIT_MS.
 */
export const GUARD_GRACE_MS = 750;
export const PROBE_LIMIT_MS = 5_000;
export const OVERDUE_LIMIT_MS = 1_000;

/** The guard's clock and timer; replaceable by tests (setGuardTimers), to make the guard fire early as a loaded event loop can. */
export interface GuardTimers {
  now: () => number;
  setTimeout: (fn: () => void, ms: number) => NodeJS.Timeout;
  clearTimeout: (timer: NodeJS.Timeout | undefined) => void;
}
const REAL_TIMERS: GuardTimers = { now: () => performance.now(), setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (timer) => clearTimeout(timer) };
let timers = REAL_TIMERS;

/** For tests: the guard's clock and timer from now on in this thread (the real ones when undefined). */
export function setGuardTimers(replacement: Partial<GuardTimers> | undefined): void {
  timers = { ...REAL_TIMERS, ...replacement };
}

/** What the guard keeps on a call. */
export interface Guarded {
  /** When the call is overdue: its wall-clock limit and GUARD_GRACE_MS after it was sent (guard clock). */
  lateAt: number;
  /** When the host first answered a ping while the call was overdue. */
  answeredLateAt?: number;
}

/** What the guard needs of its host. */
export interface GuardedHost<C extends Guarded> {
  /** The calls running in the host now. */
  running(): Iterable<C>;
  /** Sends the host a ping; false when the channel is closed (the host is gone and its calls are failed elsewhere). */
  ping(): boolean;
  /** Gives the host up (the guard has stopped): `late` are the calls overdue now, `what` says what the host did. */
  giveUp(late: C[], what: string): void;
}

export class OverdueGuard<C extends Guarded> {
  /**
   * Invariant: until stop(), while a call runs, exactly one of these is armed: the timer, for the
   * earliest deadline of the calls (see arm()), or the probe, for a ping's answer.
   */
  private timer: NodeJS.Timeout | undefined;
  private probe: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly host: GuardedHost<C>) {}

  /** The call was sent to the host: it is overdue GUARD_GRACE_MS after its wall-clock limit. */
  sent(call: C, wallTimeMs: number): void {
    call.lateAt = timers.now() + wallTimeMs + GUARD_GRACE_MS;
    this.arm();
  }

  /** A call ended (it is no longer among the running ones). */
  ended(): void {
    this.arm();
  }

  /** The host answered a ping: it gets OVERDUE_LIMIT_MS from its first answer to end each overdue call, else it is given up. */
  pong(): void {
    timers.clearTimeout(this.probe);
    this.probe = undefined;
    if (this.stopped) return;
    const now = timers.now();
    for (const call of this.host.running()) {
      if (now < call.lateAt) continue;
      call.answeredLateAt ??= now;
      if (now >= call.answeredLateAt + OVERDUE_LIMIT_MS) return this.giveUp(`answers but still had it running ${OVERDUE_LIMIT_MS} ms later`);
    }
    this.arm();
  }

  /** For good: the host is being killed or is gone. */
  stop(): void {
    this.stopped = true;
    timers.clearTimeout(this.timer);
    timers.clearTimeout(this.probe);
    this.timer = undefined;
    this.probe = undefined;
  }

  /** When the guard must look at `call` next: once it is overdue, then once the host has had OVERDUE_LIMIT_MS since it first answered. */
  private static deadline(call: Guarded): number {
    return call.answeredLateAt === undefined ? call.lateAt : call.answeredLateAt + OVERDUE_LIMIT_MS;
  }

  /**
   * (Re-)arms the timer for the earliest deadline of the running calls. A timer may fire a fraction
   * of a millisecond early by the guard's clock (timers count whole milliseconds of the loop's
   * time): look() then finds nothing due and arms again, rounded up, so no call is ever left
   * without a timer.
   */
  private arm(): void {
    timers.clearTimeout(this.timer);
    this.timer = undefined;
    if (this.stopped || this.probe !== undefined) return;
    let next = Number.POSITIVE_INFINITY;
    for (const call of this.host.running()) next = Math.min(next, OverdueGuard.deadline(call));
    if (next === Number.POSITIVE_INFINITY) return;
    this.timer = timers.setTimeout(() => this.look(), Math.max(0, Math.ceil(next - timers.now())) + 1);
  }

  /** The timer fired: ping the host if a call is due, else wait for the earliest deadline. */
  private look(): void {
    this.timer = undefined;
    if (this.stopped) return;
    const now = timers.now();
    if (![...this.host.running()].some((call) => now >= OverdueGuard.deadline(call))) return this.arm();
    if (!this.host.ping()) return;
    // setImmediate: after a stall of this thread, a pong already received is read before the verdict.
    this.probe = timers.setTimeout(() => setImmediate(() => { if (this.probe !== undefined) this.giveUp('stopped answering'); }), PROBE_LIMIT_MS);
  }

  private giveUp(what: string): void {
    const now = timers.now();
    const late = [...this.host.running()].filter((call) => now >= call.lateAt);
    this.stop();
    this.host.giveUp(late, what);
  }
}
