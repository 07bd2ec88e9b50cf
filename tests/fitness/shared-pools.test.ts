// SharedPools (fitness/shared-pools.ts): one pool per key, left open by the runs that use it, ended by an abort or by close().
import test from 'ava';
import { fileURLToPath } from 'node:url';
import { EvaluationPool, type EvaluationService } from '../../fitness/evaluation-pool.js';
import type { EvaluationInput } from '../../fitness/evaluator.js';
import { SharedPools } from '../../fitness/shared-pools.js';

const evaluatorPath = fileURLToPath(new URL('../fixtures/evaluators/hostile.mjs', import.meta.url));
const spec = { evaluatorPath, descriptors: [{ name: 'a', min: 0, max: 1, bins: 4 }, { name: 'b', min: 0, max: 1, bins: 4 }], workers: 1, timeoutMs: 15_000 };
const input = (seed: number): EvaluationInput => ({ variantId: `v${seed}`, files: { mode: 'ok' }, params: {}, seed, iteration: 0, problemDir: '/tmp' });

test('a key opens its pool once; a run closing its view leaves it open for the next; another key gets its own', async (t) => {
  const pools = new SharedPools();
  let opened = 0;
  const open = () => { opened++; return EvaluationPool.open(spec) as Promise<EvaluationService>; };
  try {
    const first = await pools.get('a', open);
    t.is((await first.evaluate(input(1))).status, 'ok');
    await first.close();
    const second = await pools.get('a', open);
    t.is((await second.evaluate(input(2))).status, 'ok', 'the pool still evaluates after a view was closed');
    t.is(second.stats().evaluations, 2, 'the same pool served both');
    t.is(opened, 1);
    await pools.get('b', open);
    t.is(opened, 2);
    t.is(pools.size, 2);
  } finally {
    await pools.close();
  }
  t.is(pools.size, 0);
});

test('an aborted run ends its pool for good: the next get() opens a fresh one; a pool that fails to open is not kept', async (t) => {
  const pools = new SharedPools();
  try {
    const view = await pools.get('a', () => EvaluationPool.open(spec));
    view.abortAll();
    t.is((await view.evaluate(input(1))).status, 'failed', 'the aborted pool takes no more work');
    // Its threads end now, not with the process (polled: closing is asynchronous).
    for (let k = 0; k < 600 && view.liveWorkers() > 0; k++) await new Promise((r) => setTimeout(r, 50));
    t.is(view.liveWorkers(), 0);
    const fresh = await pools.get('a', () => EvaluationPool.open(spec));
    t.is((await fresh.evaluate(input(2))).status, 'ok');
    t.is(fresh.stats().evaluations, 1);
    await t.throwsAsync(pools.get('broken', () => Promise.reject(new Error('cannot load the evaluator'))), { message: /cannot load/ });
    t.is(pools.size, 1);
  } finally {
    await pools.close();
  }
});
