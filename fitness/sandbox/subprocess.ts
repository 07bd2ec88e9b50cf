// Runs an untrusted program (a Python script, a binary, a shell pipeline) in a contained subprocess.
import { accessSync, constants, realpathSync, statSync, writeFileSync } from 'node:fs';
import { delimiter, isAbsolute, join, posix, resolve } from 'node:path';
import { sandboxPlan, type SandboxIsolation, type SandboxPlan } from './subprocess-isolation.js';
import { SYSTEM_DIRS, buildRoot } from './subprocess-mounts.js';
import { supervise } from './subprocess-supervisor.js';
import { fileNameProblems, makeWorkdir, removeWorkdir } from './subprocess-workdir.js';

export { sandboxIsolation, type SandboxIsolation } from './subprocess-isolation.js';

/** How to run one program. Only `command` and `timeoutMs` are required. */
export interface SubprocessOptions {
  /** An absolute path; a name looked up on the sandbox's PATH (`env.PATH`, else DEFAULT_SANDBOX_PATH); or a path with a slash, relative to the working directory. */
  command: string;
  /** Arguments, passed as they are (no shell). */
  args?: string[];
  /** Files written into the fresh working directory before the program starts, by relative path ('src/main.py'); a name that is absolute or leaves the directory ('../x') is refused. Mode 644: run scripts through their interpreter. */
  files?: Record<string, string>;
  /** Written to the program's standard input, which is then closed; default: empty. */
  stdin?: string;
  /**
   * The whole environment of the program: nothing is inherited from this process (no API keys).
   * Default: PATH=DEFAULT_SANDBOX_PATH, LANG=C.UTF-8. HOME is set to the working directory unless
   * given, since the caller cannot know that directory in advance; nothing else is added.
   */
  env?: Record<string, string>;
  /** Wall-clock limit from the program's start, in ms. On expiry every process the program started is killed: SandboxError 'time-limit'. */
  timeoutMs: number;
  /** CPU-time limit in whole seconds (RLIMIT_CPU, per process): SIGXCPU at the limit gives SandboxError 'time-limit'; one ignoring it is killed a second later. */
  cpuSeconds?: number;
  /**
   * Memory limit in MiB. Each process's address space (RLIMIT_AS): allocations past it fail, and what
   * the program then does (MemoryError, abort) is returned as its result. And, where the machine
   * allows (`isolation.treeLimits`), the resident memory of the whole tree together, its /tmp and
   * /dev/shm files included: past it the kernel kills a process and runSubprocess throws SandboxError
   * 'out-of-memory'. Runtimes that reserve address space up front need room: Node does not start
   * under about 1024.
   */
  memoryMb?: number;
  /** Cap on bytes kept from stdout, and separately from stderr (default 1 MiB); going past it kills the program: SandboxError 'output-too-large'. */
  maxOutputBytes?: number;
  /**
   * Processes and threads the program's tree may have at once (default 32): the tree's cgroup's
   * pids.max where `isolation.treeLimits`, else RLIMIT_NPROC of its uid (per sandbox where it has a
   * uid of its own, `isolation.dropToUser`). A fork or thread past it fails with EAGAIN. Threads
   * count: Node alone uses 7, a BLAS library one per core.
   */
  maxProcesses?: number;
  /** Largest file the program may write, in MiB (RLIMIT_FSIZE); SIGXFSZ gives SandboxError 'output-too-large'. */
  maxFileMb?: number;
  /**
   * Default false: the program gets its own network namespace with no usable interface, where the
   * machine allows it (see `isolation.netNamespace`); abstract unix sockets belong to the network
   * namespace, so those of the host are unreachable too. True shares the host's network, abstract
   * unix sockets included.
   */
  network?: boolean;
  /**
   * Host directories (absolute, existing) the program may read, at the same path, where it has a
   * private root (`isolation.privateMounts`); elsewhere the host's files are visible anyway. A unix
   * socket in one is reachable. Mounts below a granted directory are not included.
   */
  readPaths?: string[];
  /** Host directories the program may write, at the same path, where it has a private root: what it writes there outlives it. */
  writePaths?: string[];
  /** Size in MiB of each of the program's private /tmp and /dev/shm (tmpfs, RAM; default 64), where it has a private root. */
  tmpMb?: number;
}

/** How the program ended; a non-zero exit or a signal is returned, for the evaluator to judge. */
export interface SubprocessResult {
  /** The program's exit code, or null when a signal ended it. */
  exitCode: number | null;
  /** The signal that ended the program ('SIGSEGV'), or null. */
  signal: string | null;
  stdout: string;
  stderr: string;
  /** From the program's start to its end (the sandbox's own start-up is not counted). */
  wallMs: number;
  /** What the sandbox could enforce on this machine. */
  isolation: SandboxIsolation;
}

/** The candidate's PATH when `env` gives none. */
export const DEFAULT_SANDBOX_PATH = '/usr/bin:/bin';
const DEFAULT_MAX_OUTPUT = 1024 * 1024;
const DEFAULT_MAX_PROCESSES = 32;
const DEFAULT_TMP_MB = 64;
const MIB = 1024 * 1024;

/**
 * Runs `options.command` in a fresh temporary working directory, removed afterwards whatever
 * happens, with only the listed environment, as a uid of its own when this process is root, and
 * inside PID, network, IPC and mount namespaces, a cgroup and rlimits where the machine allows (see
 * sandboxIsolation()), returning only once every process it started is gone (given a PID
 * namespace). Works from worker threads. Throws SandboxError for a limit the sandbox enforced
 * ('time-limit', 'output-too-large', 'out-of-memory'); throws a plain Error for bad options or a
 * sandbox that cannot start.
 */
