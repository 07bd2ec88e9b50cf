// A cgroup of its own for each sandboxed tree (cgroup v2, else the v1 memory and pids hierarchies): memory and process limits for the whole tree.
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { readFile, rmdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { threadId } from 'node:worker_threads';

/** Where this process may make sandbox cgroups: the directory under which each is made, per hierarchy. */
export interface CgroupPlace {
  kind: 'cgroup-v2' | 'cgroup-v1';
  /**
   * v2: the one parent directory (memory and pids enabled for its children); v1: the memory
   * hierarchy's. Always this process's own cgroup, never an ancestor: limits set on it bound the trees.
   */
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

/** The file operations findCgroupPlace uses: the real ones, or a test's model of a hierarchy. */
export interface CgroupFs {
  read(path: string): string;
  write(path: string, text: string): void;
  mkdir(path: string): void;
  rmdir(path: string): void;
}

const REAL_FS: CgroupFs = {
  read: (path) => readFileSync(path, 'utf8'),
  write: (path, text) => writeFileSync(path, text),
  mkdir: (path) => mkdirSync(path),
  rmdir: (path) => rmdirSync(path),
};

/** The leaf child of its own v2 cgroup this process moves into, when it is that cgroup's only process. */
export const MAIN_LEAF = 'ouroboros-main';

/**
 * Finds where sandbox cgroups can be made: always inside the cgroup this process is in, so that a
 * limit set on it (systemd's MemoryMax or TasksMax, a container's) bounds every candidate tree too.
 * cgroup v2, when it offers memory and pids: our cgroup must give both to its children. If it does
 * not and holds processes (no internal processes may sit beside enabled children) and this process
 * is the only one, it moves itself into the leaf child MAIN_LEAF and enables them; with other
 * processes there, it returns a note instead: a cgroup beside ours, under an ancestor, would escape
 * the run's limits, so none is used. Else the v1 memory and pids hierarchies, which have no such
 * rule (refused where memory.use_hierarchy is 0: a child would escape our cgroup's limit). Returns a
 * note instead when neither is mounted and writable.
 */
export function findCgroupPlace(fs: CgroupFs = REAL_FS, pid: number = process.pid): CgroupPlace | string {
  const list = (path: string) => wordsOf(path, fs);
  let mounts: Array<{ root: string; point: string; type: string; options: string[] }>;
  let own: Array<{ controllers: string[]; path: string }>;
  try {
    mounts = fs.read('/proc/self/mountinfo').trim().split('\n').map((line) => {
      const [before, after = ''] = line.split(' - ');
      const fields = before!.split(' ');
      const [type = '', , superOptions = ''] = after.split(' ');
      return { root: unescape(fields[3]!), point: unescape(fields[4]!), type, options: superOptions.split(',') };
    });
    own = fs.read('/proc/self/cgroup').trim().split('\n').map((line) => {
      const [, controllers = '', ...path] = line.split(':');
      return { controllers: controllers === '' ? [] : controllers.split(','), path: path.join(':') };
    });
  } catch (error) {
    return `cannot read this process's cgroups (${String(error)})`;
  }
  const dirIn = (mount: { root: string; point: string }, path: string): string | null => {
    const inside = mount.root === '/' ? path : path === mount.root || path.startsWith(`${mount.root}/`) ? path.slice(mount.root.length) : null;
    return inside === null ? null : join(mount.point, inside).replace(/(.)\/$/, '$1');
  };
  const v2 = mounts.find((m) => m.type === 'cgroup2');
  const v2Path = own.find((c) => c.controllers.length === 0 && c.path !== '')?.path;
  if (v2 !== undefined && v2Path !== undefined) {
    const dir = dirIn(v2, v2Path);
    const available = dir === null ? [] : list(join(v2.point, 'cgroup.controllers'));
    if (dir !== null && available.includes('memory') && available.includes('pids')) return v2Place(fs, list, v2.point, dir, pid);
  }
  const v1 = (controller: string): string | null => {
    const mount = mounts.find((m) => m.type === 'cgroup' && m.options.includes(controller));
    const path = own.find((c) => c.controllers.includes(controller))?.path;
    return mount === undefined || path === undefined ? null : dirIn(mount, path);
  };
  const memory = v1('memory');
  const pids = v1('pids');
  if (memory !== null && pids !== null) {
    if (list(join(memory, 'memory.use_hierarchy'))[0] === '0') {
      return `cgroup v1: memory.use_hierarchy is 0 in ${memory}, so a limit on this process's memory cgroup would not bound the trees' cgroups made in it; none is used`;
    }
    return { kind: 'cgroup-v1', memory, pids };
  }
  return 'neither cgroup v2 with the memory and pids controllers nor the v1 memory and pids hierarchies are available';
}

/** The v2 part of findCgroupPlace, `dir` being the cgroup this process is in. */
function v2Place(fs: CgroupFs, list: (path: string) => string[], point: string, dir: string, pid: number): CgroupPlace | string {
  // Already in MAIN_LEAF (moved by a call in another thread): the run's own cgroup is its parent.
  const inLeaf = basename(dir) === MAIN_LEAF && dir !== point;
  const run = inLeaf ? dirname(dir) : dir;
  const place: CgroupPlace = { kind: 'cgroup-v2', memory: run, pids: run };
  const enable = () => fs.write(join(run, 'cgroup.subtree_control'), '+memory +pids');
  const gives = (d: string) => ['memory', 'pids'].every((c) => list(join(d, 'cgroup.subtree_control')).includes(c));
  if (gives(run)) return place;
  let code: string;
  try {
    enable();
    return place;
  } catch (error) {
    code = (error as NodeJS.ErrnoException).code ?? String(error);
  }
  const cannot = `cgroup v2 cannot give memory and pids to children of this process's cgroup ${run} (${code}`;
  if (code !== 'EBUSY') return `${cannot}: it is not delegated to this process)`;
  const others = list(join(run, 'cgroup.procs')).filter((p) => p !== String(pid));
  if (others.length === 0 && !inLeaf) {
    // Alone in it: into a leaf child (still under every limit set on our cgroup), then enable them.
    const leaf = join(run, MAIN_LEAF);
    try {
      try { fs.mkdir(leaf); } catch (error) { if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error; }
      fs.write(join(leaf, 'cgroup.procs'), String(pid));
      enable();
      return place;
    } catch (error) {
      try { fs.write(join(run, 'cgroup.procs'), String(pid)); fs.rmdir(leaf); } catch { /* left as it is: still inside our cgroup */ }
      return `${cannot}, and moving this process, its only one, into ${MAIN_LEAF} to allow it failed: ${(error as NodeJS.ErrnoException).code ?? String(error)})`;
    }
  }
  let ancestor = '';
  for (let d = run; d.startsWith(`${point}/`);) {
    d = dirname(d);
    if (gives(d)) {
      ancestor = `; its ancestor ${d} does, but a cgroup there would be outside the run's own, unbounded by limits set on it, so it is not used`;
      break;
    }
  }
  return `${cannot}: it holds other processes${inLeaf ? '' : ` (${others.length})`}${ancestor}); give the run a cgroup of its own, as its only process or delegated with memory and pids enabled for children (systemd: Delegate=yes)`;
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
  return wordsOf(path, REAL_FS);
}

function wordsOf(path: string, fs: CgroupFs): string[] {
  try {
    return fs.read(path).split(/\s+/).filter(Boolean);
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
