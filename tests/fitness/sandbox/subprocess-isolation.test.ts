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
import { findCgroupPlace, type CgroupFs } from '../../../fitness/sandbox/subprocess-cgroup.js';
import { NOBODY, SANDBOX_UID_BASE, cgroupEscape, sandboxPlan } from '../../../fitness/sandbox/subprocess-isolation.js';
import { FakeCgroupV2 } from '../../helpers/cgroup-fs.js';
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

test('cgroup v2: the trees’ cgroups are made inside this process’s own cgroup (into a leaf of it when alone there), never beside it', (t) => {
  const v2 = (dir: string) => ({ kind: 'cgroup-v2', memory: `/sys/fs/cgroup${dir}`, pids: `/sys/fs/cgroup${dir}` });
  t.deepEqual(findCgroupPlace(new FakeCgroupV2({ '': { procs: [1, 7], gives: true } }, 7), 7), v2(''), 'the root of a cgroup namespace');
  // A service alone in its cgroup, whose slice gives memory and pids: it moves into a leaf and enables them on its own cgroup.
  const alone = new FakeCgroupV2({ '': { gives: true }, '/system.slice': { gives: true }, '/system.slice/foo.service': { procs: [7] } }, 7);
  t.deepEqual(findCgroupPlace(alone, 7), v2('/system.slice/foo.service'));
  t.is(alone.of(7), '/system.slice/foo.service/ouroboros-main');
  t.deepEqual(findCgroupPlace(alone, 7), v2('/system.slice/foo.service'), 'a second thread finds the same place');
  t.is(alone.of(7), '/system.slice/foo.service/ouroboros-main');
  // With another process there, the slice alone could hold the trees: outside the run's limits, so refused, and nothing moved.
  const shared = new FakeCgroupV2({ '': { gives: true }, '/system.slice': { gives: true }, '/system.slice/foo.service': { procs: [7, 8] } }, 7);
  t.regex(String(findCgroupPlace(shared, 7)), /foo\.service \(EBUSY: it holds other processes \(1\); its ancestor \/sys\/fs\/cgroup\/system\.slice does, but a cgroup there would be outside the run's own/);
  t.deepEqual([shared.of(7), shared.paths()], ['/system.slice/foo.service', ['', '/system.slice', '/system.slice/foo.service']]);
});

test('cgroup v1: the trees’ cgroups are made in this process’s own memory and pids cgroups, unless memory.use_hierarchy is 0', (t) => {
  const v1 = (hierarchy: string): CgroupFs => {
    const files: Record<string, string> = {
      '/proc/self/mountinfo': '34 30 0:31 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n38 30 0:35 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids\n40 30 0:37 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n',
      '/proc/self/cgroup': '8:pids:/\n4:memory:/process_api/a\n0::/\n',
      '/sys/fs/cgroup/unified/cgroup.controllers': 'hugetlb\n',
      '/sys/fs/cgroup/memory/process_api/a/memory.use_hierarchy': hierarchy,
    };
    const no = (): never => { throw Object.assign(new Error('EACCES'), { code: 'EACCES' }); };
    return { read: (path) => files[path] ?? no(), write: no, mkdir: no, rmdir: no };
  };
  t.deepEqual(findCgroupPlace(v1('1\n'), 7), { kind: 'cgroup-v1', memory: '/sys/fs/cgroup/memory/process_api/a', pids: '/sys/fs/cgroup/pids' });
  t.regex(String(findCgroupPlace(v1('0\n'), 7)), /memory\.use_hierarchy is 0 in \/sys\/fs\/cgroup\/memory\/process_api\/a/);
});

test('treeLimits only where the candidate cannot move itself out of its cgroup: a private root, and a uid owning none of the cgroups', (t) => {
  const own: [number, number] = [SANDBOX_UID_BASE, SANDBOX_UID_BASE + 2 ** 22 - 1];
  t.is(cgroupEscape({ privateMounts: true, candidateUids: own, cgroupOwners: [0, 0] }), null);
  t.is(cgroupEscape({ privateMounts: true, candidateUids: [NOBODY, NOBODY], cgroupOwners: [0] }), null);
  // Without root (a user namespace): the current user owns the delegated cgroups and sees /sys/fs/cgroup.
  t.regex(String(cgroupEscape({ privateMounts: false, candidateUids: [1000, 1000], cgroupOwners: [1000] })), /sees the host's \/sys\/fs\/cgroup/);
  t.regex(String(cgroupEscape({ privateMounts: false, candidateUids: own, cgroupOwners: [0] })), /sees the host's \/sys\/fs\/cgroup/);
  // A private root is not enough for a candidate owning the cgroups: /proc/1/root leads back to the host's.
  t.regex(String(cgroupEscape({ privateMounts: true, candidateUids: [0, 0], cgroupOwners: [0] })), /runs as uid 0, which owns the cgroups/);
  t.regex(String(cgroupEscape({ privateMounts: true, candidateUids: own, cgroupOwners: [0, SANDBOX_UID_BASE + 5] })), /owns the cgroups/);
  if (isolation.treeLimits !== null) t.true(isolation.privateMounts && isolation.dropToUser !== null, 'as reported here');
});

test('the tree’s cgroup is inside this process’s own cgroup in each hierarchy, and the candidate cannot move itself out of it', async (t) => {
  const place = sandboxPlan().cgroup;
  if (isolation.treeLimits === null || place === null) return cannot(t, 'a cgroup for the tree (treeLimits)');
  const paths = (text: string) => new Map(text.trim().split('\n').map((line) => [line.split(':')[1]!, line.split(':').slice(2).join(':')]));
  const mine = paths(readFileSync('/proc/self/cgroup', 'utf8'));
  // What a candidate would write its pid into to leave: the cgroup.procs of its cgroup's parent and of each hierarchy's root.
  const points = readFileSync('/proc/self/mountinfo', 'utf8').trim().split('\n').filter((line) => / - cgroup2? /.test(line)).map((line) => line.split(' ')[4]!);
  const targets = [...new Set([place.memory, place.pids, ...points])].map((dir) => join(dir, 'cgroup.procs'));
  for (const file of targets) t.true(existsSync(file), `${file} is there on the host`);
  const script = [
    'for f in "$@"; do for p in "$f" "/proc/1/root$f"; do (echo $$ > "$p") 2>/dev/null && echo "moved through $p"; done; done',
    'ls /sys/fs/cgroup > /dev/null 2>&1 && echo "sees /sys/fs/cgroup"',
    'for t in cgroup cgroup2; do mkdir -p /tmp/$t && mount -t $t -o "$([ $t = cgroup ] && echo memory,pids)" none /tmp/$t 2>/dev/null && echo "mounted $t"; done',
    'cat /proc/self/cgroup',
  ].join('\n');
  const result = await runSubprocess({ command: 'sh', args: ['-c', script, 'sh', ...targets], timeoutMs: 20_000 });
  const lines = result.stdout.trim().split('\n');
  t.deepEqual(lines.filter((line) => !/^\d+:/.test(line)), [], result.stderr);
  const theirs = [...paths(lines.filter((line) => line.includes('ouroboros-sandbox-')).join('\n'))];
  t.is(theirs.length, isolation.treeLimits === 'cgroup-v1' ? 2 : 1, result.stdout);
  for (const [controllers, path] of theirs) {
    const run = mine.get(controllers)!.replace(/\/ouroboros-main$/, '').replace(/^\/$/, '');
    t.true(path.startsWith(`${run}/ouroboros-sandbox-`), `${controllers}: ${path} is in this process's ${mine.get(controllers)}`);
  }
});
