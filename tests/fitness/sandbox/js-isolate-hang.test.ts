// Checks that every isolate call ends near its limits whatever it runs: loops inside built-ins V8 does not interrupt, and a caller-side guard whose timer fires early.
import test from 'ava';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setGuardTimers } from '../../../fitness/sandbox/js-isolate-guard.js';
import { isolateHostPid } from '../../../fitness/sandbox/js-isolate-host.js';
import { isSandboxError } from '../../../fitness/sandbox/sandbox-error.js';
import { failure, run } from '../../helpers/isolate.js';
import { endsWithin, inProcess } from '../../helpers/isolate-host.js';

const moduleUrl = pathToFileURL(fileURLToPath(new URL('../../../fitness/sandbox/js-isolate.ts', import.meta.url))).href;

async function stillWorks(t: import('ava').ExecutionContext): Promise<number> {
  t.is((await run('function f(a) { return 2 * a; }', { args: [21] })).value, 42);
  return isolateHostPid()!;
}

// Every test here kills this thread's isolate host, so they run one at a time.

/**
 * Loops V8 runs inside a built-in without checking for termination: disposing the isolate does not
 * stop them. The limits leave the candidate ample time to reach the built-in (the isolate is warm:
 * each test starts with a call), so that the limit strikes inside it.
 */
const wedging: Array<[string, string, { cpuTimeMs: number; wallTimeMs: number }, RegExp]> = [
  ['indexOf over a huge array-like, at the CPU limit', 'function f() { return Array.prototype.indexOf.call({ length: 2 ** 53 - 1 }, 1); }',
    { cpuTimeMs: 300, wallTimeMs: 60_000 }, /^program\.js ran past the 300 ms CPU time limit \(an endless loop/],
  ['join over a huge array-like, at the CPU limit', 'function f() { return Array.prototype.join.call({ length: 2 ** 32 - 1 }).length; }',
    { cpuTimeMs: 300, wallTimeMs: 60_000 }, /^program\.js ran past the 300 ms CPU time limit \(an endless loop/],
  ['includes over a proxy, at the wall-clock limit', 'async function f() { await null; return Array.prototype.includes.call(new Proxy({ length: 2 ** 53 - 1 }, {}), 1); }',
    { cpuTimeMs: 60_000, wallTimeMs: 3000 }, /^program\.js did not finish within the 3000 ms wall-clock limit/],
];

for (const [what, code, limits, message] of wedging) {
  test.serial(`a loop inside a built-in V8 does not interrupt (${what}) fails as time-limit, and the host that could not stop it is replaced`, async (t) => {
    const before = await stillWorks(t);
    const error = await failure(t, code, 'time-limit', limits);
    t.regex(error.message, message);
    t.true(await endsWithin(before, 5000), `the wedged host ${before} still runs`);
    t.not(await stillWorks(t), before, 'a new host');
  });
}

test.serial('a call running beside a wedged one in the same host still gets its result; the host is killed once it has', async (t) => {
  const before = await stillWorks(t);
  // The bystander spins until the caller has retired the host (told that an isolate in it is wedged), then returns.
  const retired = () => isolateHostPid() !== before;
  const [bystander, wedged] = await Promise.allSettled([
    run('function f() { while (!retired()) {} return "survived"; }', { cpuTimeMs: 30_000, wallTimeMs: 60_000, grants: { retired } }),
    // A second isolate, new (the bystander has the warm one): its CPU time includes compiling the prelude.
    run('function f() { return Array.prototype.lastIndexOf.call({ length: 2 ** 53 - 1 }, 1); }', { cpuTimeMs: 1000, wallTimeMs: 60_000 }),
  ]);
  t.deepEqual(bystander.status === 'fulfilled' ? bystander.value.value : String(bystander.reason), 'survived');
  t.is(wedged.status, 'rejected');
  const error = (wedged as PromiseRejectedResult).reason as Error & { reason?: string };
  t.true(isSandboxError(error) && error.reason === 'time-limit', error.message);
  t.true(await endsWithin(before, 5000), 'the wedged host was killed once its last call ended');
  t.not(await stillWorks(t), before);
});

test.serial("a caller-side guard that fires early re-arms for the deadline: a host that stops answering is still killed, time-limit", async (t) => {
  // Every guard timer fires at half its delay: the guard then finds nothing overdue yet, as when a timer fires a fraction of a millisecond early.
  setGuardTimers({ setTimeout: (fn, ms) => setTimeout(fn, ms / 2) });
  const pid = await stillWorks(t);
  t.teardown(() => {
    setGuardTimers(undefined);
    try { process.kill(pid, 'SIGCONT'); } catch { /* gone */ }
  });
  const call = run('function f() { for (;;) {} }', { cpuTimeMs: 60_000, wallTimeMs: 800 });
  process.kill(pid, 'SIGSTOP'); // its own watchdog cannot act: only the caller's guard can end the call
  const error = await t.throwsAsync(call);
  t.true(isSandboxError(error) && (error as { reason?: string }).reason === 'time-limit', error?.message);
  t.is(error?.message, 'program.js did not finish within the 800 ms wall-clock limit (is it waiting on a promise that never settles?)');
  t.true(await endsWithin(pid, 5000));
  t.not(await stillWorks(t), pid);
});

test.serial('in thread mode a wedged isolate still ends its call as time-limit (its thread spins on until the process ends)', async (t) => {
  const proc = inProcess(`import { runInIsolate } from ${JSON.stringify(moduleUrl)};
    await runInIsolate({ code: 'function f() { return 1; }', entry: 'f', cpuTimeMs: 5000, host: 'thread' }); // the isolate warm
    runInIsolate({ code: 'function f() { return Array.prototype.indexOf.call({ length: 2 ** 53 - 1 }, 1); }', entry: 'f', cpuTimeMs: 300, host: 'thread' })
      .then(() => console.log('finished'), (e) => console.log('failed', e.reason, e.message));`);
  t.teardown(() => proc.child.kill('SIGKILL'));
  const [line] = await proc.output(/^(finished|failed .*)$/m);
  t.regex(line, /^failed time-limit program\.js ran past the 300 ms CPU time limit \(an endless loop/);
});
