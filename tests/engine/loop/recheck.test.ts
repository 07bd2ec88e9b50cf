import test from 'ava';
import type { Evaluation } from '../../../common/types.js';
import { aggregateOf, combineRecheck } from '../../../engine/loop/recheck.js';

const ok = (fitness: number, seed: number): Extract<Evaluation, { status: 'ok' }> =>
  ({ status: 'ok', fitness, descriptors: [fitness, 1], metrics: { m: fitness }, artifacts: { a: `seed ${seed}` }, durationMs: 5, seed });

test('aggregates: mean, median of odd and even counts, min', (t) => {
  t.is(aggregateOf([1, 5, 3], 'mean'), 3);
  t.is(aggregateOf([1, 5, 3], 'median'), 3);
  t.is(aggregateOf([4, 1, 5, 3], 'median'), 3.5);
  t.is(aggregateOf([4, 1, 5, 3], 'min'), 1);
});

test('a re-checked evaluation keeps the first descriptors, metrics and artifacts and records the aggregate with its spread', (t) => {
  const e = combineRecheck(ok(10, 1), [ok(6, 2), ok(8, 3)], [2, 3], 'mean');
  t.is(e.status, 'ok');
  if (e.status !== 'ok') return;
  t.is(e.fitness, 8);
  t.deepEqual(e.descriptors, [10, 1]);
  t.deepEqual(e.metrics, { m: 10 });
  t.deepEqual(e.artifacts, { a: 'seed 1' });
  t.deepEqual(e.recheck, { samples: [10, 6, 8], seeds: [1, 2, 3], aggregate: 'mean', first: 10, value: 8, spread: 4, std: Math.sqrt(8 / 3), failures: [] });
});

test('a re-check that fails makes the evaluation failed (not-reproduced), quoting the first score and the failure', (t) => {
  const crashed: Evaluation = { status: 'failed', reason: 'threw', message: 'Error: boom', durationMs: 1, seed: 3 };
  const e = combineRecheck(ok(10, 1), [ok(9, 2), crashed], [2, 3], 'median');
  t.like(e, { status: 'failed', reason: 'not-reproduced', seed: 1, artifacts: { a: 'seed 1' } });
  if (e.status === 'ok') return;
  t.is(e.message, 'scored 10 first, but 1 of 2 re-check(s) with fresh seeds failed: seed 3: failed (threw): Error: boom');
});
