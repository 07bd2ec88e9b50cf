// Detects, once per thread, which isolation mechanisms this machine allows the subprocess sandbox.
import { spawnSync, type SpawnSyncOptions, type SpawnSyncReturns } from 'node:child_process';
import { accessSync, constants, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findCgroupPlace, tryCgroup, type CgroupPlace } from './subprocess-cgroup.js';
import type { LaunchTools } from './subprocess-launch.js';
import { ROOT_SETUP, buildRoot } from './subprocess-mounts.js';

/** What the subprocess sandbox can enforce on this machine; reported with every result. */
export interface SandboxIsolation {
  /**
   * The candidate runs in its own PID namespace under an init the sandbox controls. Killing that init
   * makes the kernel kill every process left in the namespace, including ones that called setsid or
   * ignore signals; and the sandbox returns only once all of them are gone.
   */
  pidNamespace: boolean;
  /** The candidate's /proc is a fresh mount that lists only the sandbox's own processes (own mount namespace). */
  privateProc: boolean;
  /** `network: false` is enforced: the candidate has its own network namespace, whose only interface is a loopback that is down. */
  netNamespace: boolean;
  /**
   * Whom the candidate runs as when the sandbox runs as root. 'sandbox-uid': a uid (and gid) of its
   * own, SANDBOX_UID_BASE + the host pid of its init, so unique among live sandboxes: maxProcesses
   * then counts this sandbox's processes alone, and concurrent candidates cannot starve each other.
   * 'nobody' (65534, shared by every sandbox) where that uid cannot be used or there is no PID
   * namespace; null: not root, the candidate runs as the current user.
   */
  dropToUser: 'sandbox-uid' | 'nobody' | null;
  /** `cpuSeconds`, `memoryMb` (per process), `maxFileMb` and `maxProcesses` (per uid, unless treeLimits) are enforced, as rlimits set by prlimit. */
  rlimits: boolean;
  /**
   * The candidate runs in a root of its own (a private mount namespace, the old root detached): the
   * system directories (/usr, /bin, /lib…, /sbin, /etc) and `readPaths` read-only, its working
   * directory and `writePaths` writable, a fresh size-capped tmpfs at /tmp and /dev/shm (/var/tmp
   * leads to /tmp), the six usual devices and its own /proc. Nothing else of the host is there (/run,
   * /var, /home, /root, the host's /tmp and /dev/shm…): a unix socket bound to a path of the host is
   * unreachable, and nothing it writes outside its working directory and `writePaths` outlives it.
   */
  privateMounts: boolean;
  /** Its own System V IPC and POSIX message-queue namespace: shared memory segments, semaphores and queues it makes die with it, and the host's are invisible. */
  ipcNamespace: boolean;
  /** `PR_SET_NO_NEW_PRIVS` and no capabilities: a setuid or file-capability binary runs with the candidate's own privileges. */
  noNewPrivs: boolean;
  /** The candidate inherits no file descriptor but 0–2, whatever the launching process has open without close-on-exec. */
  closedFds: boolean;
  /**
   * A cgroup of its own holds the candidate's whole tree: `memoryMb` is then also the memory of all its
   * processes together (tmpfs files included, no swap; past it the kernel kills one and the run fails
   * with `out-of-memory`), and `maxProcesses` counts the tree's processes and threads. Removed after
   * the run. It is always made inside this process's own cgroup (cgroup v2: this process may move
   * itself into a leaf child, `ouroboros-main`, when it is alone there), never beside it under an
   * ancestor, so a limit set on the run (systemd's MemoryMax, TasksMax) bounds every tree as well;
   * where only an ancestor could hold it, none is used and a note says why. Reported only when the
   * candidate cannot move itself out: it has a private root (no cgroup file system in it) and runs
   * as a uid that owns none of the cgroups. null: memory is limited per process only, and processes
   * per uid (see `dropToUser`).
   */
  treeLimits: 'cgroup-v2' | 'cgroup-v1' | null;
  /** One sentence per mechanism that is missing or has a caveat, saying what is therefore not enforced. */
  notes: string[];
}

