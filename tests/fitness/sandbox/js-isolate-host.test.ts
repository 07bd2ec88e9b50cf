// Checks the isolate host: one child process per calling thread that contains V8's aborts, ends with its caller, gets no environment, and is replaced when it dies; and the thread mode beside it.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { runInIsolate } from '../../../fitness/sandbox/js-isolate.js';
import { isolateHostPid, stopIsolateHost } from '../../../fitness/sandbox/js-isolate-host.js';
import { isSandboxError } from '../../../fitness/sandbox/sandbox-error.js';
import { mulberry32 } from '../../../examples/shared/prng.js';
import { failure, run } from '../../helpers/isolate.js';
import { ended, endsWithin, inProcess } from '../../helpers/isolate-host.js';

const modulePath = fileURLToPath(new URL('../../../fitness/sandbox/js-isolate.ts', import.meta.url));
const hostPath = fileURLToPath(new URL('../../../fitness/sandbox/js-isolate-host.ts', import.meta.url));

/** A normal call that must still work, in the same thread, after a hostile one. */
async function stillWorks(t: import('ava').ExecutionContext): Promise<void> {
  t.deepEqual((await run('function f(a) { return { twice: 2 * a }; }', { args: [21] })).value, { twice: 42 });
}

const tsxApi = import.meta.resolve('tsx/esm/api');
const moduleUrl = pathToFileURL(modulePath).href;
const hostUrl = pathToFileURL(hostPath).href;

/** Runs `body` (an async function body with runInIsolate, isolateHostPid and post in scope) in a worker thread; next() is its next message. */
function inWorker(body: string, env?: NodeJS.ProcessEnv) {
  const source = `
    const { parentPort, workerData } = require('node:worker_threads');
    (async () => {
      const { register } = await import(workerData.tsx);
      register();
      const { runInIsolate } = await import(workerData.module);
      const { isolateHostPid } = await import(workerData.host);
      const post = (m) => parentPort.postMessage(m);
      const outcome = async (options) => {
        // Generous limits unless the call tests one: a worker's first call (a new isolate) is slow on a loaded machine.
        try { return (await runInIsolate({ entry: 'f', cpuTimeMs: 5000, ...options })).value; } catch (e) { return e.reason; }
      };
      ${body}
    })().catch((e) => parentPort.postMessage({ error: String(e && e.stack) }));`;
  const worker = new Worker(source, { eval: true, workerData: { tsx: tsxApi, module: moduleUrl, host: hostUrl }, ...(env === undefined ? {} : { env }) });
  const inbox: unknown[] = [];
  const waiting: Array<(message: unknown) => void> = [];
  worker.on('message', (message) => { const waiter = waiting.shift(); if (waiter === undefined) inbox.push(message); else waiter(message); });
  const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
  const next = () => (inbox.length > 0 ? Promise.resolve(inbox.shift()) : new Promise<unknown>((resolve) => waiting.push(resolve)));
  return { worker, next, exited };
}

const WORKER_CALLS = `
  post([
    await outcome({ code: 'function f(a) { return a.map((x) => x * 2); }', args: [[1, 2]], host: workerData.mode }),
    await outcome({ code: 'function f() { for (;;) {} }', cpuTimeMs: 300, host: workerData.mode }),
    await outcome({ code: 'function f() { const a = []; for (;;) a.push(new Array(1e4).fill(1)); }', memoryMb: 16, cpuTimeMs: 20000, host: workerData.mode }),
    await outcome({ code: 'function f() { return Math.random(); }', seed: 3, host: workerData.mode }),
  ]);
  post(isolateHostPid() ?? null);
  runInIsolate({ code: 'function f() { for (;;) {} }', entry: 'f', cpuTimeMs: 60000, host: workerData.mode }).catch(() => {});
  post('looping');`;

