// Detects, once per thread, which isolation mechanisms this machine allows the subprocess sandbox.
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';

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
  /** `cpuSeconds`, `memoryMb`, `maxFileMb` and `maxProcesses` are enforced, as rlimits set by prlimit. */
  rlimits: boolean;
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
   * Whether to set RLIMIT_NPROC: only where the count is the sandbox's own, more or less (uid 65534,
   * or a fresh user namespace). Root ignores it, and for the current user outside a user namespace
   * it would count all of that user's processes, so that a modest limit would forbid any fork.
   */
  limitProcesses: boolean;
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
  const works = (file: string | null, args: string[], ids?: { uid: number; gid: number }): boolean =>
    file !== null && spawnSync(file, args, { stdio: 'ignore', env: {}, timeout: 10_000, ...ids }).status === 0;

  let unshare = findTool('unshare');
  // Without root, a PID namespace needs a user namespace; mapping ourselves to root in it lets unshare set it up.
  let unshareArgs = [...(root ? [] : ['--user', '--map-root-user']), '--pid', '--fork', '--kill-child'];
  let privateProc = false;
  let netNamespace = false;
  if (works(unshare, [...unshareArgs, '--mount-proc', '--', yes])) {
    unshareArgs = [...unshareArgs, '--mount-proc'];
    privateProc = true;
  } else if (!works(unshare, [...unshareArgs, '--', yes])) {
    unshare = null;
  }
  if (unshare !== null) {
    netNamespace = works(unshare, [...unshareArgs, '--net', '--', yes]);
  }
  const pidNamespace = unshare !== null;

  const prlimitFound = findTool('prlimit');
  const prlimit = works(prlimitFound, ['--nproc=32', '--core=0', '--', yes]) ? prlimitFound : null;
  // A container that maps only 65536 ids refuses SANDBOX_UID_BASE; nobody then.
  const ownUid = root && pidNamespace && works(yes, [], { uid: SANDBOX_UID_BASE, gid: SANDBOX_UID_BASE });
  const dropToUser = ownUid ? 'sandbox-uid' : root && works(yes, [], { uid: NOBODY, gid: NOBODY }) ? 'nobody' : null;
  const limitProcesses = prlimit !== null && (dropToUser !== null || (!root && pidNamespace));

  if (!pidNamespace) notes.push('no PID namespace (unshare missing or not permitted): a process the candidate detaches with setsid can outlive it');
  else if (!privateProc) notes.push("no private /proc: the candidate can list the machine's processes and their command lines");
  if (!netNamespace) notes.push('no network namespace: network: false is not enforced');
  if (prlimit === null) notes.push('prlimit missing or not working: cpuSeconds, memoryMb, maxFileMb and maxProcesses are not enforced');
  if (dropToUser === null) {
    notes.push(root
      ? 'cannot switch to uid 65534: the candidate runs as root and maxProcesses is not enforced'
      : 'not running as root: the candidate runs as the current user and can read what that user can');
    if (!root && prlimit !== null && !limitProcesses) notes.push('maxProcesses is not enforced: outside a user namespace it would count every process of the current user');
  } else if (dropToUser === 'nobody') {
    if (limitProcesses) notes.push('maxProcesses counts every process of uid 65534 on the machine, those of concurrent sandboxes included');
  } else {
    notes.push("the candidate's uid has no entry in /etc/passwd: looking it up (getpwuid, os.userInfo()) fails");
  }
  return { isolation: { pidNamespace, privateProc, netNamespace, dropToUser, rlimits: prlimit !== null, notes }, unshare, unshareArgs, prlimit, limitProcesses };
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
