// The init that runs as PID 1 of a sandbox's PID namespace, and the messages it exchanges with the sandbox.
import { readFileSync, readdirSync } from 'node:fs';

/**
 * What the sandbox sends the init, as one JSON line on fd 3, once the init has said hello: the
 * program to start (prlimit and its arguments when rlimits are on), its whole environment, its
 * working directory and the ids to switch to.
 */
export interface InitStart {
  file: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  uid?: number;
  gid?: number;
}

/** What the init reports on fd 3, one JSON line each: ready for the start message; then how the candidate ended. */
export type InitReport =
  | { hello: true }
  | { code: number | null; signal: NodeJS.Signals | null }
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
 * - When the sandbox's end of fd 3 closes before the candidate ended (its worker thread was
 *   terminated, say by the pool's timer), the init kills everything and removes the working
 *   directory (`cwd`), since nothing else would.
 * When the init exits, the kernel kills every process left in the namespace and unshare's wait for
 * the init returns only after all of them are reaped. Orphans the candidate leaves behind are not
 * reaped before that (Node cannot wait for processes it did not spawn), so until the candidate
 * ends they count towards maxProcesses as zombies.
 */
export const INIT_SOURCE = `'use strict';
const { spawn } = require('node:child_process');
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
// The sandbox is gone (its thread was terminated): nothing would enforce the limits any more.
const abandon = () => {
  if (done) return;
  killAll();
  if (start !== null) try { require('node:fs').rmSync(start.cwd, { recursive: true, force: true }); } catch {}
  process.exit(1);
};
ctl.on('error', abandon);
ctl.on('end', abandon);
ctl.on('data', (chunk) => {
  buffered += chunk;
  const end = buffered.indexOf('\\n');
  if (start !== null || end < 0) return;
  start = JSON.parse(buffered.slice(0, end));
  try {
    const child = spawn(start.file, start.args, { stdio: 'inherit', env: start.env, cwd: start.cwd, uid: start.uid, gid: start.gid });
    child.on('error', (e) => finish({ error: e.message }));
    child.on('exit', (code, signal) => finish({ code, signal }));
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
