import test from 'ava';
import { createServer, type AddressInfo } from 'node:net';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSubprocess, sandboxIsolation } from '../../../fitness/sandbox/subprocess.js';
import { delay, expectSandboxError, leaveNotes, note, noteDir, ownerOf, processesIn, runInWorker, survivors, watched } from '../../helpers/subprocess-watch.js';

const isolation = sandboxIsolation();
const python = existsSync('/usr/bin/python3');

test.before((t) => {
  t.log('isolation on this machine:', JSON.stringify(isolation));
});

// ---- runaway programs: fork bombs run one at a time, so that their CPU load and process counts are their own

test.serial('a fork loop of background sleeps stops at maxProcesses and leaves nothing running', async (t) => {
  const dir = await noteDir(t);
  const script = `${leaveNotes(dir)}; for i in $(seq 200); do sleep 30 & done; wait`;
  const { result, error, seen } = await watched(dir, { command: 'sh', args: ['-c', script], timeoutMs: 10_000, maxProcesses: 32, writePaths: [dir] });
  if (isolation.treeLimits === null && (!isolation.rlimits || isolation.dropToUser === null)) {
    t.log('no process limit on this machine (see isolation.notes); the loop ran until the time limit');
    return;
  }
  t.is(error, null);
  t.not(result!.exitCode, 0);
  t.regex(result!.stderr, /fork/i);
  if (isolation.pidNamespace) t.deepEqual(survivors(seen), [], 'every background sleep seen is gone');
});

test.serial('a recursive fork bomb (python) is held at maxProcesses, stopped at the time limit, and nothing survives', async (t) => {
  if (!python) return t.log('no /usr/bin/python3 here: skipped');
  const dir = await noteDir(t);
  const bomb = [
    'import os, time',
    `open("${dir}/ns.part", "w").write(os.readlink("/proc/self/ns/pid")); os.rename("${dir}/ns.part", "${dir}/ns")`,
    'while True:',
    '    try: os.fork()',
    '    except OSError: time.sleep(0.01)',
  ].join('\n');
  const { error, peak, seen } = await watched(dir, { command: 'python3', args: ['-c', bomb], timeoutMs: 2_000, maxProcesses: 16, writePaths: [dir] });
  expectSandboxError(t, error, 'time-limit');
  if (!isolation.pidNamespace) return t.log('no PID namespace: cannot count what survives');
  t.deepEqual(survivors(seen), [], 'every process of the bomb is gone');
  if (isolation.treeLimits !== null || (isolation.rlimits && isolation.dropToUser !== null)) {
    // The init (root) is in the namespace too, and does not count towards the candidate's limit.
    t.true(peak >= 8, `the bomb really forked (at most ${peak} processes seen)`);
    t.true(peak <= 16 + 1, `at most maxProcesses processes at once (saw ${peak})`);
  }
});

test.serial('a recursive shell fork bomb is contained and nothing survives it', async (t) => {
  const dir = await noteDir(t);
  const { error, peak, seen } = await watched(dir, { command: 'sh', args: ['-c', `${leaveNotes(dir)}; f() { f | f & }; f; while :; do :; done`], timeoutMs: 2_000, maxProcesses: 16, writePaths: [dir] });
  expectSandboxError(t, error, 'time-limit');
  if (!isolation.pidNamespace) return t.log('no PID namespace: cannot count what survives');
  t.deepEqual(survivors(seen), []);
  if (isolation.treeLimits !== null || (isolation.rlimits && isolation.dropToUser !== null)) t.true(peak <= 16 + 1, `saw ${peak} processes at once`);
});

test.serial("a fork bomb in one sandbox does not use up another sandbox's processes", async (t) => {
  if ((isolation.dropToUser !== 'sandbox-uid' && isolation.treeLimits === null) || !python) return t.log(`each sandbox has neither a uid nor a cgroup of its own here (${isolation.dropToUser}), or no python: skipped`);
  const dir = await noteDir(t);
  const bomb = `import os, time\nopen("${dir}/ns", "w").write("x")\nwhile True:\n    try: os.fork()\n    except OSError: time.sleep(0.01)`;
  const bombing = runSubprocess({ command: 'python3', args: ['-c', bomb], timeoutMs: 4_000, maxProcesses: 16, writePaths: [dir] }).catch((error: unknown) => error);
  while ((await note(dir, 'ns')) === null) await delay(20);
  await delay(300); // the bomb is at its limit by now
  const honest = await runSubprocess({ command: 'sh', args: ['-c', 'for i in 1 2 3 4 5 6 7 8 9 10; do sleep 0.2 & done; wait; echo all forked'], timeoutMs: 10_000, maxProcesses: 16 });
  t.is(honest.stdout, 'all forked\n');
  t.is(honest.stderr, '');
  expectSandboxError(t, await bombing, 'time-limit');
});