/** How to start a sandboxed program here: the tools found and the unshare arguments that worked. */
export interface SandboxPlan {
  isolation: SandboxIsolation;
  /** Absolute path of unshare when a PID namespace is available. */
  unshare: string | null;
  /** unshare's arguments before `--net` and the program (namespaces, user mapping, fork, kill-child). */
  unshareArgs: string[];
  /** Absolute path of prlimit when rlimits are available. */
  prlimit: string | null;
  /**
   * Whether to set RLIMIT_NPROC: only without a cgroup, and where the count is the sandbox's own, more
   * or less (a uid of its own or 65534, or a fresh user namespace). Root ignores it, and for the
   * current user outside a user namespace it would count all of that user's processes, so that a
   * modest limit would forbid any fork.
   */
  limitProcesses: boolean;
  /** The tools of the chain the init starts the candidate through (subprocess-launch.ts). */
  tools: LaunchTools;
  /** Where the sandboxes' cgroups are made, when treeLimits. */
  cgroup: CgroupPlace | null;
}

/** The uid and gid of nobody on Debian and most distributions; also the kernel's overflow id. */
export const NOBODY = 65534;
/** A sandbox's own uid and gid are this plus its init's host pid (below 2^22): far from any account's. */
export const SANDBOX_UID_BASE = 0x40000000;

/** Where the sandbox's own tools are looked for; the candidate's PATH plays no part. */
const TOOL_DIRS = ['/usr/bin', '/bin', '/usr/sbin', '/sbin'];

let cached: SandboxPlan | undefined;

/** What this machine allows, detected on first use by trying each mechanism, then cached (per thread). */
export function sandboxIsolation(): SandboxIsolation {
  return sandboxPlan().isolation;
}

/** The isolation and how to achieve it; detected once per thread. */
export function sandboxPlan(): SandboxPlan {
  cached ??= detect();
  return cached;
}