export async function runSubprocess(options: SubprocessOptions): Promise<SubprocessResult> {
  const problems = optionProblems(options);
  if (problems.length > 0) throw new Error(`runSubprocess: ${problems.join('; ')}`);
  const plan = sandboxPlan();
  const dirs = await makeWorkdir(options.files ?? {});
  try {
    const workdir = dirs.workdir;
    const env = { ...(options.env ?? { PATH: DEFAULT_SANDBOX_PATH, LANG: 'C.UTF-8' }) };
    env.HOME ??= workdir;
    const file = resolveCommand(options.command, env.PATH ?? DEFAULT_SANDBOX_PATH, workdir);
    let root = null;
    if (plan.isolation.privateMounts) {
      const layout = { workdir, readPaths: options.readPaths ?? [], writePaths: options.writePaths ?? [], tmpMb: options.tmpMb ?? DEFAULT_TMP_MB };
      const hidden = hiddenCommand(file, layout);
      if (hidden !== null) throw new Error(`runSubprocess: ${hidden} is not inside the sandbox's private root; add its folder to readPaths`);
      const fstab = join(dirs.base, 'fstab');
      writeFileSync(fstab, buildRoot(dirs.root, layout), { mode: 0o600 });
      root = { fstab, dir: dirs.root, workdir };
    }
    const limits = {
      timeoutMs: options.timeoutMs,
      maxOutputBytes: options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT,
      network: options.network === true,
      cpuSeconds: options.cpuSeconds,
      maxFileMb: options.maxFileMb,
      memoryMb: options.memoryMb,
      maxProcesses: options.maxProcesses ?? DEFAULT_MAX_PROCESSES,
    };
    const program = { ...withLimits(plan, file, options), env, cwd: workdir, stdin: options.stdin ?? '', base: dirs.base, root };
    const end = await supervise(plan, program, limits);
    return { ...end, isolation: plan.isolation };
  } finally {
    await removeWorkdir(dirs.base);
  }
}

/** Wraps the program in prlimit, when available, with the options' rlimits and no core dumps. */
function withLimits(plan: SandboxPlan, file: string, options: SubprocessOptions): { file: string; args: string[] } {
  const args = options.args ?? [];
  if (plan.prlimit === null) return { file, args };
  const limits = ['--core=0'];
  if (plan.limitProcesses) limits.push(`--nproc=${options.maxProcesses ?? DEFAULT_MAX_PROCESSES}`);
  if (options.cpuSeconds !== undefined) limits.push(`--cpu=${options.cpuSeconds}:${options.cpuSeconds + 1}`);
  if (options.memoryMb !== undefined) limits.push(`--as=${options.memoryMb * MIB}`);
  if (options.maxFileMb !== undefined) limits.push(`--fsize=${options.maxFileMb * MIB}`);
  return { file: plan.prlimit, args: [...limits, '--', file, ...args] };
}

/** The command's real path when the private root does not hold it (it must be in a system directory, a grant or the working directory), else null. */
function hiddenCommand(file: string, layout: { workdir: string; readPaths: string[]; writePaths: string[] }): string | null {
  let real: string;
  try {
    real = realpathSync(file);
  } catch {
    return null; // missing: the program's start reports it
  }
  const visible = [...SYSTEM_DIRS, layout.workdir, ...layout.readPaths, ...layout.writePaths].flatMap((dir) => {
    try {
      return [realpathSync(dir)];
    } catch {
      return [];
    }
  });
  return visible.some((dir) => real === dir || real.startsWith(`${dir}/`)) ? null : real;
}

/** The absolute path of the command: as given, relative to the working directory, or the first executable file on `path`. */
function resolveCommand(command: string, path: string, workdir: string): string {
  if (command.includes('/')) return isAbsolute(command) ? command : resolve(workdir, command);
  for (const dir of path.split(delimiter)) {
    if (!isAbsolute(dir)) continue;
    const candidate = join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  throw new Error(`runSubprocess: ${command} is not on the sandbox's PATH (${path})`);
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function optionProblems(options: SubprocessOptions): string[] {
  const problems: string[] = [];
  if (typeof options.command !== 'string' || options.command === '') problems.push('command must be a non-empty string');
  if (!(Number.isFinite(options.timeoutMs) && options.timeoutMs > 0)) problems.push(`timeoutMs must be a positive number (got ${options.timeoutMs})`);
  for (const key of ['cpuSeconds', 'memoryMb', 'maxOutputBytes', 'maxProcesses', 'maxFileMb', 'tmpMb'] as const) {
    const value = options[key];
    if (value !== undefined && !(Number.isSafeInteger(value) && value > 0)) problems.push(`${key} must be a positive whole number (got ${value})`);
  }
  for (const name of Object.keys(options.env ?? {})) {
    if (name === '' || /[=\0]/.test(name)) problems.push(`env: ${JSON.stringify(name)} is not a variable name`);
  }
  for (const key of ['readPaths', 'writePaths'] as const) {
    for (const [k, path] of (options[key] ?? []).entries()) {
      if (typeof path !== 'string' || !isAbsolute(path) || posix.normalize(path) === '/') problems.push(`${key}[${k}]: must be an absolute path other than / (got ${JSON.stringify(path)})`);
      else if (!isDirectory(path)) problems.push(`${key}[${k}]: ${path} is not a directory`);
    }
  }
  return [...problems, ...fileNameProblems(options.files ?? {})];
}
