import test from 'ava';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { root, runCli, tempDir } from '../helpers/cli.js';

const sphereConfig = join(root, 'tests/fixtures/configs/sphere.json');

test('candidates that loop forever or throw are recorded with their reason and the run reaches its budget', async (t) => {
  const dir = tempDir();
  const db = join(dir, 'r.sqlite');
  const config = join(dir, 'c.json');
  const { writeFileSync, readFileSync } = await import('node:fs');
  const base = JSON.parse(readFileSync(sphereConfig, 'utf8'));
  writeFileSync(config, JSON.stringify({ ...base, problem: join(root, 'tests/fixtures/problems/sphere'), evaluation: { timeoutMs: 300 } }));
  // Every variant with n = 16 hangs in while(true); every one with n = 14 throws.
  const result = await runCli(['run', config, '--db', db, '--quiet', '--max-iterations', '150'], { SPHERE_HANG_N: '16', SPHERE_THROW_N: '14' });
  t.is(result.code, 0, result.stderr);
  const conn = new Database(db, { readonly: true });
  const rows = conn.prepare('SELECT status, reason, message FROM evaluations WHERE status != ?').all('ok') as Array<{ status: string; reason: string; message: string }>;
  const iterations = conn.prepare('SELECT count(*) FROM iterations').pluck().get();
  const zeroFitness = conn.prepare("SELECT count(*) FROM evaluations WHERE status != 'ok' AND fitness IS NOT NULL").pluck().get();
  conn.close();
  t.is(iterations, 150);
  const timeouts = rows.filter((r) => r.status === 'timeout');
  const threw = rows.filter((r) => r.status === 'failed' && r.reason === 'threw');
  t.true(timeouts.length > 0, 'some candidate hung');
  t.true(threw.length > 0, 'some candidate threw');
  t.regex(timeouts[0]!.message, /exceeded 300 ms; its worker was terminated and replaced/);
  t.regex(threw[0]!.message, /n=14 is cursed/);
  t.is(zeroFitness, 0, 'a failure never carries a fitness');
  const status = await runCli(['status', db, '--json']);
  const s = JSON.parse(status.stdout);
  t.is(s.evaluationsByStatus.timeout, timeouts.length);
  for (const key of ['iterations', 'evaluations']) t.is(typeof s[key], 'number', key);
  t.is(typeof s.archive.filledCells, 'number');
  t.is(typeof s.archive.coverage, 'number');
  t.is(typeof s.archive.qdScore, 'number');
  t.is(typeof s.best.id, 'string');
  t.is(typeof s.best.fitness, 'number');
});

test('a seed variant that fails its evaluation stops the run with the reason, and so does a resume', async (t) => {
  const db = join(tempDir(), 'r.sqlite');
  const env = { SPHERE_THROW_N: '17' }; // the seed has n = 17
  const run = await runCli(['run', sphereConfig, '--db', db, '--quiet'], env);
  t.is(run.code, 4, run.stderr);
  t.regex(run.stderr, /the seed variant could not enter the archive, so the search cannot start: failed \(threw\): Error: n=17 is cursed/);
  const resumed = await runCli(['resume', db, '--quiet'], env);
  t.is(resumed.code, 4, resumed.stderr);
  t.regex(resumed.stderr, /the seed variant could not enter the archive/);
  const show = await runCli(['status', db, '--json']);
  t.is(JSON.parse(show.stdout).evaluationsByStatus.failed, 1, 'the failed seed evaluation is kept for inspection');
});
