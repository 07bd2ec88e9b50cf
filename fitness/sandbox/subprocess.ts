// Runs an untrusted program (a Python script, a binary, a shell pipeline) in a contained subprocess.
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { sandboxPlan, type SandboxIsolation, type SandboxPlan } from './subprocess-isolation.js';
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
   * Address-space limit in MiB (RLIMIT_AS, per process, so the program's whole tree may use up to
   * memoryMb × maxProcesses): allocations past it fail, and what the program then does
   * (MemoryError, abort) is returned as its result. Runtimes that reserve address space up front
   * need room: Node does not start under about 1024.
   */
  memoryMb?: number;
  /** Cap on bytes kept from stdout, and separately from stderr (default 1 MiB); going past it kills the program: SandboxError 'output-too-large'. */
  maxOutputBytes?: number;
  /**
   * Processes and threads the program's uid may have at once (RLIMIT_NPROC, default 32); a fork or
   * thread past it fails with EAGAIN. Threads count: Node alone uses 7, a BLAS library one per core.
   * Per sandbox where it has a uid of its own (`isolation.dropToUser`).
   */
  maxProcesses?: number;
  /** Largest file the program may write, in MiB (RLIMIT_FSIZE); SIGXFSZ gives SandboxError 'output-too-large'. */
  maxFileMb?: number;
  /** Default false: the program gets its own network namespace with no usable interface, where the machine allows it (see `isolation.netNamespace`). */
  network?: boolean;
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
const MIB = 1024 * 1024;

/**
 * Runs `options.command` in a fresh temporary working directory, removed afterwards whatever
 * happens, with only the listed environment, as a uid of its own when this process is root, and
 * inside PID and network namespaces and rlimits where the machine allows (see sandboxIsolation()),
 * returning only once every process it started is gone (given a PID namespace). Works from
 * worker threads. Throws SandboxError for a limit the sandbox enforced ('time-limit',
 * 'output-too-large'); throws a plain Error for bad options or a sandbox that cannot start.
 */
export async function runSubprocess(options: SubprocessOptions): Promise<SubprocessResult> {
  const problems = optionProblems(options);
  if (problems.length > 0) throw new Error(`runSubprocess: ${problems.join('; ')}`);
  const plan = sandboxPlan();
  const workdir = await makeWorkdir(options.files ?? {});
  try {
    const env = { ...(options.env ?? { PATH: DEFAULT_SANDBOX_PATH, LANG: 'C.UTF-8' }) };
    env.HOME ??= workdir;
    const file = resolveCommand(options.command, env.PATH ?? DEFAULT_SANDBOX_PATH, workdir);
    const limits = {
      timeoutMs: options.timeoutMs,
      maxOutputBytes: options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT,
      network: options.network === true,
      cpuSeconds: options.cpuSeconds,
      maxFileMb: options.maxFileMb,
    };
    const end = await supervise(plan, { ...withLimits(plan, file, options), env, cwd: workdir, stdin: options.stdin ?? '' }, limits);
    return { ...end, isolation: plan.isolation };
  } finally {
    await removeWorkdir(workdir);
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

function optionProblems(options: SubprocessOptions): string[] {
  const problems: string[] = [];
  if (typeof options.command !== 'string' || options.command === '') problems.push('command must be a non-empty string');
  if (!(Number.isFinite(options.timeoutMs) && options.timeoutMs > 0)) problems.push(`timeoutMs must be a positive number (got ${options.timeoutMs})`);
  for (const key of ['cpuSeconds', 'memoryMb', 'maxOutputBytes', 'maxProcesses', 'maxFileMb'] as const) {
    const value = options[key];
    if (value !== undefined && !(Number.isSafeInteger(value) && value > 0)) problems.push(`${key} must be a positive whole number (got ${value})`);
  }
  return [...problems, ...fileNameProblems(options.files ?? {})];
}
