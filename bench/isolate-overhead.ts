// Measures what the JS isolate sandbox costs per evaluation against calling the same function directly, in the isolate host process and in the calling thread, and checks that 1000 calls leak nothing.
// Run: npm run bench:isolate [-- --calls N]. Prints figures; asserts nothing.
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import vm from 'node:vm';
import { disposeIdleIsolates, runInIsolate } from '../fitness/sandbox/js-isolate.js';
import { isolateHostPid, stopIsolateHost } from '../fitness/sandbox/js-isolate-host.js';

const flag = process.argv.indexOf('--calls');
const calls = flag > 0 ? Number(process.argv[flag + 1]) : 300;
const WARMUP = 20;
const LEAK_CALLS = Number(process.env.LEAK_CALLS ?? 1000);

const seed = readFileSync(new URL('../examples/circle-packing/seed/program.js', import.meta.url), 'utf8');
const cases = [
  { name: 'trivial f() { return 1 }', code: 'function f() { return 1; }', entry: 'f' },
  { name: 'numeric loop (~1 ms)', code: 'function f() { let s = 0; for (let i = 0; i < 4e5; i++) s += Math.sqrt(i) * 1e-9; return s; }', entry: 'f' },
  { name: 'circle-packing seed pack()', code: seed, entry: 'pack' },
];

type Mode = 'direct' | 'node:vm context' | 'thread, reused' | 'thread, fresh' | 'process, reused' | 'process, fresh';
const modes: Mode[] = ['direct', 'node:vm context', 'thread, reused', 'thread, fresh', 'process, reused', 'process, fresh'];

/** One call in the given mode; `direct` calls a function compiled once on the host (warm JIT). */
function caller(mode: Mode, code: string, entry: string): () => unknown {
  if (mode === 'direct') {
    // The bench's own trusted code, compiled once on the host: the floor the sandboxes are measured against.
    const fn = new Function(`'use strict';\n${code}\n;return ${entry};`)() as () => unknown;
    return () => fn();
  }
  if (mode === 'node:vm context') {
    // What the examples did before the isolate: a new context and a fresh compile per call.
    return () => vm.runInNewContext(`(function () { 'use strict';\n${code}\n;return ${entry}(); })()`, {}, { timeout: 2000 });
  }
  // `thread`: the isolate in this thread; `process`: in this thread's isolate host (the default); `fresh`: a new isolate per call.
  const [host, reuse] = mode.split(', ') as ['thread' | 'process', 'reused' | 'fresh'];
  return () => runInIsolate({ code, entry, cpuTimeMs: 2000, host, freshIsolate: reuse === 'fresh' });
}

async function timings(call: () => unknown, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await call();
    out.push((performance.now() - t0) * 1000);
  }
  return out;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const us = (x: number): string => (x >= 100 ? x.toFixed(0) : x.toFixed(1)).padStart(8);

console.log(`JS isolate overhead: ${calls} calls per row after ${WARMUP} warm-up calls, one thread; ${cpus()[0]?.model ?? 'unknown cpu'} x ${cpus().length}, node ${process.version}`);

// The isolate host's start: paid on a thread's first call and after each host death (under tsx here; compiled code loads faster).
const starts: number[] = [];
for (let i = 0; i < 5; i++) {
  await stopIsolateHost();
  const t0 = performance.now();
  await runInIsolate({ code: 'function f() { return 1; }', entry: 'f', cpuTimeMs: 2000 });
  starts.push((performance.now() - t0) * 1000);
}
console.log(`isolate host start (first call of a thread, 5 starts): median ${us(median(starts)).trim()} µs, mean ${us(mean(starts)).trim()} µs`);

console.log(`  ${'function'.padEnd(28)} ${'mode'.padEnd(16)} ${'median µs'.padStart(10)} ${'mean µs'.padStart(8)}  median vs direct; process vs thread`);
for (const c of cases) {
  const medians = new Map<Mode, number>();
  for (const mode of modes) {
    const call = caller(mode, c.code, c.entry);
    await timings(call, WARMUP);
    const t = await timings(call, calls);
    medians.set(mode, median(t));
    const direct = medians.get('direct')!;
    const ratio = mode === 'direct' ? '' : `${(median(t) / direct).toFixed(1)}x (+${us(median(t) - direct).trim()} µs)`;
    const thread = medians.get(mode.replace('process', 'thread') as Mode);
    const extra = mode.startsWith('process') && thread !== undefined ? `; +${us(median(t) - thread).trim()} µs over ${mode.replace('process', 'thread')}` : '';
    console.log(`  ${c.name.padEnd(28)} ${mode.padEnd(16)} ${us(median(t)).padStart(10)} ${us(mean(t))}  ${ratio}${extra}`);
  }
}

/** Heap and RSS after a full GC when the process was started with --expose-gc (npm run bench:isolate does), and the isolate host's RSS. */
function memory(): { heapMb: number; rssMb: number; hostRssMb: number } {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  return { heapMb: m.heapUsed / 2 ** 20, rssMb: m.rss / 2 ** 20, hostRssMb: hostRss() };
}

function hostRss(): number {
  const pid = isolateHostPid();
  if (pid === undefined) return Number.NaN;
  try {
    return Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;
  } catch {
    return Number.NaN;
  }
}

console.log(`leak check: ${LEAK_CALLS} calls of the circle-packing seed per batch, three batches per mode${(globalThis as { gc?: unknown }).gc ? '' : ' (no --expose-gc: figures include garbage)'}`);
for (const mode of ['thread, reused', 'thread, fresh', 'process, reused', 'process, fresh'] as const) {
  const call = caller(mode, seed, 'pack');
  await call();
  const before = memory();
  const after: Array<ReturnType<typeof memory>> = [];
  for (let batch = 0; batch < 3; batch++) {
    await timings(call, LEAK_CALLS);
    after.push(memory());
  }
  const host = mode.startsWith('process');
  const fmt = (m: ReturnType<typeof memory>): string => `heap ${m.heapMb.toFixed(1)} MB, RSS ${m.rssMb.toFixed(0)} MB${host ? `, host RSS ${m.hostRssMb.toFixed(0)} MB` : ''}`;
  console.log(`  ${mode.padEnd(16)} before: ${fmt(before)}; after each batch: ${after.map(fmt).join(' | ')}; ` +
    `growth over the last two batches: heap ${(after[2]!.heapMb - after[0]!.heapMb).toFixed(1)} MB, RSS ${(after[2]!.rssMb - after[0]!.rssMb).toFixed(0)} MB` +
    `${host ? `, host RSS ${(after[2]!.hostRssMb - after[0]!.hostRssMb).toFixed(0)} MB` : ''}`);
}
disposeIdleIsolates();
await stopIsolateHost();
