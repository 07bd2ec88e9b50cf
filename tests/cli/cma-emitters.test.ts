// CMA-ES emitters end to end, through the CLI on real runs: the same archive with any number of workers, after a
// SIGKILL and resume, and in a fork resumed to the end; their states are stored in the run, a few rows per emitter.
import test from 'ava';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { archiveOf, committedIterations, logOf, root, rowsOf, runCli, startCli, tempDir, untilCommitted } from '../helpers/cli.js';

const env = { SPHERE_BUSY_MS: '1', SPHERE_JITTER_MS: '4' };
const iterations = 90;

/** A mix of CMA-MAE emitters (on the soft archive) and iso+line under UCB1 credited per evaluation, with more generations in flight than emitters. */
function config(dir: string, extra: object = {}): string {
  const file = join(dir, 'cma.json');
  writeFileSync(file, JSON.stringify({
    problem: join(root, 'tests/fixtures/problems/sphere'), seed: 11, pipelineDepth: 5, budget: { iterations },
    operators: [
      { type: 'param-cma-mae', name: 'mae', weight: 3, emitters: 3, batchSize: 6, sigma0: 0.1 },
      { type: 'param-iso-line', weight: 1 },
    ],
    // Credited per evaluation: replay and fork must count each generation's children as the live run did.
    operatorChoice: { policy: 'ucb1', credit: 'evaluation' },
    archive: { rule: 'soft', soft: { learningRate: 0.05, thresholdMin: -40 } },
    ...extra,
  }));
  return file;
}

test('a CMA-MAE run gives the same archive and log with 1 or 2 workers, and stores a few emitter states', async (t) => {
  const dir = tempDir();
  const cfg = config(dir);
  const one = join(dir, 'one.sqlite');
  const two = join(dir, 'two.sqlite');
  t.is((await runCli(['run', cfg, '--db', one, '--workers', '1', '--quiet'], env)).code, 0);
  const r = await runCli(['run', cfg, '--db', two, '--workers', '2', '--quiet'], env);
  t.is(r.code, 0, r.stderr);
  t.deepEqual(archiveOf(one), archiveOf(two));
  t.deepEqual(logOf(one), logOf(two));
  const told = rowsOf<{ n: number }>(one, "SELECT count(*) AS n FROM iterations WHERE arm = 'mae' AND status = 'evaluated'")[0]!.n;
  t.true(told > 12, `the emitters ran ${told} generations`);
  // Each generation made batchSize children.
  const perGeneration = rowsOf<{ n: number }>(one, "SELECT count(*) AS n FROM children c JOIN iterations i USING (iteration) WHERE i.arm = 'mae' GROUP BY iteration");
  t.true(perGeneration.every((g) => g.n === 6));
  // A few rows per emitter: the window a resume needs (pipelineDepth 5), not one per generation.
  const rows = rowsOf<{ part: number; n: number }>(one, 'SELECT part, count(*) AS n FROM emitter_states GROUP BY part ORDER BY part');
  t.deepEqual(rows.map((p) => p.part), [0, 1, 2]);
  t.true(rows.every((p) => p.n <= 3), JSON.stringify(rows));
  const status = await runCli(['status', one]);
  t.regex(status.stdout, /mae emitter 0: generation \d+, sigma [\d.e-]+, \d+ restart/);
  t.regex(status.stdout, /arms \(ucb1, exploration 1\.414, discount 1, credit per evaluation\):/);
});

test('a CMA-MAE run killed with SIGKILL and resumed ends as the uninterrupted run', async (t) => {
  const dir = tempDir();
  const cfg = config(dir);
  const reference = join(dir, 'reference.sqlite');
  const killed = join(dir, 'killed.sqlite');
  t.is((await runCli(['run', cfg, '--db', reference, '--quiet'], env)).code, 0);
  // Slow evaluations, so that the kill lands in the middle however loaded the machine is.
  const slow = { SPHERE_BUSY_MS: '25', SPHERE_JITTER_MS: '4' };
  const { child, done } = startCli(['run', cfg, '--db', killed, '--quiet'], slow);
  await untilCommitted(killed, 30, done);
  child.kill('SIGKILL');
  t.is((await done).signal, 'SIGKILL');
  const landed = committedIterations(killed);
  t.true(landed < iterations, `the kill landed after ${landed} iterations`);
  const resumed = await runCli(['resume', killed, '--quiet'], env);
  t.is(resumed.code, 0, resumed.stderr);
  t.deepEqual(archiveOf(killed), archiveOf(reference));
  t.deepEqual(logOf(killed), logOf(reference));
});

test('a fork of a CMA-MAE run, resumed to the end, ends as the source; its export lists the same elites', async (t) => {
  const dir = tempDir();
  const cfg = config(dir);
  const source = join(dir, 'source.sqlite');
  const fork = join(dir, 'fork.sqlite');
  t.is((await runCli(['run', cfg, '--db', source, '--quiet'], env)).code, 0);
  const f = await runCli(['fork', source, '--at', '41', '--db', fork, '--create-only', '--quiet']);
  t.is(f.code, 0, f.stderr);
  const resumed = await runCli(['resume', fork, '--quiet'], env);
  t.is(resumed.code, 0, resumed.stderr);
  t.deepEqual(archiveOf(fork), archiveOf(source));
  t.deepEqual(logOf(fork), logOf(source));
  const exported = (db: string) => readFileSync(db.replace(/\.sqlite$/, '.elites.csv'), 'utf8').split('\n').slice(1).sort();
  t.deepEqual(exported(fork), exported(source));
});

test('param-cma-mae without the soft archive is refused naming the operator and the fix', async (t) => {
  const dir = tempDir();
  const cfg = config(dir, { archive: { rule: 'elitist' } });
  const r = await runCli(['run', cfg, '--db', join(dir, 'x.sqlite'), '--quiet']);
  t.is(r.code, 2);
  t.regex(r.stderr, /operators\[0\]: param-cma-mae ranks children against the soft archive's thresholds; set archive.rule to "soft"/);
});

test('CMA-ME emitters on an elitist grid run and fill the archive beyond the seed', async (t) => {
  const dir = tempDir();
  const cfg = config(dir, { operators: [{ type: 'param-cma-me', weight: 1, emitters: 2 }], archive: { rule: 'elitist' } });
  const db = join(dir, 'me.sqlite');
  const r = await runCli(['run', cfg, '--db', db, '--quiet'], env);
  t.is(r.code, 0, r.stderr);
  const status = JSON.parse((await runCli(['status', db, '--json'])).stdout);
  t.true(status.archive.filledCells > 10, `${status.archive.filledCells} cells`);
});