for (const mode of ['process', 'thread'] as const) {
  test(`${mode} mode works inside a worker thread, and the worker exits cleanly even with a candidate still running${mode === 'process' ? ', leaving no isolate host behind' : ''}`, async (t) => {
    const { worker, next } = inWorker(WORKER_CALLS.replaceAll('workerData.mode', JSON.stringify(mode)));
    t.deepEqual(await next(), [[2, 4], 'time-limit', 'out-of-memory', mulberry32(3)()]);
    const pid = await next();
    if (mode === 'thread') t.is(pid, null, 'no isolate host was started');
    else t.true(typeof pid === 'number' && !ended(pid), `the host runs: ${String(pid)}`);
    t.is(await next(), 'looping');
    await new Promise((resolve) => setTimeout(resolve, 200));
    await worker.terminate();
    if (typeof pid === 'number') t.true(await endsWithin(pid, 5000), `the isolate host ${pid} outlived the terminated worker`);
  });
}

test('a worker thread whose host is idle ends by itself, and its host with it', async (t) => {
  const { next, exited } = inWorker(`post(await outcome({ code: 'function f() { return 7; }' })); post(isolateHostPid());`);
  t.is(await next(), 7);
  const pid = await next() as number;
  let timer: NodeJS.Timeout | undefined;
  t.is(await Promise.race([exited, new Promise((resolve) => { timer = setTimeout(() => resolve('still running'), 15_000); })]), 0);
  clearTimeout(timer);
  t.true(await endsWithin(pid, 5000));
});

test('a process whose host is idle ends by itself, and when it is SIGKILLed mid-call its host ends too', async (t) => {
  const idle = inProcess(`import { runInIsolate } from ${JSON.stringify(moduleUrl)};
    import { isolateHostPid } from ${JSON.stringify(hostUrl)};
    const r = await runInIsolate({ code: 'function f() { return 5; }', entry: 'f', cpuTimeMs: 1000 });
    console.log('value', r.value, 'host', isolateHostPid());`);
  const [code] = await idle.closed;
  t.is(code, 0, idle.text().stderr);
  const idleHost = Number(/host (\d+)/.exec(idle.text().stdout)?.[1]);
  t.true(idleHost > 0 && await endsWithin(idleHost, 5000));

  const killed = inProcess(`import { runInIsolate } from ${JSON.stringify(moduleUrl)};
    import { isolateHostPid } from ${JSON.stringify(hostUrl)};
    await runInIsolate({ code: 'function f() { return 5; }', entry: 'f', cpuTimeMs: 1000 });
    console.log('host', isolateHostPid());
    await runInIsolate({ code: 'function f() { for (;;) {} }', entry: 'f', cpuTimeMs: 60000 });`);
  const host = Number((await killed.output(/host (\d+)\n/))[1]);
  await new Promise((resolve) => setTimeout(resolve, 300));
  t.false(ended(host), 'the host is running the loop');
  killed.child.kill('SIGKILL'); // sh has exec'd node: this is the calling process itself
  t.deepEqual(await killed.closed, [null, 'SIGKILL']);
  t.true(await endsWithin(host, 5000), `the isolate host ${host} outlived the SIGKILLed process`);
});

test("the isolate host's environment is empty even though the caller's holds OPENAI_API_KEY", async (t) => {
  const secret = 'sk-test-isolate-host-must-not-see-this';
  const before = process.env.OPENAI_API_KEY;
  process.env.OPENAI_API_KEY = secret;
  t.teardown(() => { if (before === undefined) delete process.env.OPENAI_API_KEY; else process.env.OPENAI_API_KEY = before; });
  const { worker, next } = inWorker(`post(process.env.OPENAI_API_KEY); post(await outcome({ code: 'function f() { return 1; }' })); post(isolateHostPid());
    await new Promise((resolve) => parentPort.once('message', resolve));`);
  t.teardown(() => worker.terminate());
  t.is(await next(), secret, 'the calling thread has the key');
  t.is(await next(), 1);
  const environ = readFileSync(`/proc/${await next() as number}/environ`, 'utf8');
  t.false(environ.includes(secret));
  // Node's own IPC settings, which it reads and removes from process.env at startup, are all there is.
  t.deepEqual(environ.split('\0').filter((entry) => entry !== '' && !entry.startsWith('NODE_CHANNEL_')), []);
});

