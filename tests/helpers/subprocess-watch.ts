// Watching a subprocess sandbox from outside, for its tests: the processes in its PID namespace, the notes its
// candidate leaves, and a run from a worker thread.
import type { ExecutionContext } from 'ava';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { readFileSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { runSubprocess, type SubprocessOptions } from '../../fitness/sandbox/subprocess.js';
import { isSandboxError, type SandboxError } from '../../fitness/sandbox/sandbox-error.js';

const modulePath = fileURLToPath(new URL('../../fitness/sandbox/subprocess.ts', import.meta.url));
const workerFixture = fileURLToPath(new URL('../fixtures/subprocess/run-in-worker.mjs', import.meta.url));

export const delay = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** The start time of process `pid` (clock ticks since boot), or null when it is gone: with the pid, it names one process. */
export function startTime(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
  } catch {
    return null;
  }
}

/**
 * The pids (as this process sees them) of every process in the PID namespace `ns` ('pid:[4026532247]'),
 * with their start times; with `uid`, only those of that real uid.
 */
export function processesIn(ns: string, uid?: number): Map<number, number> {
  const found = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readlinkSync(`/proc/${name}/ns/pid`) !== ns) continue;
      if (uid !== undefined && Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${name}/status`, 'utf8'))?.[1]) !== uid) continue;
      const started = startTime(Number(name));
      if (started !== null) found.set(Number(name), started);
    } catch {
      // ended while scanning
    }
  }
  return found;
}

/**
 * Which of the processes seen are still running. Not "what is in the namespace now": the kernel
 * reuses the number of a namespace that is gone, and a concurrent test's sandbox may get it (which
 * is also why only the candidate's own uid, the owner of its notes, is watched: a uid of its own).
 */
export function survivors(seen: Map<number, number>): number[] {
  return [...seen].filter(([pid, started]) => startTime(pid) === started).map(([pid]) => pid);
}

/** A directory every uid may write to, where a candidate leaves notes (its PID namespace, its working directory). */
export async function noteDir(t: ExecutionContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'subprocess-test-'));
  await chmod(dir, 0o777);
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Shell lines that write the candidate's PID namespace and working directory into `dir`. */
export const leaveNotes = (dir: string) => `readlink /proc/self/ns/pid > ${dir}/ns.part && mv ${dir}/ns.part ${dir}/ns; pwd > ${dir}/cwd.part && mv ${dir}/cwd.part ${dir}/cwd`;

/** The uid that wrote a note: the candidate's. */
export function ownerOf(path: string): number {
  return statSync(path).uid;
}

export async function note(dir: string, name: string): Promise<string | null> {
  return readFile(join(dir, name), 'utf8').then((text) => text.trim(), () => null);
}

/**
 * Runs the sandbox while watching, from outside, the processes in its PID namespace (learnt from the
 * note the candidate leaves): returns how it ended, the namespace and the most processes seen at once.
 */
export async function watched(dir: string, options: SubprocessOptions) {
  let settled = false;
  const run = runSubprocess(options).then((result) => ({ result, error: null }), (error: unknown) => ({ result: null, error: error as SandboxError }));
  void run.then(() => (settled = true));
  let ns: string | null = null;
  let peak = 0;
  const seen = new Map<number, number>();
  let uid: number | undefined;
  while (!settled) {
    ns ??= await note(dir, 'ns');
    if (ns !== null) {
      uid ??= ownerOf(join(dir, 'ns'));
      const now = processesIn(ns, uid);
      peak = Math.max(peak, now.size);
      for (const [pid, started] of now) seen.set(pid, started);
    }
    await delay(20);
  }
  ns ??= await note(dir, 'ns');
  return { ...(await run), ns, peak, seen };
}

export function expectSandboxError(t: ExecutionContext, error: unknown, reason: SandboxError['reason']): SandboxError {
  t.true(isSandboxError(error), `expected a SandboxError, got ${error instanceof Error ? String(error) : JSON.stringify(error).slice(0, 600)}`);
  const e = error as SandboxError;
  t.is(e.reason, reason, e.message);
  return e;
}

export function runInWorker(options: SubprocessOptions): { worker: Worker; reply: Promise<{ result?: any; error?: { name: string; reason?: string; message: string } }> } {
  const worker = new Worker(workerFixture, { workerData: { module: modulePath, options } });
  const reply = new Promise<any>((done, failed) => {
    worker.once('message', done);
    worker.once('error', failed);
  });
  return { worker, reply };
}
