// Whether a process id on this machine still belongs to a live Node process (for run locks).
import { readFileSync } from 'node:fs';

/**
 * A lock left by a process killed with SIGKILL names a dead pid, which the OS may since have
 * given to an unrelated program; on Linux, /proc tells whether that pid is a node process.
 */
export function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('node');
  } catch {
    return true; // no /proc (not Linux): trust kill(0)
  }
}
