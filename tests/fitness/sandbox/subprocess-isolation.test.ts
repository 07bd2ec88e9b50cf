// What a subprocess candidate can reach of the host beyond its working directory and its grants: each property sandboxIsolation() reports, provoked for real.
import test, { type ExecutionContext } from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, closeSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { runSubprocess, sandboxIsolation } from '../../../fitness/sandbox/subprocess.js';
import { isSandboxError, type SandboxError } from '../../../fitness/sandbox/sandbox-error.js';

const isolation = sandboxIsolation();
const python = existsSync('/usr/bin/python3');
const root = process.getuid?.() === 0;
const modulePath = fileURLToPath(new URL('../../../fitness/sandbox/subprocess.ts', import.meta.url));
const fdFixture = fileURLToPath(new URL('../../fixtures/subprocess/inherited-fd.mjs', import.meta.url));
const workerFixture = fileURLToPath(new URL('../../fixtures/subprocess/run-in-worker.mjs', import.meta.url));

/** Says loudly that this machine cannot enforce what the test is about, and why (sandboxIsolation's notes). */
function cannot(t: ExecutionContext, what: string): void {
  t.log(`SKIPPED: this machine cannot enforce ${what}: ${isolation.notes.join(' | ')}`);
  t.pass();
}

/** A fresh directory every uid may write to, removed after the test. */
function openDir(t: ExecutionContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'subprocess-isolation-test-'));
  chmodSync(dir, 0o777);
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function expectSandboxError(t: ExecutionContext, error: unknown, reason: string): SandboxError {
  t.true(isSandboxError(error), `expected a SandboxError, got ${error instanceof Error ? String(error) : JSON.stringify(error).slice(0, 600)}`);
  const e = error as SandboxError;
  t.is(e.reason, reason, e.message);
  return e;
}

/** The host directories of the cgroups listed in a /proc/<pid>/cgroup text, for those made by the sandbox. */
function sandboxCgroupDirs(text: string): string[] {
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').trim().split('\n').map((line) => {
    const fields = line.split(' ');
    const [type = '', , options = ''] = line.split(' - ')[1]!.split(' ');
    return { point: fields[4]!, type, options: options.split(',') };
  });
  return text.trim().split('\n').filter((line) => line.includes('ouroboros-sandbox-')).map((line) => {
    const [, controllers = '', path = ''] = line.split(':');
    const mount = controllers === ''
      ? mounts.find((m) => m.type === 'cgroup2')
      : mounts.find((m) => m.type === 'cgroup' && controllers.split(',').every((c) => m.options.includes(c)));
    return join(mount!.point, path);
  });
}

test.before((t) => {
  t.log('isolation on this machine:', JSON.stringify(isolation));
});

test('bad grants, tmpMb and variable names are refused all at once', async (t) => {
  const error = await t.throwsAsync(runSubprocess({
    command: 'true', timeoutMs: 10_000, tmpMb: 0, env: { 'A=B': 'x', PATH: '/usr/bin' },
    readPaths: ['relative/dir', '/no/such/dir-for-ouroboros'], writePaths: ['/', '/etc/hostname'],
  }));
  t.is(error?.message, [
    'runSubprocess: tmpMb must be a positive whole number (got 0)',
    'env: "A=B" is not a variable name',
    'readPaths[0]: must be an absolute path other than / (got "relative/dir")',
    'readPaths[1]: /no/such/dir-for-ouroboros is not a directory',
    'writePaths[0]: must be an absolute path other than / (got "/")',
    'writePaths[1]: /etc/hostname is not a directory',
  ].join('; '));
});

test("the program's stdout and stderr stay blocking while it runs (a full pipe waits rather than failing)", async (t) => {
  // The sandbox's own processes share these open files: a stream one of them made on them would set O_NONBLOCK under the program.
  const result = await runSubprocess({ command: 'sh', args: ['-c', 'sleep 2; grep -h flags /proc/self/fdinfo/1 /proc/self/fdinfo/2'], timeoutMs: 60_000 });
  const flags = result.stdout.trim().split('\n').map((line) => parseInt(line.split(/\s+/)[1]!, 8));
  t.is(flags.length, 2);
  for (const f of flags) t.is(f & 0o4000, 0, `O_NONBLOCK is set: ${result.stdout}`);
});