test('concurrent calls from one thread share its host, each answered by its id, in whatever order they end', async (t) => {
  await run('function f() { return 0; }');
  const pid = isolateHostPid();
  const slow = 'function f(n, tag) { let s = 0; for (let i = 0; i < n; i++) s += i % 3; return tag; }';
  const sizes = [3e7, 1e3, 2e7, 1e4, 1e7, 1e5, 1e3, 5e6];
  const order: number[] = [];
  const values = await Promise.all(sizes.map((n, k) => run(slow, { args: [n, `call ${k}`], cpuTimeMs: 20_000 }).then((r) => { order.push(k); return r.value; })));
  t.deepEqual(values, sizes.map((_, k) => `call ${k}`));
  t.notDeepEqual(order, sizes.map((_, k) => k), 'the answers came back out of order');
  t.is(isolateHostPid(), pid, 'one host served them all');
});

test('the thread mode still works: results, grants, every limit, and no host started', async (t) => {
  const { worker, next } = inWorker(`
    const thread = (options) => outcome({ host: 'thread', ...options });
    post([
      await thread({ code: 'function f(a) { return [a, NaN, "é"]; }', args: [2] }),
      await thread({ code: 'function f() { return twice(21); }', grants: { twice: (x) => 2 * x } }),
      await thread({ code: 'function f() { for (;;) {} }', cpuTimeMs: 100 }),
      await thread({ code: 'async function f() { await new Promise(() => {}); }', wallTimeMs: 300 }),
      await thread({ code: 'function f() { return "x".repeat(5000); }', maxResultBytes: 100 }),
      await thread({ code: 'function f( {' }),
      isolateHostPid() ?? null,
    ]);`);
  t.teardown(() => worker.terminate());
  t.deepEqual(await next(), [[2, Number.NaN, 'é'], 42, 'time-limit', 'time-limit', 'output-too-large', 'syntax', null]);
  await t.throwsAsync(run('function f() {}', { host: 'elsewhere' as 'thread' }), { instanceOf: TypeError, message: /host must be 'process' or 'thread'/ });
});

test('a host that is only slow is left alone; one that stops answering is killed past the wall-clock limit, a grace and a ping: time-limit, and the next call works', async (t) => {
  const { worker, next } = inWorker(`
    const loop = () => runInIsolate({ code: 'function f() { for (;;) {} }', entry: 'f', cpuTimeMs: 60000, wallTimeMs: 800 }).then(() => 'finished', (e) => [e.reason, e.message]);
    post(await outcome({ code: 'function f() { return 1; }' }));
    post(isolateHostPid());
    for (let round = 0; round < 2; round++) {
      await new Promise((resolve) => parentPort.once('message', resolve));
      const started = Date.now();
      const call = loop();
      post('started');
      post([await call, Date.now() - started, isolateHostPid() ?? null]);
    }
    post(await outcome({ code: 'function f() { return 2; }' }));
    post(isolateHostPid());`);
  t.teardown(() => worker.terminate());
  t.is(await next(), 1);
  const pid = await next() as number;
  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  // Stopped for 2.5 s: past the wall-clock limit and the grace, but it answers the ping once it runs again.
  worker.postMessage('go');
  t.is(await next(), 'started');
  await pause(200);
  process.kill(pid, 'SIGSTOP');
  await pause(2300);
  process.kill(pid, 'SIGCONT');
  const [slow, , slowHost] = await next() as [[string, string], number, number];
  t.deepEqual(slow, ['time-limit', 'program.js did not finish within the 800 ms wall-clock limit (is it waiting on a promise that never settles?)'], 'the host stopped it itself');
  t.is(slowHost, pid, 'and was kept');

  // Stopped for good: its own watchdog cannot run, and it does not answer.
  worker.postMessage('go');
  t.is(await next(), 'started');
  await pause(200);
  process.kill(pid, 'SIGSTOP');
  const [stuck, took] = await next() as [[string, string], number];
  t.deepEqual(stuck, ['time-limit', 'program.js did not finish within the 800 ms wall-clock limit (is it waiting on a promise that never settles?)']);
  t.true(took >= 6000 && took < 20_000, `${took} ms`);
  t.true(await endsWithin(pid, 5000));
  t.is(await next(), 2);
  t.not(await next(), pid, 'a new host');
});

