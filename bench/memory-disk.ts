// Measures memory growth per iteration of a long run, database bytes per stored variant, and how soon a resumed 100,000-variant run iterates again.
// Run: npm run bench:memory [-- --iterations N --warmup N --large N --rebuild]. Needs --expose-gc (the npm script passes it). Prints figures and their ratio to the targets; asserts nothing.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { resumeRun, startRun, type Progress } from '../index.js';
import { EvaluationPool } from '../fitness/evaluation-pool.js';
import { argNumber, cachedOverheadRun, commitTimes, tapCommits, machine, OVERHEAD_CONFIG, OVERHEAD_PROBLEM, runSize, snapshot, verdict, writeParamProblem } from './bench-support.js';

tapCommits();
const ITERATIONS = argNumber('iterations', 50_000);
// The evaluation workers' V8 heaps grow their committed size over the first tens of thousands of evaluations
// (live heap constant: measured with a full GC in the worker), which RSS shows; the window starts after that.
const WARMUP = argNumber('warmup', 30_000);
const LARGE = argNumber('large', 100_000);
const SAMPLE_EVERY = 2_500;
const TARGET_BYTES_PER_ITERATION = 1024;
const TARGET_RESUME_S = 2;
const gc = (globalThis as { gc?: () => void }).gc;

console.log(`memory and disk: the engine-overhead run (no-op evaluator, param-mutation, 1,000 x 1,000 grid, pipelineDepth ${OVERHEAD_CONFIG.pipelineDepth}); ${machine()}`);
if (gc === undefined) console.log('  no --expose-gc: memory figures include garbage not yet collected (run it as npm run bench:memory)');
const work = mkdtempSync(join(tmpdir(), 'ouroboros-bench-memory-'));

/** Resident set size (main thread, evaluation workers and SQLite together) and the main thread's JS heap, after a full collection. */
function memory(): { rss: number; heap: number } {
  gc?.();
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed };
}

/** Least-squares slope of y against x. */
function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let cov = 0, v = 0;
  xs.forEach((x, k) => { cov += (x - mx) * (ys[k]! - my); v += (x - mx) ** 2; });
  return cov / v;
}

// 1. Memory: one fresh run of WARMUP + ITERATIONS iterations in this process, sampled every SAMPLE_EVERY committed iterations.
const config = writeParamProblem(work, OVERHEAD_PROBLEM, { ...OVERHEAD_CONFIG, budget: { iterations: WARMUP + ITERATIONS } });
const db = join(work, 'memory.sqlite');
const samples: Array<{ iterations: number; rss: number; heap: number; cells: number }> = [];
let next = WARMUP;
const onProgress = (p: Progress) => {
  if (p.iterations < next) return;
  next = p.iterations - (p.iterations % SAMPLE_EVERY) + SAMPLE_EVERY;
  samples.push({ iterations: p.iterations, cells: p.filledCells, ...memory() });
};
const t0 = performance.now();
await startRun(config, { db, onProgress });
const runS = (performance.now() - t0) / 1000;
const measured = samples.filter((s) => s.iterations >= WARMUP);
const first = measured[0]!, last = measured.at(-1)!;
const xs = measured.map((s) => s.iterations);
const rssPerIteration = slope(xs, measured.map((s) => s.rss));
const heapPerIteration = slope(xs, measured.map((s) => s.heap));
const cellsPerIteration = (last.cells - first.cells) / (last.iterations - first.iterations);
const mb = (b: number) => (b / 2 ** 20).toFixed(1);
console.log(`  ${(WARMUP + ITERATIONS).toLocaleString('en')} iterations in ${runS.toFixed(1)} s; ${measured.length} samples after ${gc ? 'a full GC' : 'no GC'} from iteration ${first.iterations.toLocaleString('en')} to ${last.iterations.toLocaleString('en')}:`);
console.log(`    RSS ${mb(first.rss)} -> ${mb(last.rss)} MB, main-thread heap ${mb(first.heap)} -> ${mb(last.heap)} MB, cells filled ${first.cells.toLocaleString('en')} -> ${last.cells.toLocaleString('en')} (${cellsPerIteration.toFixed(2)} new cells per iteration)`);
console.log(`    growth per iteration (least-squares slope): RSS ${rssPerIteration.toFixed(0)} bytes, heap ${heapPerIteration.toFixed(0)} bytes` +
  ` (the archive itself grows: each new cell holds its elite, so ${(heapPerIteration / Math.max(cellsPerIteration, 1e-9)).toFixed(0)} heap bytes per new cell)`);

