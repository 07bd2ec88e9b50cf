// Checks the evaluation pool: timeouts and crashes replace workers, failures are recorded with their reasons, and what an evaluation sends is capped where it enters the host.
import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EvaluationPool } from '../../fitness/evaluation-pool.js';
import { EvaluatorError } from '../../common/errors.js';
import type { EvaluationInput } from '../../fitness/evaluator.js';
import { MAX_ARTIFACT_CHARS, MAX_ENTRIES, MAX_MESSAGE_CHARS } from '../../fitness/validate-output.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/evaluators/${name}`, import.meta.url));
const descriptors = [
  { name: 'a', min: 0, max: 1, bins: 4 },
  { name: 'b', min: 0, max: 1, bins: 4 },
];

function input(mode: string, seed = 1): EvaluationInput {
  return { variantId: mode, files: { mode }, params: {}, seed, iteration: 0, problemDir: '/tmp' };
}

async function hostilePool(timeoutMs = 15_000) {
  return EvaluationPool.open({ evaluatorPath: fixture('hostile.mjs'), descriptors, workers: 2, timeoutMs });
}

test('an evaluator stuck in while(true) times out, its worker is replaced and the pool keeps working', async (t) => {
  const pool = await hostilePool(500);
  try {
    const [looped, fine] = await Promise.all([pool.evaluate(input('loop')), pool.evaluate(input('ok'))]);
    t.is(looped.status, 'timeout');
    t.is(fine.status, 'ok');
    // Both workers must be usable again: two loops in a row, then two good evaluations.
    const again = await Promise.all([pool.evaluate(input('loop')), pool.evaluate(input('loop'))]);
    t.deepEqual(again.map((e) => e.status), ['timeout', 'timeout']);
    const after = await Promise.all([pool.evaluate(input('ok')), pool.evaluate(input('ok'))]);
    t.deepEqual(after.map((e) => e.status), ['ok', 'ok']);
    t.is(pool.stats().workersReplaced, 3);
  } finally {
    await pool.close();
  }
});

const failures: Array<[string, string, string, RegExp]> = [
  ['throw', 'failed', 'threw', /divided by zero/],
  ['throw-string', 'failed', 'threw', /non-Error thrown: a bare string/],
  ['exit', 'failed', 'worker-exit', /worker died/],
  ['nan', 'invalid', 'invalid-output', /fitness must be finite \(got NaN\)/],
  ['infinite-descriptor', 'invalid', 'invalid-output', /descriptor a must be finite \(got Infinity\)/],
  ['missing-descriptor', 'invalid', 'invalid-output', /descriptors must have 2 values \(got 1\)/],
  ['string-fitness', 'invalid', 'invalid-output', /fitness must be a number \(got "1"\)/],
  ['function', 'invalid', 'invalid-output', /cannot be copied/],
];

for (const [mode, status, reason, message] of failures) {
  test(`an evaluator that does "${mode}" is recorded as ${status} (${reason}) and the next evaluation succeeds`, async (t) => {
    const pool = await hostilePool();
    try {
      const bad = await pool.evaluate(input(mode));
      t.is(bad.status, status);
      if (bad.status === 'ok') return;
      t.is(bad.reason, reason);
      t.regex(bad.message, message);
      const good = await pool.evaluate(input('ok'));
      t.is(good.status, 'ok');
    } finally {
      await pool.close();
    }
  });
}

test('a valid result comes back with fitness, descriptors, metrics and artifacts', async (t) => {
  const pool = await EvaluationPool.open({ evaluatorPath: fixture('good.mjs'), descriptors, workers: 1, timeoutMs: 2000 });
  try {
    const e = await pool.evaluate({ ...input('x', 7), params: { x: 2 } });
    t.like(e, { status: 'ok', fitness: -1, descriptors: [2, 7], metrics: { x: 2 }, artifacts: { note: 'ok' }, seed: 7 });
  } finally {
    await pool.close();
  }
});

test('a TypeScript evaluator loads', async (t) => {
  const pool = await EvaluationPool.open({ evaluatorPath: fixture('typed.ts'), descriptors, workers: 1, timeoutMs: 5000 });
  try {
    const e = await pool.evaluate({ ...input('x', 3), params: { x: 1 } });
    t.like(e, { status: 'ok', fitness: -4 });
  } finally {
    await pool.close();
  }
});

