// Checks the isolate host's overdue guard on a fake clock: it never leaves a running call without a timer, even when its timer fires early, and gives a host up only as documented.
import test from 'ava';
import { GUARD_GRACE_MS, OVERDUE_LIMIT_MS, OverdueGuard, PROBE_LIMIT_MS, setGuardTimers, type Guarded } from '../../../fitness/sandbox/js-isolate-guard.js';

interface FakeTimer { at: number; fn: () => void; ms: number }

/** A clock that moves only when told, timers that fire only when told, and a host that records what the guard asks of it. */
function setup() {
  let now = 0;
  const armed = new Set<FakeTimer>();
  setGuardTimers({
    now: () => now,
    setTimeout: (fn, ms) => { const timer = { at: now + ms, fn, ms }; armed.add(timer); return timer as unknown as NodeJS.Timeout; },
    clearTimeout: (timer) => { armed.delete(timer as unknown as FakeTimer); },
  });
  const running = new Set<Guarded>();
  const pings: number[] = [];
  const givenUp: Array<[Guarded[], string]> = [];
  const guard = new OverdueGuard<Guarded>({ running: () => running.values(), ping: () => { pings.push(now); return true; }, giveUp: (late, what) => { givenUp.push([late, what]); } });
  /** The one armed timer (the invariant says there is exactly one while calls run). */
  const only = (): FakeTimer => {
    if (armed.size !== 1) throw new Error(`${armed.size} timers armed`);
    return [...armed][0]!;
  };
  /** Fires the one armed timer with the clock at `at` (earlier than its time, to make it fire early). */
  const fire = (at: number): void => {
    const timer = only();
    armed.delete(timer);
    now = at;
    timer.fn();
  };
  const send = (wallTimeMs: number): Guarded => {
    const call: Guarded = { lateAt: Number.POSITIVE_INFINITY };
    running.add(call);
    guard.sent(call, wallTimeMs);
    return call;
  };
  return { guard, running, pings, givenUp, armed, only, fire, send, at: (t: number) => { now = t; } };
}

test.afterEach(() => setGuardTimers(undefined));

test.serial('a guard timer that fires before the deadline by the clock arms again for it, and pings once the call is overdue', (t) => {
  const { pings, only, fire, send } = setup();
  send(1000);
  const deadline = 1000 + GUARD_GRACE_MS;
  t.true(only().at > deadline, 'armed past the deadline');
  fire(deadline - 0.4); // a fraction of a millisecond early, as a loaded event loop can fire it
  t.deepEqual(pings, [], 'nothing is overdue yet');
  t.true(only().at > deadline, 'armed again, past the deadline');
  fire(deadline - 300); // far too early as well
  t.deepEqual(pings, []);
  fire(only().at);
  t.deepEqual(pings.length, 1, 'pinged once overdue');
  t.is(only().ms, PROBE_LIMIT_MS, 'and waits for the answer');
});

test.serial('with several calls the guard is armed for the earliest deadline, and again for the next when that call ends', (t) => {
  const { guard, running, only, send } = setup();
  const slow = send(5000);
  const quick = send(200);
  t.is(only().at, quick.lateAt + 1);
  running.delete(quick);
  guard.ended();
  t.is(only().at, slow.lateAt + 1);
  running.delete(slow);
  guard.ended();
  t.throws(only, { message: '0 timers armed' });
});

test.serial('a host that does not answer the ping is given up PROBE_LIMIT_MS later with its overdue calls', async (t) => {
  const { givenUp, only, fire, send, armed } = setup();
  const late = send(100);
  send(60_000);
  fire(only().at);
  fire(only().at); // the probe's limit passes without a pong
  await new Promise((resolve) => setImmediate(resolve));
  t.deepEqual(givenUp, [[[late], 'stopped answering']]);
  t.is(armed.size, 0, 'the guard stopped');
});

test.serial('a host that answers gets OVERDUE_LIMIT_MS from its first answer to end the call, then is given up', (t) => {
  const { guard, givenUp, pings, only, fire, send, at } = setup();
  const call = send(100);
  fire(only().at);
  at(call.lateAt + 10);
  guard.pong();
  t.deepEqual(givenUp, [], 'a first answer is a second chance: a stopped host answers before it runs its timers');
  t.is(call.answeredLateAt, call.lateAt + 10);
  t.is(only().at, call.lateAt + 10 + OVERDUE_LIMIT_MS + 1);
  fire(only().at - 1.5);
  t.is(pings.length, 1, 'early again: no second ping yet');
  fire(only().at);
  t.is(pings.length, 2);
  guard.pong();
  t.deepEqual(givenUp, [[[call], `answers but still had it running ${OVERDUE_LIMIT_MS} ms later`]]);
});
