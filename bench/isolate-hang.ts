// Runs assorted runaway JavaScript candidates through the isolate sandbox, one after another under CPU load, and reports how far past the wall-clock limit each call ended.
// Run: npm run bench:hang [-- --calls N --wall MS --cpu MS --busy N]. Prints figures; asserts nothing.
import { spawn, type ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { runInIsolate } from '../fitness/sandbox/js-isolate.js';
import { isolateHostPid } from '../fitness/sandbox/js-isolate-host.js';
import { argNumber, machine, verdict } from './bench-support.js';

const calls = argNumber('calls', 1000);
const wallTimeMs = argNumber('wall', 300);
const cpuTimeMs = argNumber('cpu', 200);
const busy = argNumber('busy', 2);

/** name, code of f(), weight (how often it is drawn). */
const candidates: Array<[string, string, number]> = [
  ['well-behaved sum', 'function f() { let s = 0; for (let i = 0; i < 1e5; i++) s += i; return s; }', 6],
  ['well-behaved sort', 'function f() { return Array.from({ length: 1e4 }, (_, i) => (i * 7919) % 1e4).sort((a, b) => a - b)[5]; }', 4],
  ['for (;;) {}', 'function f() { for (;;) {} }', 4],
  ['while (true) with a try/catch', 'function f() { for (;;) { try { throw 1; } catch {} } }', 2],
  ['recursion to the stack limit, caught, forever', 'function f() { const r = () => r(); for (;;) { try { r(); } catch {} } }', 2],
  ['allocation churn', 'function f() { let a = []; for (;;) { a.push({ x: a.length }); if (a.length > 1e5) a = []; } }', 3],
  ['allocation growth to the heap limit', 'function f() { const a = []; for (;;) a.push(new Array(1e4).fill(1)); }', 3],
  ['await null forever', 'async function f() { for (;;) await null; }', 3],
  ['microtask chain forever', 'function f() { Promise.resolve().then(function l() { return Promise.resolve().then(l); }); return new Promise(() => {}); }', 3],
  ['a promise that never settles', 'async function f() { await new Promise(() => {}); }', 3],
  ['regex catastrophic backtracking', 'function f() { return /(a+)+$/.test("a".repeat(60) + "b"); }', 3],
  ['regex (a|a)* over 100 kB', 'function f() { return /(a|a)*b/.test("a".repeat(1e5)); }', 2],
  ['sort with a looping comparator', 'function f() { return [3, 2, 1].sort(() => { for (;;) {} }); }', 2],
  ['giant String.prototype.repeat', 'function f() { return "x".repeat(2 ** 29 - 30).length; }', 2],
  ['indexOf over a huge array-like', 'function f() { return Array.prototype.indexOf.call({ length: 2 ** 53 - 1 }, 1); }', 1],
  ['includes over a huge array-like', 'function f() { return Array.prototype.includes.call({ length: 2 ** 53 - 1 }, 1); }', 1],
  ['lastIndexOf over a huge array-like', 'function f() { return Array.prototype.lastIndexOf.call({ length: 2 ** 53 - 1 }, 1); }', 1],
  ['join over a huge array-like', 'function f() { return Array.prototype.join.call({ length: 2 ** 32 - 1 }).length; }', 1],
  ['fill over a huge array-like', 'function f() { return Array.prototype.fill.call({ length: 2 ** 53 - 1 }, 1); }', 1],
  ['reverse over a huge array-like', 'function f() { return Array.prototype.reverse.call({ length: 2 ** 53 - 1 }); }', 1],
  ['Array.from a huge array-like', 'function f() { return Array.from({ length: 2 ** 32 - 2 }).length; }', 1],
  ['indexOf over a proxy', 'function f() { return Array.prototype.indexOf.call(new Proxy({ length: 2 ** 53 - 1 }, {}), 1); }', 1],
];
const totalWeight = candidates.reduce((sum, [, , w]) => sum + w, 0);

/** Candidate k of the run: a fixed, shuffled-looking order (a multiplicative walk), so every run draws the same sequence. */
function pick(k: number): [string, string, number] {
  let at = (k * 7919) % totalWeight;
  for (const candidate of candidates) {
    at -= candidate[2];
    if (at < 0) return candidate;
  }
  return candidates[0]!;
}

interface Row { n: number; worst: number; outcomes: Map<string, number> }
const rows = new Map<string, Row>();
const overruns: number[] = [];
const starts: number[] = [];

const load: ChildProcess[] = Array.from({ length: busy }, () => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
console.log(`isolate hang: ${calls} calls in a row, wall-clock limit ${wallTimeMs} ms, CPU limit ${cpuTimeMs} ms, memory 32 MB, host 'process'; ` +
  `${busy} busy-loop processes beside it; ${machine()}`);
console.log('  overrun = how long after the call started it ended, minus the wall-clock limit; a host start (after a host was replaced) is timed apart, before the call');
const began = performance.now();
try {
  for (let k = 0; k < calls; k++) {
    if (isolateHostPid() === undefined) {
      const t0 = performance.now();
      await runInIsolate({ code: 'function f() { return 1; }', entry: 'f', cpuTimeMs: 5000 });
      starts.push(performance.now() - t0);
    }
    const [name, code] = pick(k);
    const t0 = performance.now();
    let outcome: string;
    try {
      await runInIsolate({ code, entry: 'f', cpuTimeMs, wallTimeMs, memoryMb: 32 });
      outcome = 'ok';
    } catch (error) {
      outcome = (error as { reason?: string }).reason ?? `${(error as Error).name}`;
      if (/could not be stopped/.test((error as Error).message)) outcome += ' (host replaced)';
    }
    const overrun = performance.now() - t0 - wallTimeMs;
    overruns.push(overrun);
    const row = rows.get(name) ?? { n: 0, worst: Number.NEGATIVE_INFINITY, outcomes: new Map<string, number>() };
    row.n++;
    row.worst = Math.max(row.worst, overrun);
    row.outcomes.set(outcome, (row.outcomes.get(outcome) ?? 0) + 1);
    rows.set(name, row);
  }
} finally {
  for (const child of load) child.kill('SIGKILL');
}

const sorted = [...overruns].sort((a, b) => a - b);
const quantile = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
console.log(`  ${'candidate'.padEnd(46)} ${'calls'.padStart(5)} ${'worst overrun'.padStart(14)}  outcomes`);
for (const [name, row] of rows) {
  const outcomes = [...row.outcomes].map(([o, n]) => `${o} ${n}`).join(', ');
  console.log(`  ${name.padEnd(46)} ${String(row.n).padStart(5)} ${`${row.worst.toFixed(0)} ms`.padStart(14)}  ${outcomes}`);
}
const over = overruns.filter((o) => o > 1000).length;
console.log(`  worst overrun past the wall-clock limit: ${sorted.at(-1)!.toFixed(0)} ms (p50 ${quantile(0.5).toFixed(0)}, p99 ${quantile(0.99).toFixed(0)}); ` +
  `calls over +1 s: ${over} of ${calls}; host starts: ${starts.length} (median ${[...starts].sort((a, b) => a - b)[starts.length >> 1]?.toFixed(0) ?? '-'} ms, ` +
  `max ${starts.length === 0 ? '-' : Math.max(...starts).toFixed(0)} ms); ${((performance.now() - began) / 1000).toFixed(0)} s in all`);
const worst = sorted.at(-1)!;
console.log(`Summary: worst overrun ${worst.toFixed(0)} ms past the wall-clock limit over ${calls} calls, ${over} over +1 s (target: at most 1000 ms): ${verdict(Math.max(worst, 1), 1000, false)}`);