// Serial tests run before the concurrent ones: these kill this thread's host, which would fail the calls of other tests.

const catastrophes: Array<[string, string]> = [
  ['one giant array', 'function f() { return new Array(2 ** 28).fill(0).length; }'],
  ['a Map growing past the limit', 'function f() { const m = new Map(); for (let i = 0; ; i++) m.set(i, i); }'],
];

for (const [what, code] of catastrophes) {
  test.serial(`an allocation V8 cannot survive (${what}) costs only its isolate host: out-of-memory with the reason, and the next call gets a new host`, async (t) => {
    await stillWorks(t);
    const before = isolateHostPid()!;
    const error = await failure(t, code, 'out-of-memory', { cpuTimeMs: 20_000 });
    t.regex(error.message, /^program\.js ran out of memory: it made an allocation larger than its isolate's 64 MB heap could take at once .* its isolate host process was killed by SIGKILL \(Catastrophic out-of-memory error\), the search goes on$/);
    t.true(await endsWithin(before, 5000));
    await stillWorks(t);
    t.not(isolateHostPid(), before, 'a new host');
  });
}

test.serial('a host killed from outside fails its running calls as crashed, naming the signal; the next call starts a new one', async (t) => {
  await stillWorks(t);
  const pid = isolateHostPid()!;
  const running = Promise.allSettled([run('function f() { for (;;) {} }', { cpuTimeMs: 60_000 }), run('async function f() { await new Promise(() => {}); }', { wallTimeMs: 60_000 })]);
  await new Promise((resolve) => setTimeout(resolve, 300));
  process.kill(pid, 'SIGKILL');
  const outcomes = await running;
  for (const outcome of outcomes) {
    t.is(outcome.status, 'rejected');
    const error = (outcome as PromiseRejectedResult).reason as Error & { reason: string };
    t.true(isSandboxError(error));
    t.is(error.reason, 'crashed');
    t.regex(error.message, /^the isolate host process running program\.js was killed by SIGKILL/);
  }
  await stillWorks(t);
  t.not(isolateHostPid(), pid);
});

test.serial('stopIsolateHost() ends the host; the next call starts another', async (t) => {
  await stillWorks(t);
  const pid = isolateHostPid()!;
  await stopIsolateHost();
  t.true(await endsWithin(pid, 5000));
  t.is(isolateHostPid(), undefined);
  await stillWorks(t);
  t.not(isolateHostPid(), pid);
});

test('in thread mode an allocation V8 cannot survive stops the whole process, as isolated-vm requires: the reason the host exists', async (t) => {
  // One allocation larger than the room left in the isolate's heap is fatal to V8 in-process
  // (isolated-vm issue #107), so this runs in a process of its own.
  const proc = inProcess(`import { runInIsolate } from ${JSON.stringify(moduleUrl)};
    runInIsolate({ code: 'function f() { return new Array(1e8).fill(0).length; }', entry: 'f', cpuTimeMs: 20000, host: 'thread' })
      .then((r) => console.log('value', r.value), (e) => console.log('failed', e.reason));`);
  const [code, signal] = await proc.closed;
  const { stdout, stderr } = proc.text();
  if (stdout.includes('failed out-of-memory')) {
    t.pass('this V8 build stopped the allocation gracefully');
    return;
  }
  t.is(signal, 'SIGABRT', `exit ${code}, stdout ${stdout}`);
  t.regex(stderr, /ouroboros: the JavaScript sandbox reports "Catastrophic out-of-memory error": a candidate made an allocation larger than its isolate could take in one step/);
});