// ---- time limit ----------------------------------------------------------------------------------

test('a shell loop is stopped at the time limit, with its background, setsid, signal-ignoring and orphaned processes', async (t) => {
  const dir = await noteDir(t);
  const script = [
    'sleep 1000 &',
    'setsid sleep 1000 &',
    `sh -c 'trap "" TERM HUP INT; while :; do sleep 1; done' &`,
    `(setsid sh -c 'sleep 1000' &)`,
    leaveNotes(dir),
    'while :; do :; done',
  ].join('\n');
  const { error, peak, seen } = await watched(dir, { command: 'sh', args: ['-c', script], timeoutMs: 1_500, writePaths: [dir] });
  const e = expectSandboxError(t, error, 'time-limit');
  t.regex(e.message, /did not finish within 1500 ms/);
  t.false(existsSync((await note(dir, 'cwd'))!), 'the working directory is removed');
  if (!isolation.pidNamespace) return t.log('no PID namespace: a setsid process may survive here');
  t.true(peak >= 5, `the background processes were running (saw ${peak}: ${[...seen.keys()].join(' ')})`);
  t.deepEqual(survivors(seen), [], 'nothing of the candidate is left');
});

const loops: Array<[string, string, string[]]> = [
  ['sh', 'sh', ['-c', 'while :; do :; done']],
  ['node', process.execPath, ['-e', 'for (;;) {}']],
  ['python', 'python3', ['-c', 'while True: pass']],
];
for (const [name, command, args] of loops) {
  test(`a ${name} program that loops forever ends with time-limit`, async (t) => {
    if (command === 'python3' && !python) return t.log('no /usr/bin/python3 here: skipped');
    const error = await runSubprocess({ command, args, timeoutMs: 300 }).catch((e: unknown) => e);
    expectSandboxError(t, error, 'time-limit');
  });
}

test('cpuSeconds stops a program that burns CPU, as time-limit', async (t) => {
  if (!isolation.rlimits) return t.log('no rlimits here: skipped');
  const error = await runSubprocess({ command: 'sh', args: ['-c', 'while :; do :; done'], timeoutMs: 30_000, cpuSeconds: 1 }).catch((e: unknown) => e);
  t.regex(expectSandboxError(t, error, 'time-limit').message, /CPU-time limit of 1 s/);
});

// ---- environment, files, input, exit ------------------------------------------------------------

test('the program sees only the default environment, none of this process (no API key)', async (t) => {
  process.env.OPENAI_API_KEY = 'sk-test-secret';
  t.teardown(() => delete process.env.OPENAI_API_KEY);
  const result = await runSubprocess({ command: 'env', timeoutMs: 10_000 });
  const names = result.stdout.trim().split('\n').map((line) => line.split('=')[0]).sort();
  t.deepEqual(names, ['HOME', 'LANG', 'PATH']);
  t.false(result.stdout.includes('sk-test-secret'));
  t.regex(result.stdout, /^PATH=\/usr\/bin:\/bin$/m);
  t.regex(result.stdout, /^LANG=C\.UTF-8$/m);
});

test('a given environment is the whole environment (HOME added), also for a node program', async (t) => {
  process.env.OPENAI_API_KEY = 'sk-test-secret';
  t.teardown(() => delete process.env.OPENAI_API_KEY);
  const result = await runSubprocess({
    command: process.execPath,
    args: ['-e', 'console.log(JSON.stringify(process.env))'],
    env: { PATH: '/usr/bin:/bin', ONLY: 'this' },
    timeoutMs: 10_000,
  });
  const env = JSON.parse(result.stdout) as Record<string, string>;
  t.deepEqual(Object.keys(env).sort(), ['HOME', 'ONLY', 'PATH']);
  t.is(env.ONLY, 'this');
});

test('files are written into the working directory and stdin is passed', async (t) => {
  const result = await runSubprocess({
    command: 'sh',
    args: ['-c', 'cat a.txt sub/dir/b.txt -; pwd; echo "$HOME"'],
    files: { 'a.txt': 'first\n', 'sub/dir/b.txt': 'second\n' },
    stdin: 'from stdin\n',
    timeoutMs: 10_000,
  });
  const [a, b, input, cwd, home] = result.stdout.trim().split('\n');
  t.deepEqual([a, b, input], ['first', 'second', 'from stdin']);
  t.is(home, cwd);
  t.true(cwd!.startsWith(tmpdir()));
  t.false(existsSync(cwd!), 'the working directory is removed afterwards');
  t.is(result.exitCode, 0);
  t.is(result.signal, null);
  t.true(result.wallMs >= 0);
});

