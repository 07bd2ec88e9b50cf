// How long the evaluation pool takes to be back at full strength after a worker is killed (timeout), runs out of memory, or exits.
// Run: npm run bench:recovery [-- --rounds N]. Prints figures; asserts nothing.
import { availableParallelism, cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { EvaluationPool } from '../fitness/evaluation-pool.js';
import type { EvaluationInput } from '../fitness/evaluator.js';

const flag = process.argv.indexOf('--rounds');
const rounds = flag > 0 ? Number(process.argv[flag + 1]) : 15;
const workers = availableParallelism();
const TIMEOUT_MS = 200;

const input = (mode: string, k: number): EvaluationInput => ({ variantId: `${mode}-${k}`, files: { mode }, params: {}, seed: k, iteration: k, problemDir: '/tmp' });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

/** Time until `workers` quick evaluations, submitted at once, have all finished. */
async function fullStrength(pool: EvaluationPool, k: number): Promise<number> {
  const t0 = performance.now();
  const results = await Promise.all(Array.from({ length: workers }, (_, j) => pool.evaluate(input('ok', k * 100 + j))));
  if (results.some((r) => r.status !== 'ok')) throw new Error(`a quick evaluation failed: ${JSON.stringify(results)}`);
  return performance.now() - t0;
}

console.log(`pool recovery: ${workers} workers, ${rounds} rounds each, ${cpus()[0]?.model ?? 'unknown cpu'}, node ${process.version}`);
console.log('  "back at full strength" = the time for one quick (~1 ms) evaluation per worker, submitted at once, to finish');
for (const evaluator of ['recovery-evaluator.mjs', 'recovery-evaluator.ts']) {
  const pool = await EvaluationPool.open({ evaluatorPath: fileURLToPath(new URL(`./fixtures/${evaluator}`, import.meta.url)), descriptors: [{ name: 'd', min: 0, max: 1, bins: 2 }], workers, timeoutMs: TIMEOUT_MS, memoryLimitMb: 64 });
  try {
    const warm: number[] = [];
    for (let k = 0; k < rounds; k++) warm.push(await fullStrength(pool, k));
    console.log(`  ${evaluator}: warm pool ${median(warm).toFixed(1)} ms (median)`);
    for (const [mode, expected] of [['loop', 'timeout'], ['oom', 'out-of-memory'], ['exit', 'worker-exit']] as const) {
      const after: number[] = [];
      const ended: number[] = [];
      for (let k = 0; k < rounds; k++) {
        const t0 = performance.now();
        const bad = await pool.evaluate(input(mode, 1000 + k));
        ended.push(performance.now() - t0);
        if (bad.status === 'ok' || bad.reason !== expected) throw new Error(`${mode}: expected ${expected}, got ${JSON.stringify(bad)}`);
        after.push(await fullStrength(pool, 2000 + k));
      }
      console.log(`    after ${mode.padEnd(4)} (${expected}): the bad evaluation ended after ${median(ended).toFixed(0)} ms` +
        `${mode === 'loop' ? ` (limit ${TIMEOUT_MS} ms, so ${(median(ended) - TIMEOUT_MS).toFixed(0)} ms past it)` : ''}; ` +
        `back at full strength in ${median(after).toFixed(1)} ms (median; max ${Math.max(...after).toFixed(1)}), ${(median(after) - median(warm)).toFixed(1)} ms more than warm`);
    }
    const s = pool.stats();
    console.log(`    workers replaced: ${s.workersReplaced}; out of memory: ${s.outOfMemory}; pool still has ${s.workers} workers`);
  } finally {
    await pool.close();
  }
}