// ---- unix sockets ---------------------------------------------------------------------------------

async function listen(t: ExecutionContext, address: string, counter: { connections: number }): Promise<Server> {
  const server = createServer((socket) => {
    counter.connections++;
    socket.end('hello from the host\n');
  });
  await new Promise<void>((done) => server.listen(address, done));
  if (!address.startsWith('\0')) chmodSync(address, 0o777);
  t.teardown(() => new Promise<void>((done) => server.close(() => done())));
  return server;
}

/** A node candidate that connects to each address, reads what it is told, and prints the outcome per address. */
const connectAll = (addresses: string[]) => `
const net = require('net');
const out = {};
let left = ${addresses.length};
for (const a of ${JSON.stringify(addresses)}) {
  const s = net.connect(a);
  let got = '';
  s.on('data', (d) => { got += d; });
  s.on('end', () => { out[a] = 'connected: ' + got.trim(); if (--left === 0) console.log(JSON.stringify(out)); });
  s.on('error', (e) => { out[a] = e.code; if (--left === 0) console.log(JSON.stringify(out)); });
}`;

test('unix sockets of the host are unreachable: bound to a path in /tmp or /dev/shm, or abstract', async (t) => {
  if (!isolation.privateMounts || !isolation.netNamespace) return cannot(t, 'hiding the host unix sockets (privateMounts and netNamespace)');
  const dir = openDir(t);
  const tag = randomBytes(6).toString('hex');
  const inTmp = join(dir, 'host.sock');
  const inShm = `/dev/shm/ouroboros-test-${tag}.sock`;
  const abstract = `\0ouroboros-test-${tag}`;
  t.teardown(() => rmSync(inShm, { force: true }));
  const counter = { connections: 0 };
  for (const address of [inTmp, inShm, abstract]) await listen(t, address, counter);
  const script = connectAll([inTmp, inShm, abstract]);

  const closed = await runSubprocess({ command: process.execPath, args: ['-e', script], timeoutMs: 60_000 });
  const outcome = JSON.parse(closed.stdout) as Record<string, string>;
  t.is(outcome[inTmp], 'ENOENT', 'a socket in the host /tmp is not there');
  t.is(outcome[inShm], 'ENOENT', 'a socket in the host /dev/shm is not there');
  t.is(outcome[abstract], 'ECONNREFUSED', 'an abstract socket of the host netns is not there');
  t.is(counter.connections, 0);

  // The same candidate does reach them when they are granted (read-only does not stop a connect) and the network shared.
  const open = await runSubprocess({ command: process.execPath, args: ['-e', script], timeoutMs: 60_000, readPaths: [dir, '/dev/shm'], network: true });
  const reached = JSON.parse(open.stdout) as Record<string, string>;
  for (const address of [inTmp, inShm, abstract]) t.is(reached[address], 'connected: hello from the host', JSON.stringify(address));
  t.is(counter.connections, 3);
});

// ---- files that outlive the run, and the rest of the host -----------------------------------------

