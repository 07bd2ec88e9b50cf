// `ouroboros tune` through the compiled CLI: bad tune configs are refused naming the file and field; a
// tune run gives the same archive with 1 and 2 workers and after a SIGKILL and --resume; the held-out
// comparison is stored, repeated by --validate, writes a config that `ouroboros run` accepts, and says
// plainly when tuning did not beat the base.
import test from 'ava';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { archiveOf, committedIterations, root, runCli, startCli, tempDir, untilCommitted } from '../helpers/cli.js';

const suite = join(root, 'examples/suite');
const tuneConfig = (over: Record<string, unknown> = {}) => ({
  base: join(suite, 'base.json'),
  seed: 3,
  problems: { train: [join(suite, 'sphere-20'), { problem: join(suite, 'arm-20'), qdOffset: -9.8696 }], heldOut: [join(suite, 'rastrigin-20')] },
  seeds: 1,
  budget: { iterations: 40 },
  metric: 'qd',
  space: {
    'operators.mutate.sigma': { type: 'float', min: 0.01, max: 1, log: true },
    'operators.mutate.rate': { type: 'float', min: 0.05, max: 1 },
    'selection.strategy': { type: 'categorical', values: ['uniform', 'tournament'] },
  },
  trials: 8,
  pipelineDepth: 2,
  validation: { seeds: 3, top: 2 },
  ...over,
});
const write = (dir: string, name: string, value: unknown) => {
  const file = join(dir, name);
  writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value));
  return file;
};
const storedValidation = (db: string) => {
  const conn = new Database(db, { readonly: true });
  try {
    return JSON.parse((conn.prepare("SELECT value FROM meta WHERE key = 'tuneValidation'").pluck().get() as string)) as { configs: Array<{ heldOut: Array<{ meanRatio: number; base: number[]; tuned: number[] }> }>; verdict: string; tunedFile: string };
  } finally {
    conn.close();
  }
};

