// The pool's side of honest fitness: cascades, private metrics, reasons reported by sandboxes, a worker out of memory.
import test from 'ava';
import { fileURLToPath } from 'node:url';
import { EvaluationPool } from '../../fitness/evaluation-pool.js';
import { EvaluatorError } from '../../common/errors.js';
import type { EvaluationInput } from '../../fitness/evaluator.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/evaluators/${name}`, import.meta.url));
const descriptors = [
  { name: 'a', min: 0, max: 1, bins: 4 },
  { name: 'b', min: 0, max: 1, bins: 4 },
];
const stages = [
  { name: 'smoke', export: 'smoke', threshold: 0.5 },
  { name: 'full', export: 'evaluate', threshold: null },
];

function input(files: Record<string, string>): EvaluationInput {
  return { variantId: JSON.stringify(files), files, params: {}, seed: 1, iteration: 0, problemDir: '/tmp' };
}

test('a variant below a stage threshold stops there, recorded as failed (cascade) with the stage it reached', async (t) => {
  const pool = await EvaluationPool.open({ evaluatorPath: fixture('cascade.mjs'), descriptors, workers: 1, timeoutMs: 5000, stages });
  try {
    const low = await pool.evaluate(input({ quality: '0.25' }));
    t.is(low.status, 'failed');
    if (low.status === 'ok') return;
    t.is(low.reason, 'cascade');
    t.is(low.message, 'stopped at stage "smoke": fitness 0.25 is below its threshold 0.5');
    t.is(low.stages?.length, 1);
    t.like(low.stages![0], { name: 'smoke', fitness: 0.25, threshold: 0.5, passed: false });
  } finally {
    await pool.close();
  }
});

test('a variant that passes every stage gets the last stage\'s result, each stage recorded, earlier metrics prefixed', async (t) => {
  const pool = await EvaluationPool.open({ evaluatorPath: fixture('cascade.mjs'), descriptors, workers: 1, timeoutMs: 5000, stages });
  try {
    const good = await pool.evaluate(input({ quality: '0.75' }));
    t.is(good.status, 'ok');
    if (good.status !== 'ok') return;
    t.is(good.fitness, 7.5);
    t.deepEqual(good.descriptors, [0.75, 0.5]);
    t.deepEqual(good.metrics, { stage: 'full', 'smoke.fitness': 0.75, 'smoke.passRate': 0.75, 'smoke.stage': 'smoke' });
    t.deepEqual(good.artifacts, { 'smoke.log': 'smoke ran' });
    t.deepEqual(good.stages!.map((s) => [s.name, s.fitness, s.threshold, s.passed]), [['smoke', 0.75, 0.5, true], ['full', 7.5, null, true]]);
    t.true(good.stages!.every((s) => s.durationMs >= 0));
  } finally {
    await pool.close();
  }
});

test('a stage that throws or returns no fitness fails the evaluation, naming the stage', async (t) => {
  const pool = await EvaluationPool.open({ evaluatorPath: fixture('cascade.mjs'), descriptors, workers: 1, timeoutMs: 5000, stages });
  try {
    const threw = await pool.evaluate(input({ quality: '0.9', mode: 'smoke-throws' }));
    t.like(threw, { status: 'failed', reason: 'threw', message: 'stage "smoke": Error: smoke test crashed' });
    const none = await pool.evaluate(input({ quality: '0.9', mode: 'smoke-no-fitness' }));
    t.like(none, { status: 'invalid', reason: 'invalid-output', message: 'stage "smoke": it returned no finite fitness (got undefined)' });
  } finally {
    await pool.close();
  }
});

test('a cascade stage the module does not export is refused when the pool opens, naming the file and the stage', async (t) => {
  const error = await t.throwsAsync(EvaluationPool.open({
    evaluatorPath: fixture('cascade.mjs'), descriptors, workers: 1, timeoutMs: 5000,
    stages: [{ name: 'lint', export: 'lint', threshold: 1 }, { name: 'full', export: 'evaluate', threshold: null }],
  }), { instanceOf: EvaluatorError });
  t.is(error!.message, `${fixture('cascade.mjs')}: the evaluator could not be loaded: the module exports no function \`lint\` (cascade stage "lint")`);
});

