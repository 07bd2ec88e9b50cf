// The init that runs as PID 1 of a sandbox's PID namespace, and the messages it exchanges with the sandbox.
import { readFileSync, readdirSync } from 'node:fs';

/**
 * What the sandbox sends the init, as one JSON line on fd 3, once the init has said hello: the chain to
 * start the candidate through (subprocess-launch.ts), with the environment and ids to spawn it with;
 * its working directory; the cgroup.procs files it is to join; the inherited descriptors to close;
 * and the directory to remove should the sandbox vanish.
 */
export interface InitStart {
  argv: string[];
  env: Record<string, string>;
  cwd: string;
  uid?: number;
  gid?: number;
  /** Opened by the init and given to the chain as fds 4, 5, … */
  cgroupProcs: string[];
  /** Descriptors the init inherited from the launching process (not its own): closed before anything starts. */
  closeFds: number[];
  /** The sandbox's directory (working directory included), removed by the init only when the sandbox is gone. */
  remove: string;
}

/**
 * What the init reports on fd 3, one JSON line each: ready for the start message; the candidate's own
 * program is starting (the chain's set-up is done); then how the candidate ended, or why it could not start.
 */
export type InitReport =
  | { hello: true }
  | { started: true }
  | { code: number | null; signal: NodeJS.Signals | null; wallMs: number }
  | { error: string };

/**
 * The init program, run as `node -e INIT_SOURCE` with an empty environment (so no NODE_OPTIONS of the
 * candidate's reaches it). Why an init instead of exec'ing the candidate as PID 1:
 * - PID 1 of a namespace ignores every signal it has no handler for when sent from inside, so a
 *   candidate that was PID 1 could not die of `kill -TERM $$` or abort(), and its exit status would
 *   not be honest. As the init's child it gets ordinary signal semantics, and the init reports the
 *   child's own exit code or signal.
 * - The init keeps the kernel's parent-death signal that unshare --kill-child set, which a candidate
 *   switching uid would lose.
 * - It keeps the host's view of the file system (the candidate's private root is made in a mount
 *   namespace of the candidate's own), so it can clean up: when the sandbox's end of fd 3 closes
 *   before the candidate ended (its worker thread was terminated, say by the pool's timer), the init
 *   kills everything, removes the tree's cgroups once empty and the sandbox's directory, since
 *   nothing else would.
 * The descriptors it inherited beyond 0–3 are closed first (the sandbox lists them: Node's own are
 * close-on-exec, and /proc cannot tell the two apart). The chain gets fd 3 as a pipe, which replaces
 * the control channel in it: `ok` there means the candidate's program is being exec'd, and the chain
 * closes it first, so the candidate holds nothing but 0–2.
 * When the init exits, the kernel kills every process left in the namespace and unshare's wait for
 * the init returns only after all of them are reaped. Orphans the candidate leaves behind are not
 * reaped before that (Node cannot wait for processes it did not spawn), so until the candidate
 * ends they count towards maxProcesses as zombies where that is an rlimit (not in a cgroup).
 */
