// `ouroboros fork`: a run's state at an iteration, rebuilt from the log into a new database, with the same or a changed config.
import test from 'ava';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { startMutatingLlm } from '../../examples/loopback-llm/mutating-llm-server.js';
import { root, runCli, tempDir } from '../helpers/cli.js';

const sphere = join(root, 'tests/fixtures/problems/sphere');

function config(dir: string, name: string, extra: Record<string, unknown> = {}): string {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify({
    problem: sphere, seed: 3, pipelineDepth: 4, budget: { iterations: 80 },
    operators: [{ type: 'param-mutation', weight: 2, sigma: 0.3 }, { type: 'param-crossover', weight: 1 }],
    islands: { count: 2, migrationInterval: 10 }, archive: { metricsInterval: 10 },
    ...extra,
  }));
  return file;
}

function query<T>(db: string, sql: string): T[] {
  const conn = new Database(db, { readonly: true });
  try {
    return conn.prepare(sql).all() as T[];
  } finally {
    conn.close();
  }
}

const cells = (db: string) => query(db, 'SELECT island, cell, variant_id, fitness, threshold FROM archive_cells ORDER BY island, cell');
const log = (db: string) => query(db, 'SELECT c.iteration, c.child_index, c.variant_id, c.add_status, c.cell, i.arm, i.reward FROM children c JOIN iterations i USING (iteration) ORDER BY c.iteration, c.child_index');

test('a fork with the source\'s settings, run on to the same budget, ends with the uninterrupted run\'s archive and log; the source is untouched', async (t) => {
  const dir = tempDir();
  const source = join(dir, 'source.sqlite');
  const fork = join(dir, 'fork.sqlite');
  t.is((await runCli(['run', config(dir, 'base'), '--db', source, '--workers', '2', '--quiet'])).code, 0);
  const before = readFileSync(source);
  const out = await runCli(['fork', source, '--at', '35', '--db', fork, '--workers', '1', '--quiet']);
  t.is(out.code, 0, out.stderr);
  t.regex(out.stdout, /forked .*source\.sqlite at iteration 35 into .*fork\.sqlite: 35 iterations kept, archive rebuilt from the log \(\d+ cells\)/);
  t.regex(out.stdout, /settings: the source's/);
  t.deepEqual(cells(fork), cells(source));
  t.deepEqual(log(fork), log(source));
  t.deepEqual(query(fork, 'SELECT * FROM qd_metrics ORDER BY iteration, island'), query(source, 'SELECT * FROM qd_metrics ORDER BY iteration, island'));
  t.deepEqual(readFileSync(source), before, 'the source database is not written');
  const meta = query<{ value: string }>(fork, "SELECT value FROM meta WHERE key = 'forkOf'")[0]!;
  t.deepEqual(JSON.parse(meta.value), { source, at: 35, changes: [], rebinned: false });
});

test('a fork with changed tunable settings records the changes, keeps the first N iterations as they were, and runs on', async (t) => {
  const dir = tempDir();
  const source = join(dir, 'source.sqlite');
  const fork = join(dir, 'fork.sqlite');
  t.is((await runCli(['run', config(dir, 'base'), '--db', source, '--workers', '2', '--quiet'])).code, 0);
  const tuned = config(dir, 'tuned', {
    budget: { iterations: 120 }, selection: { strategy: 'rank', exponent: 2 },
    operators: [{ type: 'param-mutation', weight: 1, sigma: 0.1 }, { type: 'param-crossover', weight: 3 }],
    islands: { count: 2, migrationInterval: 5, topology: 'full' },
  });
  const out = await runCli(['fork', source, '--at', '40', '--config', tuned, '--db', fork, '--workers', '2', '--quiet']);
  t.is(out.code, 0, out.stderr);
  t.regex(out.stdout, /settings changed \(recorded in the new run\):/);
  for (const line of ['budget.iterations: 80 -> 120', 'selection.strategy: "uniform" -> "rank"', 'islands.migrationInterval: 10 -> 5', 'islands.topology: "ring" -> "full"', 'operators: ']) t.true(out.stdout.includes(line), line);
  const kept = (db: string) => query(db, 'SELECT iteration, child_index, variant_id FROM children WHERE iteration < 40 ORDER BY iteration, child_index');
  t.deepEqual(kept(fork), kept(source), 'the kept iterations made the same children');
  t.is(query<{ n: number }>(fork, 'SELECT count(*) AS n FROM iterations')[0]!.n, 120);
  const forkOf = JSON.parse(query<{ value: string }>(fork, "SELECT value FROM meta WHERE key = 'forkOf'")[0]!.value);
  t.true(forkOf.changes.includes('selection.strategy: "uniform" -> "rank"'));
  t.false(forkOf.rebinned);
});

test('a fork into a different archive re-bins every stored variant: each cell holds the best kept evaluation that lands there', async (t) => {
  const dir = tempDir();
  const source = join(dir, 'source.sqlite');
  const fork = join(dir, 'fork.sqlite');
  t.is((await runCli(['run', config(dir, 'base', { islands: { count: 1 } }), '--db', source, '--workers', '2', '--quiet'])).code, 0);
  const cvt = config(dir, 'cvt', { islands: { count: 1 }, archive: { layout: 'cvt', cvt: { centroids: 'centroids.json' } } });
  // Four centroids in (x, n) space: the corners' quarters of [-5, 5] x [0, 20].
  const centroids = [[-2.5, 5], [-2.5, 15], [2.5, 5], [2.5, 15]];
  writeFileSync(join(dir, 'centroids.json'), JSON.stringify(centroids));
  const out = await runCli(['fork', source, '--at', '50', '--config', cvt, '--db', fork, '--create-only']);
  t.is(out.code, 0, out.stderr);
  t.regex(out.stdout, /every stored variant re-binned into the new archive/);
  t.regex(out.stdout, /continue it with: ouroboros resume/);
  const evaluations = query<{ variant_id: string; fitness: number; descriptors: string }>(source, "SELECT variant_id, fitness, descriptors FROM evaluations WHERE status = 'ok' AND iteration < 50 ORDER BY iteration");
  const expected = new Map<number, { variant_id: string; fitness: number }>();
  for (const e of evaluations) {
    const [x, n] = JSON.parse(e.descriptors) as number[];
    const nearest = centroids.map(([cx, cn], k) => [((x! - cx!) / 10) ** 2 + ((n! - cn!) / 20) ** 2, k] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1])[0]![1];
    const incumbent = expected.get(nearest);
    if (incumbent === undefined || e.fitness > incumbent.fitness) expected.set(nearest, { variant_id: e.variant_id, fitness: e.fitness });
  }
  t.deepEqual(query(fork, 'SELECT cell, variant_id, fitness FROM archive_cells ORDER BY cell'), [...expected].sort((a, b) => a[0] - b[0]).map(([cell, e]) => ({ cell, ...e })));
  t.true(JSON.parse(query<{ value: string }>(fork, "SELECT value FROM meta WHERE key = 'forkOf'")[0]!.value).rebinned);
  t.is((await runCli(['resume', fork, '--max-iterations', '70', '--quiet'])).code, 0);
  t.is(JSON.parse((await runCli(['status', fork, '--json'])).stdout).archive.kind, 'cvt');
});