function detect(): SandboxPlan {
  const notes: string[] = [];
  const root = process.getuid?.() === 0;
  const yes = findTool('true') ?? '/bin/true';
  const sh = findTool('sh') ?? '/bin/sh';
  const works = (file: string | null, args: string[], ids?: { uid: number; gid: number }): boolean =>
    file !== null && probeSync(file, args, { stdio: 'ignore', env: {}, ...ids }).status === 0;

  let unshare = findTool('unshare');
  // Without root, a PID namespace needs a user namespace; mapping ourselves to root in it lets unshare set it up.
  let unshareArgs = [...(root ? [] : ['--user', '--map-root-user']), '--pid', '--fork', '--kill-child'];
  let privateProc = false;
  let netNamespace = false;
  let ipcNamespace = false;
  if (works(unshare, [...unshareArgs, '--mount-proc', '--', yes])) {
    unshareArgs = [...unshareArgs, '--mount-proc'];
    privateProc = true;
  } else if (!works(unshare, [...unshareArgs, '--', yes])) {
    unshare = null;
  }
  if (unshare !== null) {
    netNamespace = works(unshare, [...unshareArgs, '--net', '--', yes]);
    ipcNamespace = works(unshare, [...unshareArgs, '--ipc', '--', yes]);
    if (ipcNamespace) unshareArgs = [...unshareArgs, '--ipc'];
  }
  const pidNamespace = unshare !== null;

  const prlimitFound = findTool('prlimit');
  const prlimit = works(prlimitFound, ['--nproc=32', '--core=0', '--', yes]) ? prlimitFound : null;
  // A container that maps only 65536 ids refuses SANDBOX_UID_BASE; nobody then.
  const ownUid = root && pidNamespace && works(yes, [], { uid: SANDBOX_UID_BASE, gid: SANDBOX_UID_BASE });
  const dropToUser = ownUid ? 'sandbox-uid' : root && works(yes, [], { uid: NOBODY, gid: NOBODY }) ? 'nobody' : null;

  // The chain the init starts the candidate through needs setpriv to drop privileges after the root-only steps.
  const setprivFound = pidNamespace ? findTool('setpriv') : null;
  const id = dropToUser === 'sandbox-uid' ? SANDBOX_UID_BASE : NOBODY;
  const ids = dropToUser === null ? [] : [`--regid=${id}`, `--reuid=${id}`, '--clear-groups'];
  const setpriv = works(setprivFound, [...ids, '--no-new-privs', '--bounding-set=-all', '--inh-caps=-all', '--', yes]) ? setprivFound : null;
  const tools: LaunchTools = { sh, unshare, mount: findTool('mount'), pivotRoot: findTool('pivot_root'), umount: findTool('umount'), setpriv, env: findTool('env') };

  // A candidate that shares its init's uid could reach the host's root through /proc/1/root: root only.
  const rootProblem = !root ? 'not running as root' : setpriv === null ? 'setpriv missing or not working' : tryPrivateRoot(tools, unshareArgs);
  const privateMounts = rootProblem === null;
  if (!privateMounts) tools.unshare = null;

  let cgroup: CgroupPlace | null = null;
  if (pidNamespace && (setpriv !== null || !root)) {
    const uid = process.getuid?.() ?? -1;
    const candidateUids: [number, number] = dropToUser === 'sandbox-uid' ? [SANDBOX_UID_BASE, SANDBOX_UID_BASE + 2 ** 22 - 1] : dropToUser === 'nobody' ? [NOBODY, NOBODY] : [uid, uid];
    const escape = (owners: number[]) => cgroupEscape({ privateMounts, candidateUids, cgroupOwners: owners });
    // Whoever makes the tree's cgroups owns them; the place's own owner is checked once it is found.
    let problem = escape([process.geteuid?.() ?? uid]);
    if (problem === null) {
      const place = findCgroupPlace();
      problem = typeof place === 'string' ? place : escape(owners(place)) ?? tryCgroup(place, sh);
      if (problem === null) cgroup = place as CgroupPlace;
    }
    if (problem !== null) notes.push(`no cgroup for the tree: memoryMb limits each process alone and maxProcesses counts per uid (${problem})`);
  } else {
    notes.push(`no cgroup for the tree (${pidNamespace ? 'setpriv missing' : 'no PID namespace'}): memoryMb limits each process alone and maxProcesses counts per uid`);
  }
  const limitProcesses = prlimit !== null && cgroup === null && (dropToUser !== null || (!root && pidNamespace));

  if (!pidNamespace) notes.push('no PID namespace (unshare missing or not permitted): a process the candidate detaches with setsid can outlive it, and it inherits every file descriptor this process has open without close-on-exec');
  else if (!privateProc) notes.push("no private /proc: the candidate can list the machine's processes and their command lines");
  if (!netNamespace) notes.push('no network namespace: network: false is not enforced, and abstract unix sockets of the host are reachable');
  if (pidNamespace && !ipcNamespace) notes.push("no IPC namespace: System V shared memory and message queues the candidate makes outlive it, and the host's are reachable");
  if (!privateMounts) notes.push(`no private root (${rootProblem}): the candidate sees the host's files as its uid may, can reach unix sockets bound to a path, and what it writes in /tmp or /dev/shm outlives it`);
  if (pidNamespace && setpriv === null) notes.push('setpriv missing or not working: no no_new_privs, so a setuid binary runs with its privileges');
  if (prlimit === null) notes.push('prlimit missing or not working: cpuSeconds, memoryMb, maxFileMb and maxProcesses are not enforced per process');
  if (dropToUser === null) {
    notes.push(root
      ? 'cannot switch to uid 65534: the candidate runs as root'
      : 'not running as root: the candidate runs as the current user and can read what that user can');
    if (!root && prlimit !== null && !limitProcesses && cgroup === null) notes.push('maxProcesses is not enforced: outside a user namespace it would count every process of the current user');
  } else if (dropToUser === 'nobody') {
    if (limitProcesses) notes.push('maxProcesses counts every process of uid 65534 on the machine, those of concurrent sandboxes included');
  } else {
    notes.push("the candidate's uid has no entry in /etc/passwd: looking it up (getpwuid, os.userInfo()) fails");
  }
  const isolation: SandboxIsolation = {
    pidNamespace, privateProc, netNamespace, dropToUser, rlimits: prlimit !== null,
    privateMounts, ipcNamespace, noNewPrivs: setpriv !== null, closedFds: pidNamespace, treeLimits: cgroup?.kind ?? null, notes,
  };
  return { isolation, unshare, unshareArgs, prlimit, limitProcesses, tools, cgroup };
}

