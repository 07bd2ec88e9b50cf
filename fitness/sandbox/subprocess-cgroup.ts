// A cgroup of its own for each sandboxed tree (cgroup v2, else the v1 memory and pids hierarchies): memory and process limits for the whole tree.
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { readFile, rmdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { threadId } from 'node:worker_threads';

/** Where this process may make sandbox cgroups: the directory under which each is made, per hierarchy. */
export interface CgroupPlace {
  kind: 'cgroup-v2' | 'cgroup-v1';
  /** v2: the one parent directory (memory and pids enabled for its children); v1: the memory hierarchy's. */
  memory: string;
  /** v2: the same as `memory`; v1: the pids hierarchy's parent directory. */
  pids: string;
}

/** Limits for a whole sandboxed tree. */
export interface TreeLimits {
  /** Resident memory of every process of the tree together, tmpfs files included; null: no limit. */
  memoryBytes: number | null;
  /** Processes and threads of the tree at once. */
  processes: number;
}

/** A sandbox's cgroup: the candidate's launcher writes its pid into each of `procs` before it execs anything. */
export interface SandboxCgroup {
  /** The directories made, one per hierarchy. */
  dirs: string[];
  /** The cgroup.procs file of each. */
  procs: string[];
}

let made = 0;

/**
 * Finds where sandbox cgroups can be made: the cgroup this process is in, in the v2 hierarchy when it
 * offers memory and pids to children (enabling them if needed), else in the v1 memory and pids
 * hierarchies. Returns a note instead when neither is mounted and writable.
 */
export function findCgroupPlace(): CgroupPlace | string {
  let mounts: Array<{ root: string; point: string; type: string; options: string[] }>;
  let own: Array<{ controllers: string[]; path: string }>;
  try {
    mounts = readFileSync('/proc/self/mountinfo', 'utf8').trim().split('\n').map((line) => {
      const [before, after = ''] = line.split(' - ');
      const fields = before!.split(' ');
      const [type = '', , superOptions = ''] = after.split(' ');
      return { root: unescape(fields[3]!), point: unescape(fields[4]!), type, options: superOptions.split(',') };
    });
    own = readFileSync('/proc/self/cgroup', 'utf8').trim().split('\n').map((line) => {
      const [, controllers = '', ...path] = line.split(':');
      return { controllers: controllers === '' ? [] : controllers.split(','), path: path.join(':') };
    });
  } catch (error) {
    return `cannot read this process's cgroups (${String(error)})`;
  }
  const dirIn = (mount: { root: string; point: string }, path: string): string | null => {
    if (mount.root === '/') return join(mount.point, path);
    return path === mount.root || path.startsWith(`${mount.root}/`) ? join(mount.point, path.slice(mount.root.length)) : null;
  };
  const v2 = mounts.find((m) => m.type === 'cgroup2');
  const v2Path = own.find((c) => c.controllers.length === 0 && c.path !== '')?.path;
  if (v2 !== undefined && v2Path !== undefined) {
    const dir = dirIn(v2, v2Path);
    const available = dir === null ? [] : words(join(v2.point, 'cgroup.controllers'));
    if (dir !== null && available.includes('memory') && available.includes('pids')) {
      const gives = (d: string) => ['memory', 'pids'].every((c) => words(join(d, 'cgroup.subtree_control')).includes(c));
      // Our own cgroup, else the nearest ancestor that already gives both to its children (a
      // systemd slice, say: a cgroup holding processes cannot give controllers to children).
      for (let d = dir; d.startsWith(v2.point); d = dirname(d)) {
        if (gives(d)) return { kind: 'cgroup-v2', memory: d, pids: d };
        if (d === v2.point) break;
      }
      try {
        writeFileSync(join(dir, 'cgroup.subtree_control'), '+memory +pids');
        return { kind: 'cgroup-v2', memory: dir, pids: dir };
      } catch (error) {
        return `cgroup v2 cannot give memory and pids to a child of ${dir} (${(error as NodeJS.ErrnoException).code ?? String(error)}; it holds processes, or is not delegated)`;
      }
    }
  }
  const v1 = (controller: string): string | null => {
    const mount = mounts.find((m) => m.type === 'cgroup' && m.options.includes(controller));
    const path = own.find((c) => c.controllers.includes(controller))?.path;
    return mount === undefined || path === undefined ? null : dirIn(mount, path);
  };
  const memory = v1('memory');
  const pids = v1('pids');
  if (memory !== null && pids !== null) return { kind: 'cgroup-v1', memory, pids };
  return 'neither cgroup v2 with the memory and pids controllers nor the v1 memory and pids hierarchies are available';
}

/**
 * Makes a cgroup for one sandbox under `place` with `limits`, named after this process and thread so
 * that concurrent sandboxes never share one. Throws (having removed what it made) when it cannot.
 */
export function makeCgroup(place: CgroupPlace, limits: TreeLimits): SandboxCgroup {
  const name = `ouroboros-sandbox-${process.pid}-${threadId}-${++made}`;
  const dirs = place.kind === 'cgroup-v2' ? [join(place.memory, name)] : [join(place.memory, name), join(place.pids, name)];
  const cgroup = { dirs, procs: dirs.map((dir) => join(dir, 'cgroup.procs')) };
  try {
    for (const dir of dirs) mkdirSync(dir);
    const [memoryDir, pidsDir = memoryDir] = dirs as [string, string?];
    const bytes = limits.memoryBytes === null ? null : String(limits.memoryBytes);
    if (place.kind === 'cgroup-v2') {
      writeFileSync(join(memoryDir, 'memory.max'), bytes ?? 'max');
      writeOptional(join(memoryDir, 'memory.swap.max'), '0');
    } else if (bytes !== null) {
      writeFileSync(join(memoryDir, 'memory.limit_in_bytes'), bytes);
      // Memory plus swap no larger than memory: no swap at all (absent when swap accounting is off).
      writeOptional(join(memoryDir, 'memory.memsw.limit_in_bytes'), bytes);
    }
    writeFileSync(join(pidsDir!, 'pids.max'), String(limits.processes));
    return cgroup;
  } catch (error) {
    for (const dir of [...dirs].reverse()) {
      try { rmdirSync(dir); } catch { /* not made */ }
    }
    throw error;
  }
}

/** How many processes of the tree the kernel killed for going over the memory limit. */
export async function oomKills(place: CgroupPlace, cgroup: SandboxCgroup): Promise<number> {
  const file = place.kind === 'cgroup-v2' ? 'memory.events' : 'memory.oom_control';
  const text = await readFile(join(cgroup.dirs[0]!, file), 'utf8').catch(() => '');
  return Number(/^oom_kill (\d+)$/m.exec(text)?.[1] ?? 0);
}

/**
 * Removes the cgroup once it is empty. Its processes are gone by the time the sandbox calls this (the
 * PID namespace is), but the kernel may take a moment to notice; any still listed are killed.
 */
export async function removeCgroup(cgroup: SandboxCgroup): Promise<void> {
  for (const dir of cgroup.dirs) {
    for (let attempt = 0; ; attempt++) {
      try {
        await rmdir(dir);
        break;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') break;
        if (code !== 'EBUSY' || attempt >= 100) throw error;
        if (attempt >= 10) for (const pid of words(join(dir, 'cgroup.procs'))) kill(Number(pid));
        await new Promise((done) => setTimeout(done, 20));
      }
    }
  }
}

/**
 * Tries the whole mechanism once: makes a cgroup, moves a shell into it through an inherited file
 * descriptor (as the sandbox's launcher does), and removes it. Returns null when all of that works,
 * else what failed.
 */
export function tryCgroup(place: CgroupPlace, sh: string): string | null {
  let cgroup: SandboxCgroup;
  try {
    cgroup = makeCgroup(place, { memoryBytes: 64 * 1024 * 1024, processes: 8 });
  } catch (error) {
    return `cannot make a cgroup under ${place.memory} (${(error as NodeJS.ErrnoException).code ?? String(error)})`;
  }
  const fds: number[] = [];
  try {
    for (const procs of cgroup.procs) fds.push(openSync(procs, 'w'));
    const script = `${fds.map((_, k) => `echo "$$" >&${k + 3} || exit 1`).join('; ')}; grep -q ouroboros-sandbox- /proc/self/cgroup`;
    const run = spawnSync(sh, ['-c', script], { stdio: ['ignore', 'ignore', 'pipe', ...fds], env: {}, timeout: 10_000 });
    if (run.status !== 0) return `cannot move a process into a cgroup under ${place.memory}: ${String(run.stderr).trim() || `exit ${run.status}`}`;
    return null;
  } catch (error) {
    return `cannot use a cgroup under ${place.memory} (${String(error)})`;
  } finally {
    for (const fd of fds) closeSync(fd);
    for (const dir of [...cgroup.dirs].reverse()) {
      try { rmdirSync(dir); } catch { /* an exited shell may linger a moment; the name is unique anyway */ }
    }
  }
}

function writeOptional(path: string, value: string): void {
  try {
    writeFileSync(path, value);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

function words(path: string): string[] {
  try {
    return readFileSync(path, 'utf8').split(/\s+/).filter(Boolean);
  } catch {
    return [];
  }
}

function kill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone
  }
}

/** mountinfo escapes space, tab, newline and backslash as octal. */
function unescape(text: string): string {
  return text.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}