test('what the program writes in /tmp, /var/tmp and /dev/shm, and System V shared memory it makes, do not outlive it', async (t) => {
  if (!isolation.privateMounts) return cannot(t, 'a private /tmp and /dev/shm (privateMounts)');
  const tag = `ouroboros-test-${randomBytes(6).toString('hex')}`;
  const size = 40_000 + Math.floor(Math.random() * 10_000);
  t.teardown(() => { for (const d of ['/tmp', '/var/tmp', '/dev/shm']) rmSync(join(d, tag), { force: true }); });
  const script = [
    `for d in /tmp /var/tmp /dev/shm; do echo x > "$d/${tag}" && echo "wrote $d"; done`,
    `ipcmk -M ${size} >/dev/null && echo "made shm"`,
    `echo x > "../${tag}" 2>/dev/null && echo "wrote the parent"`,
    'exit 0',
  ].join('\n');
  const result = await runSubprocess({ command: 'sh', args: ['-c', script], timeoutMs: 60_000 });
  t.deepEqual(result.stdout.trim().split('\n'), ['wrote /tmp', 'wrote /var/tmp', 'wrote /dev/shm', 'made shm'], result.stderr);
  for (const d of ['/tmp', '/var/tmp', '/dev/shm']) t.false(existsSync(join(d, tag)), `${d}/${tag} outlived the run`);
  if (!isolation.ipcNamespace) return cannot(t, 'a private System V IPC namespace (ipcNamespace)');
  const segments = readFileSync('/proc/sysvipc/shm', 'utf8').trim().split('\n').slice(1).map((line) => Number(line.trim().split(/\s+/)[3]));
  t.false(segments.includes(size), 'the shared memory segment outlived the run');
});

test('the private /tmp and /dev/shm hold at most tmpMb each', async (t) => {
  if (!isolation.privateMounts) return cannot(t, 'a private /tmp and /dev/shm (privateMounts)');
  const script = 'for d in /tmp /dev/shm; do head -c 3000000 /dev/zero > $d/big; echo "$d $?"; done';
  const small = await runSubprocess({ command: 'sh', args: ['-c', script], timeoutMs: 60_000, tmpMb: 2 });
  t.is(small.stdout, '/tmp 1\n/dev/shm 1\n');
  t.regex(small.stderr, /No space left on device[^]*No space left on device/);
  const roomy = await runSubprocess({ command: 'sh', args: ['-c', script], timeoutMs: 60_000, tmpMb: 8 });
  t.is(roomy.stdout, '/tmp 0\n/dev/shm 0\n');
});

test('the rest of the host is absent or read-only, and the grants are as declared', async (t) => {
  if (!isolation.privateMounts) return cannot(t, 'a private root (privateMounts)');
  const readable = openDir(t);
  const writable = openDir(t);
  const other = openDir(t);
  writeFileSync(join(readable, 'given.txt'), 'given\n');
  const hidden = ['/root', '/home', '/run', '/var/run', '/var/lib', '/srv', '/mnt', '/opt', process.cwd(), other].filter((p) => existsSync(p));
  const script = [
    ...hidden.map((p) => `test -e '${p}' && echo "present ${p}"`),
    `cat '${readable}/given.txt'`,
    `echo x > '${readable}/x' || echo "read-only grant"`,
    `echo x > '${writable}/x' && echo "wrote the writable grant"`,
    "echo x > /usr/x || echo 'read-only /usr'",
    "echo x > /etc/x || echo 'read-only /etc'",
    'exit 0',
  ].join('\n');
  const result = await runSubprocess({ command: 'sh', args: ['-c', script], timeoutMs: 60_000, readPaths: [readable], writePaths: [writable] });
  t.deepEqual(result.stdout.trim().split('\n'), ['given', 'read-only grant', 'wrote the writable grant', 'read-only /usr', 'read-only /etc']);
  t.regex(result.stderr, /Read-only file system/);
  t.false(existsSync(join(readable, 'x')));
  t.is(readFileSync(join(writable, 'x'), 'utf8'), 'x\n');
});

