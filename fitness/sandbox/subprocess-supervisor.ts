// Starts a sandboxed program, enforces its wall-clock and output limits, and reports how it ended.
import { spawn } from 'node:child_process';
import { readdirSync, readlinkSync } from 'node:fs';
import type { Duplex } from 'node:stream';
import { SandboxError, type SandboxReason } from './sandbox-error.js';
import { makeCgroup, oomKills, removeCgroup, type SandboxCgroup } from './subprocess-cgroup.js';
import { INIT_SOURCE, InitReader, childPidOf, type InitStart } from './subprocess-init.js';
import { NOBODY, SANDBOX_UID_BASE, type SandboxPlan } from './subprocess-isolation.js';
import { launchChain } from './subprocess-launch.js';
import { giveWorkdir } from './subprocess-workdir.js';

/** The program as it is to be executed: prlimit and its arguments when rlimits are on. */
export interface Program {
  file: string;
  args: string[];
  /** Its whole environment. */
  env: Record<string, string>;
  /** The fresh working directory. */
  cwd: string;
  /** Written to its standard input, which is then closed. */
  stdin: string;
  /** The sandbox's directory, which the init removes should this thread vanish. */
  base: string;
  /** The private root to enter (see subprocess-launch.ts), or null. */
  root: { fstab: string; dir: string; workdir: string } | null;
}

/** The limits the supervisor enforces or interprets (the rlimits themselves are in `Program`). */
export interface SupervisorLimits {
  timeoutMs: number;
  maxOutputBytes: number;
  network: boolean;
  /** Set: a SIGXCPU death is the CPU-time limit. */
  cpuSeconds: number | undefined;
  /** Set: a SIGXFSZ death is the file-size limit. */
  maxFileMb: number | undefined;
  /** The tree's memory in its cgroup, when there is one. */
  memoryMb: number | undefined;
  /** The tree's pids.max in its cgroup, when there is one. */
  maxProcesses: number;
}

/** How the program ended, when no limit stopped it. */
export interface ProgramEnd {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  wallMs: number;
}

/** How long the sandbox's own init may take to start; it is not charged to the program. */
const STARTUP_LIMIT_MS = 30_000;
/** How long the init may take to empty its namespace before it is killed outright. */
const KILL_GRACE_MS = 2_000;
/** Without a PID namespace, how long to wait for pipes held open by a process that escaped the kill. */
const PIPE_GRACE_MS = 1_000;
const MIB = 1024 * 1024;

/**
 * Runs `program` under the plan's isolation and waits until it and everything it started are gone.
 * With a PID namespace: unshare starts the init (subprocess-init.ts), which says hello; the
 * supervisor then learns the init's host pid, hands the working directory to the candidate's uid,
 * makes the tree's cgroup and tells the init to start the program through the launch chain
 * (subprocess-launch.ts); the wall clock starts when the init reports the chain's set-up done. The
 * cgroup is removed afterwards, however the run ended. Without a PID namespace: the program is
 * spawned directly in its own process group.
 */
