// Every archive kind through the real CLI: CVT, soft and novelty archives, categorical descriptors, islands with
// full migration and stagnation resets; each deterministic for 1 and 2 workers and identical after a resume.
import test from 'ava';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { root, runCli, tempDir } from '../helpers/cli.js';

const sphere = join(root, 'tests/fixtures/problems/sphere');
const shape = join(root, 'tests/fixtures/problems/sphere-shape');

const cases: Array<{ name: string; problem: string; archive: object; islands?: object; selection?: object }> = [
  { name: 'cvt', problem: sphere, archive: { layout: 'cvt', cvt: { cells: 30, iterations: 10 } }, selection: { strategy: 'rank', exponent: 1.5 } },
  { name: 'soft-grid', problem: sphere, archive: { rule: 'soft', soft: { learningRate: 0.3, thresholdMin: -60 } }, selection: { strategy: 'score-children' } },
  { name: 'novelty-cvt', problem: sphere, archive: { layout: 'cvt', cvt: { cells: 20 }, rule: 'novelty', novelty: { neighbours: 3, threshold: 0.08 } }, selection: { strategy: 'novelty' } },
  { name: 'categorical', problem: shape, archive: {}, islands: { count: 3, migrationInterval: 10, migrationRate: 2, topology: 'full', stagnation: 4, survivors: 2 }, selection: { strategy: 'fitness-proportional' } },
];

function config(dir: string, c: (typeof cases)[number], iterations: number): string {
  const file = join(dir, `${c.name}-${iterations}.json`);
  writeFileSync(file, JSON.stringify({
    problem: c.problem, seed: 11, pipelineDepth: 3, budget: { iterations },
    operators: [{ type: 'param-mutation', weight: 3, sigma: 0.4 }, { type: 'param-crossover', weight: 1 }],
    islands: c.islands ?? { count: 2, migrationInterval: 20 }, archive: { ...c.archive, metricsInterval: 10 }, selection: c.selection ?? { strategy: 'uniform' },
  }));
  return file;
}

type Cell = { island: number; cell: number; variant_id: string; fitness: number; threshold: number | null };
function cells(db: string): { cells: Cell[]; resets: unknown[]; children: unknown[] } {
  const conn = new Database(db, { readonly: true });
  try {
    return {
      cells: conn.prepare('SELECT island, cell, variant_id, fitness, threshold FROM archive_cells ORDER BY island, cell').all() as Cell[],
      resets: conn.prepare('SELECT * FROM island_resets ORDER BY iteration, island').all(),
      children: conn.prepare('SELECT iteration, child_index, variant_id, add_status, cell FROM children ORDER BY iteration, child_index').all(),
    };
  } finally {
    conn.close();
  }
}

for (const c of cases) {
  test(`${c.name}: the same archive with 1 and 2 workers and after a resume; status names the archive`, async (t) => {
    const dir = tempDir();
    const one = join(dir, 'one.sqlite');
    const two = join(dir, 'two.sqlite');
    const split = join(dir, 'split.sqlite');
    const run1 = await runCli(['run', config(dir, c, 60), '--db', one, '--workers', '1', '--quiet']);
    t.is(run1.code, 0, run1.stderr);
    t.is((await runCli(['run', config(dir, c, 60), '--db', two, '--workers', '2', '--quiet'])).code, 0);
    t.is((await runCli(['run', config(dir, c, 25), '--db', split, '--workers', '2', '--quiet'])).code, 0);
    t.is((await runCli(['resume', split, '--max-iterations', '60', '--workers', '1', '--quiet'])).code, 0);
    const reference = cells(one);
    t.true(reference.cells.length > 3, `${reference.cells.length} cells filled`);
    t.deepEqual(cells(two), reference);
    t.deepEqual(cells(split), reference);
    const status = JSON.parse((await runCli(['status', one, '--json'])).stdout);
    t.is(status.archive.filledCells, new Set(reference.cells.map((x) => x.cell)).size);
    const text = (await runCli(['status', one])).stdout;
    t.regex(text, /archive \((cvt|grid|soft over grid|novelty over cvt)\)/);
    if (c.name === 'soft-grid') t.true(reference.cells.some((x) => x.threshold !== null && x.threshold < x.fitness), 'soft thresholds lag behind the elites');
    if (c.name === 'categorical') {
      t.true(reference.resets.length > 0, 'a stagnant island was reset');
      // 8 x bins times 3 shapes: every stored cell is one of the 24.
      t.true(reference.cells.every((x) => x.cell >= 0 && x.cell < 24));
      t.is(status.archive.totalCells, 24);
    }
  });
}

test('a soft archive whose minimum threshold no child beats still searches: parents come from its result archive', async (t) => {
  const dir = tempDir();
  const db = join(dir, 'strict.sqlite');
  // Every sphere fitness is below 0, so the soft archive never accepts anything.
  const c = { name: 'strict', problem: sphere, archive: { rule: 'soft', soft: { learningRate: 0.5, thresholdMin: 0 } } };
  const run = await runCli(['run', config(dir, c, 40), '--db', db, '--workers', '2', '--quiet']);
  t.is(run.code, 0, run.stderr);
  const stored = cells(db);
  t.true(stored.cells.length > 3, 'the result archive filled');
  t.true(stored.cells.every((x) => x.threshold === null || x.threshold === 0));
});