test('a command outside the private root is refused with a hint, and runs once its folder is granted', async (t) => {
  if (!isolation.privateMounts) return cannot(t, 'a private root (privateMounts)');
  const dir = mkdtempSync(join(tmpdir(), 'subprocess-command-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  chmodSync(dir, 0o755);
  copyFileSync('/usr/bin/true', join(dir, 'my-true'));
  chmodSync(join(dir, 'my-true'), 0o755);
  const error = await t.throwsAsync(runSubprocess({ command: join(dir, 'my-true'), timeoutMs: 60_000 }));
  t.is(error?.message, `runSubprocess: ${join(dir, 'my-true')} is not inside the sandbox's private root; add its folder to readPaths`);
  const granted = await runSubprocess({ command: join(dir, 'my-true'), timeoutMs: 60_000, readPaths: [dir] });
  t.is(granted.exitCode, 0);
});

// ---- inherited descriptors and privileges ---------------------------------------------------------

const FD_PROBE = [
  'import json, os',
  'found = {}',
  'for fd in range(3, 1024):',
  '    try: os.fstat(fd)',
  '    except OSError: continue',
  '    try: found[fd] = os.pread(fd, 100, 0).decode(errors="replace")',
  '    except OSError as e: found[fd] = type(e).__name__',
  'print(json.dumps(found))',
].join('\n');

test('the candidate inherits no descriptor but 0–2, though the launching process holds one without close-on-exec', async (t) => {
  if (!isolation.closedFds) return cannot(t, 'closing inherited descriptors (closedFds)');
  if (!python) return cannot(t, 'this test without /usr/bin/python3');
  const dir = openDir(t);
  writeFileSync(join(dir, 'secret.txt'), 'inherited secret\n');
  const fd = openSync(join(dir, 'secret.txt'), 'r');
  t.teardown(() => closeSync(fd));
  // fd 25 of the launcher: passed as stdio, so without close-on-exec there.
  const stdio = ['ignore', 'pipe', 'pipe', ...Array<'ignore'>(22).fill('ignore'), fd];
  const launcher = spawn(process.execPath, ['--import', 'tsx', fdFixture, modulePath, FD_PROBE], { stdio });
  let out = '';
  let err = '';
  launcher.stdout!.on('data', (chunk: Buffer) => (out += chunk));
  launcher.stderr!.on('data', (chunk: Buffer) => (err += chunk));
  const code = await new Promise((done) => launcher.on('close', done));
  t.is(code, 0, err);
  const seen = JSON.parse(out) as { launcherHas: boolean; plain: Record<string, string>; sandboxed: Record<string, string> };
  t.true(seen.launcherHas, 'the launcher holds fd 25');
  t.is(seen.plain['25'], 'inherited secret\n', 'an ordinary child of the launcher reads the secret through it');
  t.deepEqual(seen.sandboxed, {}, 'the candidate holds no descriptor above 2');
});

test('a setuid-root binary runs with the candidate’s own ids (no_new_privs)', async (t) => {
  if (!isolation.noNewPrivs || isolation.dropToUser === null) return cannot(t, 'no_new_privs for a candidate of its own uid (noNewPrivs, dropToUser)');
  if (!root) return cannot(t, 'this test without root, which it needs to make a setuid-root binary');
  const dir = mkdtempSync(join(tmpdir(), 'subprocess-setuid-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  chmodSync(dir, 0o755);
  const helper = join(dir, 'id-setuid');
  copyFileSync('/usr/bin/id', helper);
  chmodSync(helper, 0o4755);
  // Outside the sandbox, the helper does raise a user's effective uid to root.
  const outside = spawnSync(helper, [], { uid: 65534, gid: 65534, encoding: 'utf8' });
  t.regex(outside.stdout, /euid=0\(root\)/);
  const inside = await runSubprocess({ command: helper, timeoutMs: 60_000, readPaths: [dir] });
  t.regex(inside.stdout, /^uid=(\d+)/);
  t.not(inside.stdout.match(/^uid=(\d+)/)![1], '0');
  t.notRegex(inside.stdout, /euid=/, 'the effective uid stayed the candidate’s');
});

// ---- memory and processes of the whole tree -------------------------------------------------------

/** Forks `n` children that each hold `mib` MiB at the same time, then reports how many got there. */
const HOLDERS = [
  'import os, sys',
  'n, size = int(sys.argv[1]), int(sys.argv[2]) << 20',
  'ready_r, ready_w = os.pipe()',
  'go_r, go_w = os.pipe()',
  'kids = []',
  'for _ in range(n):',
  '    pid = os.fork()',
  '    if pid == 0:',
  '        os.close(ready_r); os.close(go_w)',
  '        hoard = bytearray(b"\\x01") * size',
  '        os.write(ready_w, b"x"); os.close(ready_w)',
  '        os.read(go_r, 1)',
  '        os._exit(0)',
  '    kids.append(pid)',
  'os.close(ready_w); os.close(go_r)',
  'ready = 0',
  'while os.read(ready_r, 1): ready += 1',
  'os.close(go_w)',
  'for k in kids: os.waitpid(k, 0)',
  'print(f"{ready} of {n} held {size >> 20} MiB at once")',
].join('\n');

test('memoryMb bounds the whole tree: children each under it but together over it end in out-of-memory', async (t) => {
  if (isolation.treeLimits === null) return cannot(t, 'memory for the whole tree (treeLimits)');
  if (!python) return cannot(t, 'this test without /usr/bin/python3');
  // One child holding 60 MiB fits under memoryMb 128, address space and tree alike.
  const one = await runSubprocess({ command: 'python3', args: ['-c', HOLDERS, '1', '60'], timeoutMs: 60_000, memoryMb: 128 });
  t.is(one.stdout, '1 of 1 held 60 MiB at once\n', one.stderr);
  // Three at once are 180 MiB: past the tree's limit, though each process stays under its own.
  const three = await runSubprocess({ command: 'python3', args: ['-c', HOLDERS, '3', '60'], timeoutMs: 60_000, memoryMb: 128 }).catch((e: unknown) => e);
  t.regex(expectSandboxError(t, three, 'out-of-memory').message, /together went over memoryMb \(128 MiB for the whole tree\)/);
});

test('files in the private /dev/shm count towards memoryMb of the tree', async (t) => {
  if (isolation.treeLimits === null || !isolation.privateMounts) return cannot(t, 'memory for the whole tree with a private /dev/shm (treeLimits, privateMounts)');
  const error = await runSubprocess({ command: 'sh', args: ['-c', 'head -c 200000000 /dev/zero > /dev/shm/big; cat /dev/shm/big > /dev/null'], timeoutMs: 60_000, memoryMb: 64, tmpMb: 512 }).catch((e: unknown) => e);
  expectSandboxError(t, error, 'out-of-memory');
});

test('the tree’s cgroup is removed after a run stopped at its time limit, and after its worker thread is terminated', async (t) => {
  if (isolation.treeLimits === null) return cannot(t, 'a cgroup for the tree (treeLimits)');
  const dir = openDir(t);
  const note = (name: string) => `cat /proc/self/cgroup > ${dir}/${name}.part && mv ${dir}/${name}.part ${dir}/${name}`;
  const stopped = await runSubprocess({ command: 'sh', args: ['-c', `sleep 1000 & ${note('stopped')}; while :; do :; done`], timeoutMs: 1_000, writePaths: [dir] }).catch((e: unknown) => e);
  expectSandboxError(t, stopped, 'time-limit');
  const stoppedDirs = sandboxCgroupDirs(readFileSync(join(dir, 'stopped'), 'utf8'));
  t.is(stoppedDirs.length, isolation.treeLimits === 'cgroup-v1' ? 2 : 1, 'the candidate ran in the sandbox’s cgroup');
  for (const d of stoppedDirs) t.false(existsSync(d), `${d} is left`);

  const worker = new Worker(workerFixture, { workerData: { module: modulePath, options: { command: 'sh', args: ['-c', `sleep 1000 & ${note('abandoned')}; while :; do :; done`], timeoutMs: 60_000, writePaths: [dir] } } });
  while (!existsSync(join(dir, 'abandoned'))) await new Promise((done) => setTimeout(done, 20));
  const abandonedDirs = sandboxCgroupDirs(readFileSync(join(dir, 'abandoned'), 'utf8'));
  t.true(abandonedDirs.every((d) => existsSync(d)), 'the cgroup exists while the candidate runs');
  await worker.terminate();
  // The init removes it once the tree is dead: a generous deadline, since nothing else is waited for.
  for (let waited = 0; abandonedDirs.some((d) => existsSync(d)) && waited < 60_000; waited += 50) await new Promise((done) => setTimeout(done, 50));
  for (const d of abandonedDirs) t.false(existsSync(d), `${d} is left`);
});
