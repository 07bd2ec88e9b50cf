// The adversarial corpus: every hostile candidate in tests/hostile-corpus/ is evaluated by the gauntlet
// example on the real worker pool, and each is proved stopped or contained, recorded with its reason,
// with the host untouched and every worker still serving.
import test from 'ava';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { setUpCanaries, substitutions, type Canaries } from '../../examples/gauntlet/canaries.js';
import type { Evaluation } from '../../common/types.js';
import { loadProblem } from '../../engine/config/problem.js';
import { EvaluationPool } from '../../fitness/evaluation-pool.js';
import { sandboxIsolation } from '../../fitness/sandbox/subprocess.js';
import { root } from '../helpers/cli.js';

interface Entry { file: string; attempt: string; expect: Array<[string, string | null]>; message?: string; needs?: 'dropToUser' | 'pidNamespace' | 'netNamespace' }
const corpusDir = join(root, 'tests/hostile-corpus');
const corpus = JSON.parse(readFileSync(join(corpusDir, 'corpus.json'), 'utf8')) as { entries: Entry[] };
const problem = loadProblem(join(root, 'examples/gauntlet'));

function candidate(entry: Entry, c: Canaries): string {
  const text = readFileSync(join(corpusDir, entry.file), 'utf8');
  return Object.entries(substitutions(c)).reduce((t, [k, v]) => t.replaceAll(k, v), text);
}

const isolation = sandboxIsolation();
const runnable = corpus.entries.filter((e) => e.needs === undefined || Boolean(isolation[e.needs]));
const unsafeHere = corpus.entries.filter((e) => !runnable.includes(e));

test('every corpus file is listed, and every entry is safe to run on this machine (or said loudly why not)', (t) => {
  const files = ['js', 'py'].flatMap((d) => readdirSync(join(corpusDir, d)).map((f) => `${d}/${f}`)).sort();
  t.deepEqual(corpus.entries.map((e) => e.file).sort(), files);
  if (unsafeHere.length > 0) t.log(`NOT RUN on this machine (the sandbox lacks what they need): ${unsafeHere.map((e) => `${e.file} (${e.needs})`).join(', ')}`);
  t.true(corpus.entries.length >= 24);
});

test('each hostile candidate is stopped or contained, recorded with its reason, and the host and the pool are untouched', async (t) => {
  const c = await setUpCanaries();
  const seed = problem.seedFiles;
  const pool = await EvaluationPool.open({ evaluatorPath: problem.evaluatorPath, descriptors: problem.descriptors, workers: 2, timeoutMs: 15_000, memoryLimitMb: 512, stages: problem.stages });
  try {
    const results: Array<[Entry, Evaluation]> = await Promise.all(runnable.map(async (entry, k) => {
      const target = entry.file.endsWith('.js') ? 'program.js' : 'solve.py';
      const files = { ...seed, [target]: candidate(entry, c) };
      return [entry, await pool.evaluate({ variantId: entry.file, files, params: {}, seed: 1000 + k, iteration: k + 1, problemDir: problem.dir })] as [Entry, Evaluation];
    }));
    for (const [entry, e] of results) {
      const got: [string, string | null] = [e.status, e.status === 'ok' ? null : e.reason];
      const shown = JSON.stringify(e);
      t.true(entry.expect.some(([status, reason]) => status === got[0] && reason === got[1]), `${entry.file} (${entry.attempt}): recorded as ${got.join(' ')}: ${shown.slice(0, 400)}`);
      if (entry.message !== undefined && e.status !== 'ok') t.regex(e.message, new RegExp(entry.message), `${entry.file}`);
      for (const secret of [c.secret, c.envSecret]) t.false(shown.includes(secret), `${entry.file} leaked a secret into its evaluation`);
      t.log(`${entry.file.padEnd(26)} ${entry.attempt.padEnd(52)} -> ${got.filter(Boolean).join(' ')} (${e.durationMs.toFixed(0)} ms)`);
    }
    // The host: nothing connected, nothing written next to the secret, no process left behind.
    t.deepEqual(c.findings(), []);
    // The pool: both workers serve the seed as before.
    const after = await Promise.all([0, 1].map((k) => pool.evaluate({ variantId: `seed-${k}`, files: seed, params: {}, seed: 7, iteration: 100 + k, problemDir: problem.dir })));
    t.deepEqual(after.map((e) => e.status), ['ok', 'ok']);
    t.is(after[0]!.status === 'ok' && after[1]!.status === 'ok' ? after[0]!.fitness : null, after[1]!.status === 'ok' ? after[1]!.fitness : undefined);
    t.is(pool.stats().workers, 2);
  } finally {
    await pool.close();
    await c.close();
  }
});