export async function supervise(plan: SandboxPlan, program: Program, limits: SupervisorLimits): Promise<ProgramEnd> {
  const namespaced = plan.unshare !== null;
  const net = limits.network || !plan.isolation.netNamespace ? [] : ['--net'];
  const nobody = plan.isolation.dropToUser === 'nobody' ? { uid: NOBODY, gid: NOBODY } : null;
  if (!namespaced && nobody !== null) await giveWorkdir(program.cwd, nobody);
  const child = namespaced
    ? spawn(plan.unshare!, [...plan.unshareArgs, ...net, '--', process.execPath, '-e', INIT_SOURCE],
      { cwd: program.cwd, env: {}, detached: true, stdio: ['pipe', 'pipe', 'pipe', 'pipe'] })
    : spawn(program.file, program.args, { cwd: program.cwd, env: program.env, detached: true, stdio: ['pipe', 'pipe', 'pipe'], ...nobody });
  const exited = new Promise<void>((done, failed) => {
    child.once('exit', () => done());
    child.once('error', failed);
  });
  const closed = new Promise<void>((done) => child.once('close', () => done()));

  const stdout = new CappedOutput(limits.maxOutputBytes);
  const stderr = new CappedOutput(limits.maxOutputBytes);
  // Changed by the event handlers below; an object so that the narrowing of `let`s does not hide that.
  const state: {
    stopped: { reason: SandboxReason | 'startup'; message: string } | null;
    initPid: number | null;
    startedAt: number | null;
    endedAt: number | null;
    ending: { code: number | null; signal: NodeJS.Signals | null; wallMs?: number } | { error: string } | null;
    cgroup: SandboxCgroup | null;
  } = { stopped: null, initPid: null, startedAt: null, endedAt: null, ending: null, cgroup: null };
  let timer: NodeJS.Timeout | undefined;
  const running = () => child.exitCode === null && child.signalCode === null;

  // Once the init is known, SIGTERM asks it to SIGKILL everything in its namespace and exit; SIGKILL
  // follows if it has not within KILL_GRACE_MS. Either way the kernel empties the namespace when the
  // init dies, and unshare exits only once all of it is gone. Before that (the program not started
  // yet) and without a PID namespace, SIGKILL the process group.
  const stop = (reason: SandboxReason | 'startup', message: string) => {
    if (state.stopped !== null || !running()) return;
    state.stopped = { reason, message };
    const initPid = state.initPid;
    if (initPid === null) {
      signal(-child.pid!, 'SIGKILL');
    } else {
      signal(initPid, 'SIGTERM');
      setTimeout(() => running() && signal(initPid, 'SIGKILL'), KILL_GRACE_MS).unref();
    }
  };
  const begin = () => {
    state.startedAt = performance.now();
    timer = setTimeout(() => stop('time-limit', `the program did not finish within ${limits.timeoutMs} ms`), limits.timeoutMs);
  };

  child.stdout!.on('data', (chunk: Buffer) => {
    if (!stdout.push(chunk)) stop('output-too-large', `the program wrote more than ${limits.maxOutputBytes} bytes to stdout`);
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    if (!stderr.push(chunk)) stop('output-too-large', `the program wrote more than ${limits.maxOutputBytes} bytes to stderr`);
  });
  child.stdin!.on('error', () => undefined); // EPIPE when the program ends without reading its input

  const startup = namespaced ? setTimeout(() => stop('startup', `the sandbox did not start within ${STARTUP_LIMIT_MS} ms`), STARTUP_LIMIT_MS) : undefined;
  if (namespaced) {
    const control = child.stdio[3] as Duplex;
    const reader = new InitReader();
    const launch = async (initPid: number) => {
      const ids = plan.isolation.dropToUser === 'sandbox-uid' ? { uid: SANDBOX_UID_BASE + initPid, gid: SANDBOX_UID_BASE + initPid } : nobody;
      if (ids !== null) await giveWorkdir(program.cwd, ids);
      if (state.stopped !== null) return;
      if (plan.cgroup !== null) state.cgroup = makeCgroup(plan.cgroup, { memoryBytes: limits.memoryMb === undefined ? null : limits.memoryMb * MIB, processes: limits.maxProcesses });
      const chain = launchChain(plan.tools, { file: program.file, args: program.args, env: program.env, ids, cgroups: state.cgroup?.procs.length ?? 0, root: program.root });
      const start: InitStart = { ...chain, cwd: program.cwd, cgroupProcs: state.cgroup?.procs ?? [], closeFds: inheritedFds(child.pid!, initPid), remove: program.base };
      control.write(`${JSON.stringify(start)}\n`);
    };
    control.on('error', () => undefined);
    control.on('data', (chunk: Buffer) => {
      for (const report of reader.push(chunk)) {
        if ('hello' in report) {
          // Never start a program that could not be killed precisely.
          state.initPid = childPidOf(child.pid!);
          if (state.initPid === null) stop('startup', 'the sandbox cannot find its init process');
          else launch(state.initPid).catch((error: unknown) => stop('startup', `the sandbox cannot prepare the program's start: ${String(error)}`));
        } else if ('started' in report) {
          clearTimeout(startup);
          begin();
        } else {
          state.endedAt = performance.now();
          state.ending = report;
        }
      }
    });
  } else {
    begin();
  }
  child.stdin!.end(program.stdin);

  let killedForMemory = 0;
  try {
    try {
      await exited;
    } finally {
      clearTimeout(timer);
      clearTimeout(startup);
    }
    state.endedAt ??= performance.now();
    if (!namespaced) {
      // Background processes left in the group; one that called setsid escapes, and may hold the pipes.
      signal(-child.pid!, 'SIGKILL');
      if ((await Promise.race([closed.then(() => true), delay(PIPE_GRACE_MS)])) !== true) {
        child.stdout!.destroy();
        child.stderr!.destroy();
      }
    }
    await closed;
    if (state.cgroup !== null && plan.cgroup !== null) killedForMemory = await oomKills(plan.cgroup, state.cgroup);
  } finally {
    // The namespace is empty once unshare has exited, so the cgroup is too (or soon is).
    if (state.cgroup !== null) await removeCgroup(state.cgroup);
  }

  const output = { stdout: stdout.text(), stderr: stderr.text() };
  const wallMs = state.startedAt === null ? 0 : Math.round(state.endedAt - state.startedAt);
  const gone = state.stopped;
  // The kernel killed part of the tree for its memory: whatever followed (a parent waiting for ever, an error), that is why.
  if (killedForMemory > 0 && (gone === null || gone.reason === 'time-limit')) {
    throw new SandboxError('out-of-memory', `the program's processes together went over memoryMb (${limits.memoryMb} MiB for the whole tree): the kernel killed ${killedForMemory}`, artifact(output));
  }
  if (gone !== null) {
    if (gone.reason === 'startup') throw new Error(`runSubprocess: ${gone.message}`);
    throw new SandboxError(gone.reason, gone.message, artifact(output));
  }
  const end = namespaced ? state.ending : { code: child.exitCode, signal: child.signalCode };
  if (end === null) throw new Error(`runSubprocess: the sandbox ended before the program did (unshare: ${child.exitCode ?? child.signalCode}): ${output.stderr.slice(-2000)}`);
  if ('error' in end) throw new Error(`runSubprocess: cannot start ${program.file}: ${end.error}${output.stderr === '' ? '' : `: ${output.stderr.slice(-2000)}`}`);
  if (end.signal === 'SIGXCPU' && limits.cpuSeconds !== undefined && plan.prlimit !== null) {
    throw new SandboxError('time-limit', `the program used up its CPU-time limit of ${limits.cpuSeconds} s`, artifact(output));
  }
  if (end.signal === 'SIGXFSZ' && limits.maxFileMb !== undefined && plan.prlimit !== null) {
    throw new SandboxError('output-too-large', `the program wrote a file larger than ${limits.maxFileMb} MiB`, artifact(output));
  }
  return { exitCode: end.code, signal: end.signal, ...output, wallMs: 'wallMs' in end && end.wallMs !== undefined ? end.wallMs : wallMs };
}

