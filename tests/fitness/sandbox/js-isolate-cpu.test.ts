// The CPU-time limit counts CPU, not waiting for a core: a candidate starved by other processes on its core is not stopped early, and a looping one still is.
import test from 'ava';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { isolateHostPid, stopIsolateHost } from '../../../fitness/sandbox/js-isolate-host.js';
import { offThreadCpuMs } from '../../../fitness/sandbox/off-thread-cpu.js';
import { failure, run } from '../../helpers/isolate.js';

const work = 'function f(n) { let x = 0; for (let i = 0; i < n; i++) x = (x + i * 7) % 1000003; return x; }';

test('offThreadCpuMs() counts the CPU a worker thread burns and not the calling thread\'s own', async (t) => {
  const before = offThreadCpuMs();
  t.not(before, null, '/proc/thread-self/stat is readable on Linux');
  const { Worker } = await import('node:worker_threads');
  const worker = new Worker('const end = Date.now() + 300; while (Date.now() < end) {} require("node:worker_threads").parentPort.postMessage(1);', { eval: true });
  await new Promise((resolve) => worker.once('message', resolve));
  await worker.terminate();
  // The worker spun for 300 ms of wall time; it got at least some CPU, all of it off this thread.
  t.true(offThreadCpuMs()! - before! > 0);
});

test('a candidate starved of its core by busy processes is not stopped at its CPU limit, while a looping one still is, with the same message whichever limit it meets', async (t) => {
  if (spawnSync('taskset', ['-V']).status !== 0) return t.fail('taskset (util-linux) is needed to pin the isolate host to one core');
  // Start the isolate host, then size the work to about 150 ms of CPU on this machine.
  const probe = await run(work, { args: [2e7], host: 'process' });
  const n = Math.max(1e6, Math.round((2e7 * 150) / Math.max(1, probe.cpuMs)));
  const pid = isolateHostPid();
  t.truthy(pid);
  const busy: ChildProcess[] = [];
  t.teardown(async () => {
    for (const b of busy) b.kill('SIGKILL');
    await stopIsolateHost();
  });
  t.is(spawnSync('taskset', ['-a', '-p', '-c', '0', String(pid)]).status, 0);
  // The host's threads at nice 5 (and its session's autogroup, where the kernel groups by session)
  // share core 0 with three processes that never sleep: the candidate gets about a tenth of the core,
  // so its 150 ms of CPU take over a second of wall time, well past the 450 ms CPU limit.
  if (existsSync(`/proc/${pid}/autogroup`)) writeFileSync(`/proc/${pid}/autogroup`, '5');
  for (const tid of readdirSync(`/proc/${pid}/task`)) spawnSync('renice', ['-n', '5', '-p', tid]);
  for (let i = 0; i < 3; i++) busy.push(spawn('taskset', ['-c', '0', process.execPath, '-e', 'process.stdout.write("spinning\\n"); for (;;) {}'], { stdio: ['ignore', 'pipe', 'ignore'] }));
  await Promise.all(busy.map((b) => new Promise((resolve) => b.stdout!.once('data', resolve))));
  const starved = await run(work, { args: [n], host: 'process', cpuTimeMs: 450, wallTimeMs: 120_000 });
  t.log(`${n} steps: ${starved.cpuMs.toFixed(0)} ms of CPU (as counted) in ${starved.wallMs.toFixed(0)} ms of wall time`);
  t.is(typeof starved.value, 'number');
  t.true(starved.cpuMs < 450, `counted ${starved.cpuMs} ms of CPU`);
  const error = await failure(t, 'function f() { for (;;) {} }', 'time-limit', { host: 'process', cpuTimeMs: 300, wallTimeMs: 120_000 });
  t.is(error.message, 'program.js ran past the 300 ms CPU time limit (an endless loop, or far too much work)');
  // Starved, a loop meets its 600 ms wall-clock limit long before 300 ms of CPU: it is still recorded as
  // the runaway computation it is, and a candidate that waits as waiting, so load does not change the record.
  const starvedLoop = await failure(t, 'function f() { for (;;) {} }', 'time-limit', { host: 'process', cpuTimeMs: 300, wallTimeMs: 600 });
  t.is(starvedLoop.message, 'program.js ran past the 300 ms CPU time limit (an endless loop, or far too much work)');
  const waiting = await failure(t, 'async function f() { await new Promise(() => {}); }', 'time-limit', { host: 'process', cpuTimeMs: 300, wallTimeMs: 600 });
  t.is(waiting.message, 'program.js did not finish within the 600 ms wall-clock limit (is it waiting on a promise that never settles?)');
});