export const INIT_SOURCE = `'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
// fds 0-2 are the candidate's stdio too, the same open files: a stream Node made on one would set it
// non-blocking under the candidate (whose writes would then fail with EAGAIN when the pipe is full).
// Node makes one on first use of process.std*, which it does itself when any socket closes.
const { Readable, Writable } = require('node:stream');
for (const [name, stream] of [['stdin', new Readable({ read() { this.push(null); } })], ['stdout', new Writable({ write(c, e, done) { done(); } })], ['stderr', new Writable({ write(c, e, done) { done(); } })]]) {
  Object.defineProperty(process, name, { configurable: true, enumerable: true, value: stream });
}
const { Socket } = require('node:net');
const ctl = new Socket({ fd: 3, readable: true, writable: true });
let buffered = '';
let start = null;
let done = false;
const finish = (report) => {
  if (done) return;
  done = true;
  ctl.end(JSON.stringify(report) + '\\n', () => process.exit(0));
};
const killAll = () => { try { process.kill(-1, 'SIGKILL'); } catch {} };
// The sandbox stops the candidate: everything in the namespace goes, then the init, normally (killed
// by SIGKILL, unshare would complain on the candidate's stderr).
process.on('SIGTERM', () => { killAll(); process.exit(0); });
// The sandbox is gone (its thread was terminated): nothing would enforce the limits any more, or clean up.
const abandon = () => {
  if (done) return;
  done = true;
  killAll();
  if (start === null) process.exit(1);
  const cgroups = start.cgroupProcs.map((file) => file.slice(0, file.lastIndexOf('/')));
  let tries = 0;
  const sweep = () => {
    for (const dir of cgroups.splice(0)) try { fs.rmdirSync(dir); } catch (e) { if (e.code !== 'ENOENT') cgroups.push(dir); }
    if (cgroups.length > 0 && ++tries < 250) return void setTimeout(sweep, 20);
    try { fs.rmSync(start.remove, { recursive: true, force: true }); } catch {}
    process.exit(1);
  };
  sweep();
};
ctl.on('error', abandon);
ctl.on('end', abandon);
const launch = () => {
  for (const fd of start.closeFds) try { fs.closeSync(fd); } catch {}
  const cgroups = start.cgroupProcs.map((file) => fs.openSync(file, 'w'));
  const child = spawn(start.argv[0], start.argv.slice(1), { stdio: ['inherit', 'inherit', 'inherit', 'pipe', ...cgroups], env: start.env, cwd: start.cwd, uid: start.uid, gid: start.gid });
  for (const fd of cgroups) fs.closeSync(fd);
  let status = '';
  let startedAt = null;
  let endedAt = null;
  child.stdio[3].on('data', (chunk) => {
    status += chunk;
    if (startedAt !== null || !status.startsWith('ok')) return;
    startedAt = process.hrtime.bigint();
    ctl.write('{"started":true}\\n');
  });
  child.on('exit', () => { endedAt = process.hrtime.bigint(); });
  child.on('error', (e) => finish({ error: e.message }));
  // 'close' comes once the chain's end of fd 3 is closed too, so a started candidate is never taken for a failed set-up.
  // The init times the program: the sandbox's thread may be too busy to read these reports promptly.
  child.on('close', (code, signal) => finish(status.startsWith('ok') ? { code, signal, wallMs: Number((endedAt - startedAt) / 1000000n) }
    : { error: 'the sandbox could not set the program up (' + (signal === null ? 'exit code ' + code : signal) + ')' }));
};
ctl.on('data', (chunk) => {
  buffered += chunk;
  const end = buffered.indexOf('\\n');
  if (start !== null || end < 0) return;
  start = JSON.parse(buffered.slice(0, end));
  try {
    launch();
  } catch (e) {
    finish({ error: e instanceof Error ? e.message : String(e) });
  }
});
ctl.write('{"hello":true}\\n');
`;

/** Splits the bytes read from fd 3 into reports; keeps an incomplete last line for the next chunk. */
export class InitReader {
  #buffered = '';

  push(chunk: Buffer | string): InitReport[] {
    this.#buffered += String(chunk);
    const lines = this.#buffered.split('\n');
    this.#buffered = lines.pop() ?? '';
    return lines.filter((line) => line.trim() !== '').map((line) => JSON.parse(line) as InitReport);
  }
}

/**
 * The host pid of the process `parentPid` forked (the init, as seen from outside its namespace), or
 * null if it has none. Reads the kernel's list of children, else scans /proc for the parent pid.
 */
export function childPidOf(parentPid: number): number | null {
  try {
    const listed = readFileSync(`/proc/${parentPid}/task/${parentPid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    if (listed.length > 0) return Number(listed[0]);
  } catch {
    // CONFIG_PROC_CHILDREN off: fall back to the scan
  }
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // Field 4 (ppid) follows the command name, which may itself hold spaces and parentheses.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === parentPid) return Number(name);
    } catch {
      // the process ended while scanning
    }
  }
  return null;
}