test('a non-zero exit is returned with its output, not thrown', async (t) => {
  const result = await runSubprocess({ command: 'sh', args: ['-c', 'echo out; echo err >&2; exit 3'], timeoutMs: 10_000 });
  t.like(result, { exitCode: 3, signal: null, stdout: 'out\n', stderr: 'err\n' });
});

const signals: Array<[string, string, string[], string]> = [
  ['kill -TERM $$', 'sh', ['-c', 'kill -TERM $$'], 'SIGTERM'],
  ['kill -SEGV $$', 'sh', ['-c', 'kill -SEGV $$'], 'SIGSEGV'],
  ['os.abort()', 'python3', ['-c', 'import os; os.abort()'], 'SIGABRT'],
];
for (const [title, command, args, signal] of signals) {
  test(`a program that dies of ${title} is reported with ${signal}`, async (t) => {
    if (command === 'python3' && !python) return t.log('no /usr/bin/python3 here: skipped');
    const result = await runSubprocess({ command, args, timeoutMs: 10_000 });
    t.is(result.exitCode, null);
    t.is(result.signal, signal);
  });
}

test('wallMs counts the program, not the sandbox start-up', async (t) => {
  const result = await runSubprocess({ command: 'sleep', args: ['0.3'], timeoutMs: 10_000 });
  t.true(result.wallMs >= 250 && result.wallMs < 10_000, `wallMs ${result.wallMs}`);
});

const refusedNames: Array<[string, string]> = [
  ['../x', 'files: "../x" leaves the working directory or names no file'],
  ['a/../../x', 'files: "a/../../x" leaves the working directory or names no file'],
  ['/etc/x', 'files: "/etc/x" must be relative to the working directory'],
  ['', 'files: "" is not a file name'],
  ['a/..', 'files: "a/.." leaves the working directory or names no file'],
];
for (const [name, message] of refusedNames) {
  test(`a file named ${JSON.stringify(name)} is refused before anything runs`, async (t) => {
    const error = await t.throwsAsync(runSubprocess({ command: 'true', files: { [name]: 'x', 'ok.txt': 'fine' }, timeoutMs: 10_000 }));
    t.is(error?.message, `runSubprocess: ${message}`);
  });
}

test('bad options are refused all at once, with their values', async (t) => {
  const error = await t.throwsAsync(runSubprocess({ command: 'true', timeoutMs: 0, memoryMb: -1, maxProcesses: 1.5 }));
  t.is(error?.message, 'runSubprocess: timeoutMs must be a positive number (got 0); memoryMb must be a positive whole number (got -1); maxProcesses must be a positive whole number (got 1.5)');
});

test('a command missing from the sandbox PATH is an error naming that PATH', async (t) => {
  const error = await t.throwsAsync(runSubprocess({ command: 'no-such-program', timeoutMs: 10_000 }));
  t.is(error?.message, "runSubprocess: no-such-program is not on the sandbox's PATH (/usr/bin:/bin)");
});

// ---- output and memory ---------------------------------------------------------------------------

test('endless output (yes) is stopped as output-too-large without this process growing', async (t) => {
  const before = process.memoryUsage().rss;
  const error = await runSubprocess({ command: 'yes', timeoutMs: 30_000 }).catch((e: unknown) => e);
  const e = expectSandboxError(t, error, 'output-too-large');
  t.regex(e.message, /more than 1048576 bytes to stdout/);
  t.true(e.output.length < 40_000, `the artifact is capped (${e.output.length} characters)`);
  const grown = process.memoryUsage().rss - before;
  t.true(grown < 256 * 1024 * 1024, `rss grew by ${Math.round(grown / 1024 / 1024)} MiB`);
});

test('stderr has its own cap', async (t) => {
  const error = await runSubprocess({ command: 'sh', args: ['-c', 'yes >&2'], timeoutMs: 30_000, maxOutputBytes: 10_000 }).catch((e: unknown) => e);
  t.regex(expectSandboxError(t, error, 'output-too-large').message, /more than 10000 bytes to stderr/);
});

test('output of exactly maxOutputBytes is returned whole', async (t) => {
  const result = await runSubprocess({ command: 'sh', args: ['-c', "head -c 1000 /dev/zero | tr '\\0' a"], timeoutMs: 10_000, maxOutputBytes: 1000 });
  t.is(result.stdout, 'a'.repeat(1000));
});

test('a file past maxFileMb is stopped as output-too-large', async (t) => {
  if (!isolation.rlimits) return t.log('no rlimits here: skipped');
  const error = await runSubprocess({ command: 'sh', args: ['-c', 'exec head -c 5000000 /dev/zero > big'], timeoutMs: 10_000, maxFileMb: 1 }).catch((e: unknown) => e);
  t.regex(expectSandboxError(t, error, 'output-too-large').message, /file larger than 1 MiB/);
});

