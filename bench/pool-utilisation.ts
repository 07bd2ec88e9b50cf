// Measures how close the engine keeps the evaluation pool to full use with CPU-bound evaluations of 5 ms and 40 ms: achieved evaluations per second over workers / evaluation time.
// Run: npm run bench:pool [-- --seconds S]. Prints figures and their ratio to the targets; asserts nothing.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startRun } from '../index.js';
import { EvaluationPool } from '../fitness/evaluation-pool.js';
import { argNumber, commitTimes, tapCommits, machine, verdict, writeParamProblem } from './bench-support.js';

tapCommits();
const SECONDS = argNumber('seconds', 10);
const DEPTH = 32;
const cases = [{ ms: 5, target: 0.9 }, { ms: 40, target: 0.95 }];

/** Busy for `ms` of wall-clock time on its worker's core, then descriptors from the parameters (distinct children, so each iteration evaluates). */
const busyEvaluator = (ms: number) => `export function evaluate({ params }) {
  const until = performance.now() + ${ms};
  let x = 0;
  while (performance.now() < until) x += Math.sqrt(x + 1);
  return { fitness: x > 0 ? 1 : 0, descriptors: [params.x, params.y] };
}
`;

/** Evaluations per second of the bare pool with `n` evaluations queued at once: the floor the engine's figure is compared with. */
async function poolAlone(evaluatorPath: string, workers: number, n: number): Promise<number> {
  const pool = await EvaluationPool.open({ evaluatorPath, descriptors: [{ name: 'x', min: 0, max: 1, bins: 100 }, { name: 'y', min: 0, max: 1, bins: 100 }], workers, timeoutMs: 10_000 });
  try {
    const t0 = performance.now();
    await Promise.all(Array.from({ length: n }, (_, k) => pool.evaluate({ variantId: `v${k}`, files: {}, params: { x: 0.5, y: 0.5 }, seed: k, iteration: k, problemDir: '/' })));
    return n / ((performance.now() - t0) / 1000);
  } finally {
    await pool.close();
  }
}

console.log(`pool utilisation: CPU-bound evaluators (busy loops) through the engine, param-mutation, pipelineDepth ${DEPTH}, default workers; ${machine()}`);
const dir = mkdtempSync(join(tmpdir(), 'ouroboros-bench-pool-'));
const summaries: string[] = [];
for (const c of cases) {
  const caseDir = join(dir, `${c.ms}ms`);
  const probe = writeParamProblem(caseDir, { evaluator: busyEvaluator(c.ms), bins: 100 }, { seed: 3, pipelineDepth: DEPTH, budget: { iterations: 1 }, operators: [{ type: 'param-mutation', weight: 1 }] });
  // The number of workers the run will use decides how many iterations fill SECONDS at the ideal rate.
  const workers = (await startRun(probe, { db: join(caseDir, 'probe.sqlite') })).workers;
  const ideal = workers / (c.ms / 1000);
  const iterations = Math.round(ideal * SECONDS);
  const config = writeParamProblem(caseDir, { evaluator: busyEvaluator(c.ms), bins: 100 }, { seed: 3, pipelineDepth: DEPTH, budget: { iterations: iterations + 1 }, operators: [{ type: 'param-mutation', weight: 1 }] });
  commitTimes.length = 0;
  const r = await startRun(config, { db: join(caseDir, 'run.sqlite') });
  // From the seed's commit to the last: every evaluation but the seed's, with the pool full from the first
  // (a child identical to a stored variant is not evaluated, so evaluations are counted, not iterations).
  const rate = (r.pool.evaluations - 1) / ((commitTimes.at(-1)! - commitTimes[0]!) / 1000);
  const ratio = rate / ideal;
  const alone = await poolAlone(join(caseDir, 'problem', 'evaluator.mjs'), workers, iterations);
  const meanEvalMs = r.pool.busyMs / r.pool.evaluations;
  console.log(`  ${String(c.ms).padStart(2)} ms evaluations, ${workers} workers: ${iterations.toLocaleString('en')} iterations, ${r.pool.evaluations.toLocaleString('en')} evaluations; ` +
    `${rate.toFixed(1)} evaluations/s from the seed's commit to the last (ideal ${ideal.toFixed(1)}/s) = ${ratio.toFixed(3)}; ` +
    `worker busy time per evaluation ${meanEvalMs.toFixed(2)} ms; whole session (pool start to close) ${(r.pool.wallMs / 1000).toFixed(1)} s, utilisation ${(r.pool.utilisation * 100).toFixed(1)}%`);
  console.log(`     the pool alone (EvaluationPool, every evaluation queued at once, no engine): ${alone.toFixed(1)} evaluations/s = ${(alone / ideal).toFixed(3)} of the ideal`);
  summaries.push(`Summary: ${c.ms} ms evaluations: ${ratio.toFixed(3)} of the ideal ${ideal.toFixed(0)} evaluations/s (target ${c.target}): ${verdict(ratio, c.target)}`);
}
console.log('');
for (const s of summaries) console.log(s);
rmSync(dir, { recursive: true, force: true });