/** What findCgroupPlace learned and detect decided that tells whether a candidate could leave its tree's cgroup. */
export interface CgroupEscapeFacts {
  /** The candidate runs in a private root, where no cgroup file system is mounted (see SandboxIsolation). */
  privateMounts: boolean;
  /** The uids candidates may run as, first and last. */
  candidateUids: [number, number];
  /** The owners of the cgroups involved: the place they are made in, and they themselves. */
  cgroupOwners: number[];
}

/**
 * Why a candidate could move itself out of its tree's cgroup (writing its pid into the cgroup.procs
 * of the one above, say), which would void treeLimits; null when it cannot. It can when it sees the
 * cgroup file system (no private root), or when it runs as a uid owning the cgroups: it could then
 * write their files, and reach the host's root through /proc/1/root (its init shares its uid).
 */
export function cgroupEscape(facts: CgroupEscapeFacts): string | null {
  const [first, last] = facts.candidateUids;
  const owner = facts.cgroupOwners.find((uid) => uid >= first && uid <= last);
  if (!facts.privateMounts) return "the candidate sees the host's /sys/fs/cgroup (no private root), and could move itself out of its cgroup wherever its uid may write a cgroup.procs";
  if (owner !== undefined) return `the candidate runs as uid ${owner}, which owns the cgroups, so it could move itself out of its own`;
  return null;
}

/** The uids owning the directories of a place (the parents of the trees' cgroups). */
function owners(place: CgroupPlace): number[] {
  return [...new Set([place.memory, place.pids])].map((dir) => {
    try {
      return statSync(dir).uid;
    } catch {
      return -1;
    }
  });
}

/**
 * Sets a private root up once, as a sandbox does, and checks from inside that the host's files are
 * gone and the tmpfs is writable. Returns null when it all works, else what failed.
 */
function tryPrivateRoot(tools: LaunchTools, unshareArgs: string[]): string | null {
  const { unshare, mount, pivotRoot, umount, sh } = tools;
  if (unshare === null || mount === null || pivotRoot === null || umount === null) return 'unshare, mount, pivot_root or umount missing';
  const base = mkdtempSync(join(tmpdir(), 'ouroboros-sandbox-probe-'));
  try {
    const workdir = join(base, 'work');
    mkdirSync(workdir);
    mkdirSync(join(base, 'root'));
    const fstab = join(base, 'fstab');
    writeFileSync(fstab, buildRoot(join(base, 'root'), { workdir, readPaths: [], writePaths: [], tmpMb: 1 }));
    const check = `test ! -e "${fstab}" && test -d "${workdir}" && : > /tmp/x && : > /dev/shm/x && ! ( : > /usr/x ) 2>/dev/null`;
    const run = probeSync(unshare, [...unshareArgs, '--', unshare, '--mount', '--propagation', 'private', '--', sh, '-c', ROOT_SETUP, 'sh',
      mount, pivotRoot, umount, fstab, join(base, 'root'), workdir, sh, '-c', check], { stdio: ['ignore', 'ignore', 'pipe', 'pipe'], env: {} });
    if (run.status === 0 && String(run.output[3]) === 'ok\n') return null;
    return `setting it up failed: ${String(run.stderr).trim().split('\n').slice(-2).join(' ') || `exit ${run.status ?? run.signal}`}`;
  } catch (error) {
    return `setting it up failed: ${String(error)}`;
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

/**
 * spawnSync for a probe of what this machine allows. A probe that runs out of time says nothing about the machine,
 * only about its load (the full suite on 2 cores once took a namespace probe past 10 s, and the sandbox then ran a
 * candidate with no PID namespace, whose `sleep 300` outlived it): it is tried again, up to `attempts` times, each
 * with `timeoutMs`, before its timed-out result is taken as a failure.
 */
export function probeSync(file: string, args: string[], options: SpawnSyncOptions, timeoutMs = 60_000, attempts = 3): SpawnSyncReturns<Buffer> {
  let run = spawnSync(file, args, { ...options, timeout: timeoutMs }) as SpawnSyncReturns<Buffer>;
  for (let k = 1; k < attempts && (run.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT'; k++) run = spawnSync(file, args, { ...options, timeout: timeoutMs }) as SpawnSyncReturns<Buffer>;
  return run;
}

/** The absolute path of an executable among TOOL_DIRS, or null. */
function findTool(name: string): string | null {
  for (const dir of TOOL_DIRS) {
    const path = join(dir, name);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not in this directory
    }
  }
  return null;
}