test('fork refuses bad input with exit code 2, naming the field, and writes nothing', async (t) => {
  const dir = tempDir();
  const source = join(dir, 'source.sqlite');
  t.is((await runCli(['run', config(dir, 'base', { budget: { iterations: 20 } }), '--db', source, '--workers', '2', '--quiet'])).code, 0);
  const cases: Array<[string[], RegExp]> = [
    [['--at', '21'], /--at: must be an integer from 1 to 20: .* has 20 committed iterations/],
    [['--at', '0'], /--at must be a positive integer/],
    [['--at', '10', '--config', config(dir, 'islands', { islands: { count: 3 } })], /islands\.count: 3 differs from the source's 2/],
    [['--at', '10', '--config', config(dir, 'arms', { operators: [{ type: 'param-mutation', weight: 1 }] })], /operators: the kept iterations used the arm "param-crossover", which this config lacks/],
    [['--at', '10', '--config', config(dir, 'shape', { problem: join(root, 'tests/fixtures/problems/sphere-shape') })], /problem\.json[\s\S]*descriptors: \[x, shape\] differs from the source's \[x, n\]/],
    [['--at', '10', '--db', source], /already exists|not the source itself/],
  ];
  for (const [args, message] of cases) {
    const db = args.includes('--db') ? [] : ['--db', join(dir, 'never.sqlite')];
    const out = await runCli(['fork', source, ...args, ...db]);
    t.is(out.code, 2, `${args.join(' ')}: ${out.stderr}`);
    t.regex(out.stderr, message);
  }
  t.is(query(join(dir, 'source.sqlite'), 'SELECT * FROM iterations').length, 20);
  t.throws(() => readFileSync(join(dir, 'never.sqlite')), undefined, 'no fork database is left behind');
});

test('a fork of an LLM run with unchanged settings asks the endpoint nothing and ends with the source\'s archive', async (t) => {
  const server = await startMutatingLlm();
  t.teardown(() => server.close());
  const dir = tempDir();
  const file = join(dir, 'llm.json');
  writeFileSync(file, JSON.stringify({
    problem: join(root, 'examples/circle-packing'), seed: 4, pipelineDepth: 4, budget: { iterations: 30 },
    llm: { models: [{ name: 'loopback-mutator' }], maxInFlight: 4 }, operators: [{ type: 'llm-diff', weight: 1 }],
  }));
  const source = join(dir, 'source.sqlite');
  t.is((await runCli(['run', file, '--db', source, '--quiet', '--base-url', server.baseURL])).code, 0);
  const asked = server.stats().requests;
  const fork = join(dir, 'fork.sqlite');
  const out = await runCli(['fork', source, '--at', '12', '--db', fork, '--quiet']);
  t.is(out.code, 0, out.stderr);
  t.is(server.stats().requests, asked, 'every answer came from the copied ledger');
  t.deepEqual(cells(fork), cells(source));
});
