// The CPU time this process has spent outside the calling thread, from the kernel's own counters: a check on isolated-vm's running CPU figure, which counts wall time while a call is in progress.
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's utime and stime (USER_HZ, 100 on every Linux of note). */
const TICKS_PER_SECOND = 100;

/** CPU time of the calling thread in ms, from /proc/thread-self/stat; null where /proc cannot tell. */
function threadCpuMs(): number | null {
  try {
    const stat = readFileSync('/proc/thread-self/stat', 'latin1');
    // The command name may hold spaces and parentheses: the fields start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After the name: state(3) ... utime(14) and stime(15), counted from 1 over the whole line.
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return Number.isFinite(utime) && Number.isFinite(stime) ? ((utime + stime) * 1000) / TICKS_PER_SECOND : null;
  } catch {
    return null;
  }
}

/**
 * CPU time in ms that the process's other threads have used: the process's total (process.cpuUsage)
 * less the calling thread's. In the isolate host the calling thread only waits while isolated-vm runs
 * the call on a thread of its own, so this bounds the call's real CPU time from above (it also counts
 * V8's helper threads, and any other call running at the same time). Null where /proc is missing.
 */
export function offThreadCpuMs(): number | null {
  const own = threadCpuMs();
  if (own === null) return null;
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000 - own;
}
