// Measures what the engine costs per iteration when evaluating and varying cost nothing, and whether that stays flat as the stored population grows.
// Run: npm run bench:overhead [-- --window N --large N --repeats N --rebuild]. Prints figures and their ratio to the targets; asserts nothing.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { resumeRun } from '../index.js';
import { argNumber, cachedOverheadRun, commitRate, commitTimes, tapCommits, machine, OVERHEAD_CONFIG, runSize, snapshot, verdict } from './bench-support.js';

tapCommits();
const WINDOW = argNumber('window', 10_000);
const LARGE = argNumber('large', 100_000);
const REPEATS = argNumber('repeats', 5);
const TARGET_RATE = 5000;
const TARGET_FLAT = 0.8;

console.log(`engine overhead: no-op evaluator (fixed fitness, descriptors = params), param-mutation on 2 floats, 1,000 x 1,000 grid, pipelineDepth ${OVERHEAD_CONFIG.pipelineDepth}, default workers; ${machine()}`);
const run = await cachedOverheadRun(LARGE);
const work = mkdtempSync(join(tmpdir(), 'ouroboros-bench-overhead-'));

/** Resumes a copy of `source` for WINDOW more iterations; the rate is taken between its first and last commit. */
async function window(source: string, name: string, iterations = WINDOW) {
  const before = runSize(source);
  const db = snapshot(source, join(work, `${name}.sqlite`));
  commitTimes.length = 0;
  const t0 = performance.now();
  const r = await resumeRun(db, { maxIterations: before.iterations + iterations });
  const wallS = (performance.now() - t0) / 1000;
  const rate = commitRate(commitTimes);
  const after = runSize(db);
  for (const suffix of ['', '-wal', '-shm']) rmSync(db + suffix, { force: true });
  return { before, after, rate, wallS, committed: r.iterations - before.iterations, workers: r.workers };
}

// Warm-up (not measured): the first run in a process pays for compiling the engine's hot paths.
await window(run.small, 'warm-up', 3000);
// Small and large windows alternate, each on a fresh copy, and the median of each is reported: on a shared
// machine single figures move by 20% (other processes, the disk), and alternating spreads any drift over both.
const smalls = [];
const larges = [];
for (let k = 0; k < REPEATS; k++) {
  smalls.push(await window(run.small, `small-${k}`));
  larges.push(await window(run.large, `large-${k}`));
}
const median = <T extends { rate: number }>(runs: T[]): T => [...runs].sort((a, b) => a.rate - b.rate)[runs.length >> 1]!;
const spread = (runs: Array<{ rate: number }>) => `${REPEATS} windows: ${runs.map((r) => r.rate.toFixed(0)).join(', ')}`;
const small = median(smalls);
const large = median(larges);
for (const [label, w] of [['after 1,000', small], [`after ${LARGE.toLocaleString('en')}`, large]] as const) {
  console.log(`  ${label.padEnd(16)} committed iterations (${w.before.variants.toLocaleString('en')} stored variants, ${w.before.cells.toLocaleString('en')} cells filled): ` +
    `${w.committed.toLocaleString('en')} more iterations (${(w.after.variants - w.before.variants).toLocaleString('en')} new variants) at ${w.rate.toFixed(0)} iterations/s ` +
    `between the first and last commit (median; ${spread(w === small ? smalls : larges)}); whole resume call ${w.wallS.toFixed(2)} s with ${w.workers} workers`);
}
const flat = large.rate / small.rate;
console.log('');
console.log(`Summary: engine overhead ${small.rate.toFixed(0)} iterations/s with 1,000 stored variants (target ${TARGET_RATE}/s): ${verdict(small.rate, TARGET_RATE)}`);
console.log(`Summary: ${large.rate.toFixed(0)} iterations/s with ${large.before.variants.toLocaleString('en')} stored variants, ${flat.toFixed(2)} of the rate at 1,000 (target ${TARGET_FLAT}): ${verdict(flat, TARGET_FLAT)}`);
rmSync(work, { recursive: true, force: true });