for (const [file, message] of [['broken-syntax.mjs', /SyntaxError/], ['no-export.mjs', /exports neither/], ['missing.mjs', /Cannot find module|ERR_MODULE_NOT_FOUND/]] as const) {
  test(`open() rejects an evaluator that cannot load (${file}) naming the file`, async (t) => {
    const error = await t.throwsAsync(EvaluationPool.open({ evaluatorPath: fixture(file), descriptors, workers: 1, timeoutMs: 1000 }), { instanceOf: EvaluatorError });
    t.true(error!.message.includes(file));
    t.regex(error!.message, message);
  });
}

test('open() gives up on an evaluator module that never finishes loading', async (t) => {
  const error = await t.throwsAsync(EvaluationPool.open({ evaluatorPath: fixture('never-loads.mjs'), descriptors, workers: 1, timeoutMs: 300, loadTimeoutMs: 800 }), { instanceOf: EvaluatorError });
  t.regex(error!.message, /never-loads\.mjs: the evaluator could not be loaded: loading took more than 800 ms/);
});

/** An evaluator written for the test: each mode sends the host something far too large. */
const FLOOD = `
const big = (c) => c.repeat(5 * 2 ** 20);
export function evaluate(input) {
  switch (input.files.mode) {
    case 'throw': throw new Error(big('t'));
    case 'throw-string': throw big('s');
    case 'crashed': throw Object.assign(new Error(big('c')), { name: 'SandboxError', reason: 'crashed', output: big('o') });
    case 'artifacts': return { fitness: 1, descriptors: [0, 0], metrics: { label: big('l') }, artifacts: { log: big('a') }, private: { artifacts: { hidden: big('h') } } };
    case 'many': return { fitness: 1, descriptors: [0, 0], metrics: Object.fromEntries(Array.from({ length: 300 }, (_, i) => ['m' + i, i])) };
    case 'long-name': return { fitness: 1, descriptors: [0, 0], artifacts: { [big('n')]: 'x' } };
    case 'invalid': return { fitness: big('f'), descriptors: [0, 0] };
  }
}`;

test('every message, output and artifact a 5 MB evaluation sends is stored capped', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ouroboros-flood-'));
  const evaluatorPath = join(dir, 'flood.mjs');
  writeFileSync(evaluatorPath, FLOOD);
  const pool = await EvaluationPool.open({ evaluatorPath, descriptors, workers: 1, timeoutMs: 60_000 });
  try {
    const cut = (text: string | undefined, max: number) => {
      t.true(text !== undefined && text.length <= max + 60, `${text?.length} characters`);
      t.regex(text ?? '', /… \[cut: \d+ characters in all\]$/);
    };
    const threw = await pool.evaluate(input('throw'));
    t.like(threw, { status: 'failed', reason: 'threw' });
    if (threw.status !== 'ok') cut(threw.message, MAX_MESSAGE_CHARS);
    const bare = await pool.evaluate(input('throw-string'));
    if (bare.status !== 'ok') cut(bare.message, MAX_MESSAGE_CHARS);
    const crashed = await pool.evaluate(input('crashed'));
    t.like(crashed, { status: 'failed', reason: 'crashed' });
    if (crashed.status !== 'ok') {
      cut(crashed.message, MAX_MESSAGE_CHARS);
      cut(crashed.artifacts?.output, MAX_ARTIFACT_CHARS);
    }
    const flooded = await pool.evaluate(input('artifacts'));
    t.is(flooded.status, 'ok');
    if (flooded.status === 'ok') {
      cut(flooded.artifacts.log, MAX_ARTIFACT_CHARS);
      cut(flooded.metrics.label as string, MAX_ARTIFACT_CHARS);
      cut(flooded.private?.artifacts.hidden, MAX_ARTIFACT_CHARS);
    }
    t.like(await pool.evaluate(input('many')), { status: 'invalid', reason: 'invalid-output', message: `metrics has 300 entries, more than the ${MAX_ENTRIES} allowed` });
    const named = await pool.evaluate(input('long-name'));
    t.like(named, { status: 'invalid', reason: 'invalid-output' });
    if (named.status !== 'ok') t.true(named.message.length < 400, named.message.slice(0, 100));
    const invalid = await pool.evaluate(input('invalid'));
    t.like(invalid, { status: 'invalid', reason: 'invalid-output' });
    if (invalid.status !== 'ok') t.true(invalid.message.length < 400, invalid.message.slice(0, 100));
  } finally {
    await pool.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