/**
 * The descriptors numbered above 3 that the init holds because unshare held them (it inherited them
 * from this process, which has them open without close-on-exec), as opposed to Node's own in the
 * init, which may have any flags: those with the same number and the same open file in both.
 */
function inheritedFds(launcherPid: number, initPid: number): number[] {
  const fds = (pid: number) => readdirSync(`/proc/${pid}/fd`).map(Number).filter((fd) => fd > 3);
  const target = (pid: number, fd: number) => readlinkSync(`/proc/${pid}/fd/${fd}`);
  return fds(initPid).filter((fd) => {
    try {
      return target(initPid, fd) === target(launcherPid, fd);
    } catch {
      return false;
    }
  });
}

/** Keeps the first `cap` bytes of a stream; push() says false once more than that arrived. */
class CappedOutput {
  #chunks: Buffer[] = [];
  #size = 0;
  constructor(private readonly cap: number) {}

  push(chunk: Buffer): boolean {
    const room = this.cap - this.#size;
    if (room > 0) this.#chunks.push(chunk.length <= room ? chunk : chunk.subarray(0, room));
    this.#size += chunk.length;
    return this.#size <= this.cap;
  }

  text(): string {
    return Buffer.concat(this.#chunks).toString('utf8');
  }
}

/** What a SandboxError carries for the artifacts: the start of stdout and of stderr, 32 KiB each at most. */
function artifact({ stdout, stderr }: { stdout: string; stderr: string }): string {
  const clip = (text: string) => (text.length > 32_768 ? `${text.slice(0, 32_768)}\n[… ${text.length - 32_768} more characters]` : text);
  return stderr === '' ? clip(stdout) : `${clip(stdout)}\n--- stderr ---\n${clip(stderr)}`;
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms).unref());
}
