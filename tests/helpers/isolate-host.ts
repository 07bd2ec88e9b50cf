// Shared by the isolate host tests: whether a process has ended, and an ES module run in a Node process of its own.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** True once `pid` has ended: no such process, or a zombie that is not this process's to reap (the host is spawned through a watcher). */
export function ended(pid: number): boolean {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return true;
  }
  return /^State:\s+Z/m.test(status) && !new RegExp(`^PPid:\\s+${process.pid}$`, 'm').test(status);
}

/** Waits until `pid` has ended; false if it is still running after `ms`. */
export async function endsWithin(pid: number, ms: number): Promise<boolean> {
  for (const deadline = Date.now() + ms; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 50))) {
    if (ended(pid)) return true;
  }
  return ended(pid);
}

/** Runs an ES module `script` in a Node process of its own (through sh, only to switch core dumps off); `output(pattern)` waits for its stdout to match. */
export function inProcess(script: string) {
  const child = spawn('sh', ['-c', 'ulimit -c 0; exec "$0" "$@"', process.execPath, '--import=tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const waiting: Array<[RegExp, (match: RegExpExecArray) => void]> = [];
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    for (const [i, [pattern, resolve]] of [...waiting.entries()].reverse()) {
      const match = pattern.exec(stdout);
      if (match !== null) { waiting.splice(i, 1); resolve(match); }
    }
  });
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const closed = new Promise<[number | null, string | null]>((resolve) => child.on('close', (c, s) => resolve([c, s])));
  const output = (pattern: RegExp) => new Promise<RegExpExecArray>((resolve) => {
    const match = pattern.exec(stdout);
    if (match === null) waiting.push([pattern, resolve]); else resolve(match);
  });
  return { child, output, closed, text: () => ({ stdout, stderr }) };
}