test('private metrics and artifacts are kept apart from the public ones; a malformed private part is invalid', async (t) => {
  const pool = await EvaluationPool.open({ evaluatorPath: fixture('hostile.mjs'), descriptors, workers: 1, timeoutMs: 5000 });
  try {
    const e = await pool.evaluate(input({ mode: 'private' }));
    t.like(e, { status: 'ok', metrics: { seen: 1 }, artifacts: {}, private: { metrics: { heldOut: 0.25 }, artifacts: { failing: 'case 7' } } });
    const bad = await pool.evaluate(input({ mode: 'private-bad' }));
    t.like(bad, { status: 'invalid', reason: 'invalid-output', message: 'private.metrics.heldOut must be a number, string or boolean (got [1])' });
  } finally {
    await pool.close();
  }
});

test('a SandboxError from the evaluator is recorded with its reason and the candidate\'s output; an unknown reason is a plain throw', async (t) => {
  const pool = await EvaluationPool.open({ evaluatorPath: fixture('hostile.mjs'), descriptors, workers: 1, timeoutMs: 5000 });
  try {
    t.like(await pool.evaluate(input({ mode: 'sandbox-time' })), {
      status: 'timeout', reason: 'timeout', message: 'program.js ran past its 200 ms CPU limit', artifacts: { output: 'tick\ntick' },
    });
    t.like(await pool.evaluate(input({ mode: 'sandbox-output' })), { status: 'failed', reason: 'output-too-large', artifacts: { output: 'yyyy' } });
    t.like(await pool.evaluate(input({ mode: 'fake-sandbox' })), { status: 'failed', reason: 'threw', message: 'SandboxError: pretends' });
    t.is(pool.stats().workersReplaced, 0);
  } finally {
    await pool.close();
  }
});

test('a worker that runs out of memory is replaced, the evaluation is recorded as failed (out-of-memory) and the pool goes on', async (t) => {
  const pool = await EvaluationPool.open({ evaluatorPath: fixture('hostile.mjs'), descriptors, workers: 2, timeoutMs: 30_000, memoryLimitMb: 64 });
  try {
    const [oom, fine] = await Promise.all([pool.evaluate(input({ mode: 'oom' })), pool.evaluate(input({ mode: 'ok' }))]);
    t.like(oom, { status: 'failed', reason: 'out-of-memory' });
    if (oom.status !== 'ok') t.regex(oom.message, /ran out of memory \(limit 64 MB\).*replaced/);
    t.is(fine.status, 'ok');
    const after = await Promise.all([pool.evaluate(input({ mode: 'ok' })), pool.evaluate(input({ mode: 'ok' }))]);
    t.deepEqual(after.map((e) => e.status), ['ok', 'ok']);
    t.is(pool.stats().outOfMemory, 1);
    t.is(pool.stats().workersReplaced, 1);
  } finally {
    await pool.close();
  }
});

test('an evaluator blocked outside JavaScript (Atomics.wait, a synchronous child process) still times out and the pool recovers', async (t) => {
  const pool = await EvaluationPool.open({ evaluatorPath: fixture('hostile.mjs'), descriptors, workers: 2, timeoutMs: 400 });
  try {
    const blocked = await Promise.all([pool.evaluate(input({ mode: 'atomics-wait' })), pool.evaluate(input({ mode: 'sync-sleep' }))]);
    t.deepEqual(blocked.map((e) => [e.status, e.status === 'ok' ? null : e.reason]), [['timeout', 'timeout'], ['timeout', 'timeout']]);
    // Atomics.wait never returns and `sleep 20` takes 20 s: ending before 20 s means nothing waited for them.
    t.true(blocked.every((e) => e.durationMs < 20_000), `durations ${blocked.map((e) => e.durationMs)}`);
    const after = await Promise.all([pool.evaluate(input({ mode: 'ok' })), pool.evaluate(input({ mode: 'ok' }))]);
    t.deepEqual(after.map((e) => e.status), ['ok', 'ok']);
    t.is(pool.stats().workersReplaced, 2);
  } finally {
    await pool.close();
  }
});