// 2. Disk: bytes per stored variant of the closed run (no WAL left) and of the cached 100,000-iteration run.
const size = runSize(db);
const bytes = statSync(db).size;
console.log(`  database: ${mb(bytes)} MB for ${size.variants.toLocaleString('en')} stored variants = ${(bytes / size.variants).toFixed(0)} bytes per variant (iterations, children, evaluations, cells, QD metrics included)`);
const run = await cachedOverheadRun(LARGE);
const large = runSize(run.large);
const largeBytes = statSync(run.large).size;
console.log(`  the ${large.iterations.toLocaleString('en')}-iteration run: ${mb(largeBytes)} MB for ${large.variants.toLocaleString('en')} stored variants = ${(largeBytes / large.variants).toFixed(0)} bytes per variant`);

// 3. Resume: from the resumeRun() call to the first iteration of the new session committed. The replay of the log is
// over when the first new evaluation is handed to the pool; the rest is that evaluation and its commit.
let firstDispatch = 0;
const realEvaluate = EvaluationPool.prototype.evaluate;
EvaluationPool.prototype.evaluate = function (this: EvaluationPool, ...args: Parameters<EvaluationPool['evaluate']>) {
  if (firstDispatch === 0) firstDispatch = performance.now();
  return realEvaluate.apply(this, args);
};
const resumes: Array<{ ready: number; replayed: number }> = [];
for (let k = 0; k < 3; k++) {
  const copy = snapshot(run.large, join(work, `resume-${k}.sqlite`));
  commitTimes.length = 0;
  firstDispatch = 0;
  const start = performance.now();
  await resumeRun(copy, { maxIterations: large.iterations + 100 });
  resumes.push({ ready: (commitTimes[0]! - start) / 1000, replayed: (firstDispatch - start) / 1000 });
  for (const suffix of ['', '-wal', '-shm']) rmSync(copy + suffix, { force: true });
}
const resume = resumes.sort((a, b) => a.ready - b.ready)[1]!;
console.log(`  resume of the ${large.variants.toLocaleString('en')}-variant run (median of 3): first evaluation handed to the pool after ${resume.replayed.toFixed(2)} s ` +
  `(open, config, pool start, log replay), first new iteration committed after ${resume.ready.toFixed(2)} s (all: ${resumes.map((r) => r.ready.toFixed(2)).join(', ')} s)`);

console.log('');
console.log(`Summary: RSS growth ${rssPerIteration.toFixed(0)} bytes per iteration over ${ITERATIONS.toLocaleString('en')} iterations after ${WARMUP.toLocaleString('en')} of warm-up (target below ${TARGET_BYTES_PER_ITERATION}): ${verdict(rssPerIteration, TARGET_BYTES_PER_ITERATION, false)}`);
console.log(`Summary: ${(largeBytes / large.variants).toFixed(0)} database bytes per stored variant (${large.variants.toLocaleString('en')} variants; no target)`);
console.log(`Summary: resume of a ${large.variants.toLocaleString('en')}-variant run ready to iterate (resumeRun() called -> first new iteration committed) in ${resume.ready.toFixed(2)} s (target ${TARGET_RESUME_S} s): ${verdict(resume.ready, TARGET_RESUME_S, false)}`);
rmSync(work, { recursive: true, force: true });