test('memoryMb makes a python program that allocates without bound fail instead of eating the machine', async (t) => {
  if (!isolation.rlimits || !python) return t.log('no rlimits or no python here: skipped');
  const result = await runSubprocess({ command: 'python3', args: ['-c', 'x = []\nwhile True: x.append(bytearray(10**7))'], timeoutMs: 30_000, memoryMb: 256 });
  t.true(result.exitCode !== 0 || result.signal !== null);
  t.regex(result.stderr, /MemoryError/);
});

test('memoryMb makes a node program that allocates without bound fail', async (t) => {
  if (!isolation.rlimits) return t.log('no rlimits here: skipped');
  const result = await runSubprocess({ command: process.execPath, args: ['-e', 'const a = []; for (;;) a.push(Buffer.alloc(1 << 24, 1))'], timeoutMs: 30_000, memoryMb: 1536 });
  t.true(result.exitCode !== 0 || result.signal !== null);
  t.regex(result.stderr, /allocation failed|out of memory/i);
});

// ---- network and files outside ------------------------------------------------------------------

test('without network the program cannot reach a listener on this machine; with it, it can', async (t) => {
  const server = createServer((socket) => socket.end());
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  t.teardown(() => server.close());
  const port = (server.address() as AddressInfo).port;
  const connect = `const s = require('net').connect(${port}, '127.0.0.1'); s.on('connect', () => { console.log('connected'); process.exit(0); }); s.on('error', (e) => { console.log(e.code); process.exit(1); });`;
  const open = await runSubprocess({ command: process.execPath, args: ['-e', connect], timeoutMs: 10_000, network: true });
  t.is(open.stdout.trim(), 'connected', 'the listener is reachable with network: true');
  const closed = await runSubprocess({ command: process.execPath, args: ['-e', connect], timeoutMs: 10_000 });
  if (!isolation.netNamespace) return t.log('no network namespace on this machine: network: false is not enforced here');
  t.not(closed.stdout.trim(), 'connected');
  t.regex(closed.stdout, /ENETUNREACH|ECONNREFUSED/);
});

test("a root-only file is unreadable by the candidate, which runs as another user", async (t) => {
  if (isolation.dropToUser === null) return t.log('the sandbox does not switch users here (not root): skipped');
  const dir = await mkdtemp(join(tmpdir(), 'subprocess-secret-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await chmod(dir, 0o755);
  await writeFile(join(dir, 'secret.txt'), 'the secret\n', { mode: 0o600 });
  await writeFile(join(dir, 'public.txt'), 'public\n', { mode: 0o644 });
  const result = await runSubprocess({ command: 'sh', args: ['-c', `id -u; cat ${dir}/public.txt; cat ${dir}/secret.txt`], timeoutMs: 10_000, readPaths: [dir] });
  const [uid, ...rest] = result.stdout.trim().split('\n');
  t.not(Number(uid), 0);
  t.deepEqual(rest, ['public']);
  t.regex(result.stderr, /Permission denied/);
  t.not(result.exitCode, 0);
});

// ---- worker threads ------------------------------------------------------------------------------

test('runSubprocess works from a worker thread, time limit included', async (t) => {
  const ok = runInWorker({ command: 'sh', args: ['-c', 'echo from the worker'], timeoutMs: 10_000 });
  const looping = runInWorker({ command: 'sh', args: ['-c', 'while :; do :; done'], timeoutMs: 300 });
  const [fine, stopped] = await Promise.all([ok.reply, looping.reply]);
  await Promise.all([ok.worker.terminate(), looping.worker.terminate()]);
  t.is(fine.result?.stdout, 'from the worker\n');
  t.like(stopped.error, { name: 'SandboxError', reason: 'time-limit' });
});

test('a worker terminated mid-run (as the pool does on timeout) leaves no process and no working directory', async (t) => {
  if (!isolation.pidNamespace) return t.log('no PID namespace: the sandbox cannot outlive its thread here, so nothing stops the program');
  const dir = await noteDir(t);
  const { worker } = runInWorker({ command: 'sh', args: ['-c', `sleep 1000 & ${leaveNotes(dir)}; while :; do :; done`], timeoutMs: 60_000, writePaths: [dir] });
  let ns: string | null = null;
  for (let waited = 0; ns === null && waited < 20_000; waited += 20) {
    ns = await note(dir, 'ns');
    await delay(20);
  }
  const cwd = await note(dir, 'cwd');
  t.truthy(ns);
  const running = processesIn(ns!, ownerOf(join(dir, 'ns')));
  t.true(running.size >= 2, `the shell and its sleep were running (saw ${running.size})`);
  await worker.terminate();
  let left = survivors(running);
  for (let waited = 0; (left.length > 0 || existsSync(cwd!)) && waited < 10_000; waited += 50) {
    await delay(50);
    left = survivors(running);
  }
  t.deepEqual(left, []);
  t.false(existsSync(cwd!));
});