test('bad tune configs are refused before anything runs, each problem naming the file and the field', async (t) => {
  const dir = tempDir();
  const cases: Array<[string, unknown, RegExp[]]> = [
    ['untunable.json', tuneConfig({ space: { 'archive.qdOffset': { type: 'float', min: 0, max: 1 }, 'operators.mutat.sigma': { type: 'float', min: 0.1, max: 1 } } }),
      [/untunable\.json: space\.archive\.qdOffset: not a tunable setting/, /untunable\.json: space\.operators\.mutat\.sigma: the base config has no operator named "mutat"/]],
    ['overlap.json', tuneConfig({ problems: { train: [join(suite, 'sphere-20')], heldOut: [join(suite, 'sphere-20')] } }),
      [/overlap\.json: problems\.heldOut\[0\]: sphere-20 is also a training problem/]],
    ['small.json', tuneConfig({ budget: { iterations: 5 } }), [/small\.json: budget\.iterations: too small to compare configs: an inner search needs at least 20 \(got 5\)/]],
    ['nobudget.json', tuneConfig({ budget: {} }), [/budget: give each inner search at least one of iterations, evaluations or tokens/]],
    ['typo.json', tuneConfig({ trails: 4 }), [/typo\.json: trails: unknown key \(did you mean "trials"\?\)/]],
    ['outside.json', tuneConfig({ space: { 'operators.mutate.sigma': { type: 'float', min: 0.5, max: 1 } } }), [/space\.operators\.mutate\.sigma: the base config's value 0\.15 is outside the space/]],
    ['missing.json', tuneConfig({ problems: { train: [join(suite, 'nowhere')], heldOut: [join(suite, 'rastrigin-20')] } }), [/problems\.train\[0\]: .*nowhere/]],
    ['corrupt.json', '{ "base": "./base.json", "seeds": 2,, }', [/corrupt\.json.*line 1/]],
  ];
  for (const [name, value, expected] of cases) {
    const r = await runCli(['tune', write(dir, name, value), '--db', join(dir, `${name}.sqlite`)]);
    t.is(r.code, 2, `${name}: ${r.stderr}`);
    for (const e of expected) t.regex(r.stderr, e, name);
  }
  const noArgs = await runCli(['tune']);
  t.is(noArgs.code, 2);
  t.regex(noArgs.stderr, /name a tune config \(or --validate <tune run database>\)/);
  // The same kind of usage check on `run` (it used to surface as an internal error, exit 1).
  const noConfig = await runCli(['run']);
  t.is(noConfig.code, 2);
  t.regex(noConfig.stderr, /^error: name a run config \(or --replay <run database>\)/);
});

test('a tune run is the same with 1 and 2 workers and after SIGKILL + --resume; its held-out comparison is stored, repeatable, and its tuned config runs', async (t) => {
  const dir = tempDir();
  const config = write(dir, 'tune.json', tuneConfig());
  const one = join(dir, 'one.sqlite');
  const two = join(dir, 'two.sqlite');
  const killed = join(dir, 'killed.sqlite');
  const r1 = await runCli(['tune', config, '--db', one, '--workers', '1', '--quiet']);
  t.is(r1.code, 0, r1.stderr);
  t.regex(r1.stdout, /held-out comparison \(qd, 3 fresh seeds, paired; ratio = tuned \/ base\)/);
  t.regex(r1.stdout, /rastrigin-20 +ratio \d\.\d{3}x {2}95% \[\d\.\d{3}, \d\.\d{3}\] {2}wins \d\/3/);
  const r2 = await runCli(['tune', config, '--db', two, '--workers', '2', '--quiet']);
  t.is(r2.code, 0, r2.stderr);
  t.deepEqual(archiveOf(two), archiveOf(one));
  t.is(committedIterations(one), 8);
  const v1 = storedValidation(one);
  t.deepEqual(storedValidation(two).configs, v1.configs);
  // A trial's score is its ratio to the base; the seed variant is the base config itself.
  const conn = new Database(one, { readonly: true });
  const seedFitness = conn.prepare('SELECT e.fitness FROM children c JOIN evaluations e ON e.variant_id = c.variant_id WHERE c.iteration = 0').pluck().get() as number;
  conn.close();
  t.true(Math.abs(seedFitness - 1) < 1e-12, `the base config scores ${seedFitness} against itself`);

  const run = startCli(['tune', config, '--db', killed, '--workers', '2', '--quiet']);
  await untilCommitted(killed, 3, run.done);
  run.child.kill('SIGKILL');
  await run.done;
  t.true(committedIterations(killed) < 8);
  const resumed = await runCli(['tune', config, '--db', killed, '--resume', '--quiet']);
  t.is(resumed.code, 0, resumed.stderr);
  t.deepEqual(archiveOf(killed), archiveOf(one));
  t.deepEqual(storedValidation(killed).configs, v1.configs);
  // The killed process's inner searches left their folders; the tune that ended the run removed them.
  t.false(existsSync(join(`${killed.replace(/\.sqlite$/, '')}.tune`, 'scratch')), 'the scratch folder is removed once the tune has ended');

  const again = await runCli(['tune', '--validate', one, '--workers', '2']);
  t.is(again.code, 0, again.stderr);
  t.deepEqual(storedValidation(one).configs, v1.configs, '--validate repeats the same comparison');
  const tuned = JSON.parse(readFileSync(v1.tunedFile, 'utf8')) as { problem: string; operators: Array<{ sigma?: number }> };
  t.truthy(tuned.operators[0]!.sigma);
  const check = await runCli(['run', v1.tunedFile, '--db', join(dir, 'check.sqlite'), '--quiet', '--workers', '1', '--max-iterations', '30']);
  t.is(check.code, 0, check.stderr);
  const refused = await runCli(['tune', config, '--db', one]);
  t.is(refused.code, 3);
  t.regex(refused.stderr, /already exists; continue it with `ouroboros tune .* --resume`/);
});

test('when no setting changes the inner searches, the comparison says plainly that tuning did not beat the base', async (t) => {
  const dir = tempDir();
  const config = write(dir, 'flat.json', tuneConfig({
    // One island: migration never happens, so every config scores exactly as the base.
    space: { 'islands.migrationInterval': { type: 'int', min: 1, max: 500 } },
    trials: 3,
    validation: { seeds: 2, top: 1 },
  }));
  const r = await runCli(['tune', config, '--db', join(dir, 'flat.sqlite'), '--quiet']);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /rastrigin-20 +ratio 1\.000x {2}95% \[1\.000, 1\.000\] {2}wins 0\/2/);
  t.regex(r.stdout, /tuning did NOT beat the base config on the held-out problems/);
  t.regex(storedValidation(join(dir, 'flat.sqlite')).verdict, /did NOT beat/);
});

test('the combined mix (CMA-MAE emitters, iso+line and mutation under the bandit) is tuned over its emitter settings, and the tuned config runs', async (t) => {
  const dir = tempDir();
  const config = write(dir, 'mix.json', {
    ...tuneConfig({ base: join(suite, 'mix-base.json') }), trials: 4, budget: { evaluations: 300 }, validation: { seeds: 2, top: 1 },
    space: {
      'operators.mae.sigma0': { type: 'float', min: 0.005, max: 0.5, log: true },
      'operators.mae.emitters': { type: 'int', min: 1, max: 6 },
      'operators.mae.ranker': { type: 'categorical', values: ['improvement', 'two-stage-improvement'] },
      'operators.line.weight': { type: 'float', min: 0.1, max: 10, log: true },
    },
  });
  const db = join(dir, 'mix.sqlite');
  const r = await runCli(['tune', config, '--db', db, '--quiet']);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /rastrigin-20 +ratio \d/);
  const tuned = JSON.parse(readFileSync(storedValidation(db).tunedFile, 'utf8'));
  t.is(tuned.operators[0].type, 'param-cma-mae');
  t.true(typeof tuned.operators[0].sigma0 === 'number' && tuned.operators[0].emitters >= 1 && tuned.operators[0].emitters <= 6);
  const run = await runCli(['run', storedValidation(db).tunedFile, '--db', join(dir, 'tuned-run.sqlite'), '--max-iterations', '30', '--quiet']);
  t.is(run.code, 0, run.stderr);
  t.regex((await runCli(['status', join(dir, 'tuned-run.sqlite')])).stdout, /mae emitter 0: /);
});
