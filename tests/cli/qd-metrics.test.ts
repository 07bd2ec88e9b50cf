// QD metrics over time: stored every archive.metricsInterval iterations, per island and overall, deterministic over resume.
import test from 'ava';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { root, runCli, tempDir } from '../helpers/cli.js';

function config(dir: string, iterations: number): string {
  const file = join(dir, `config-${iterations}.json`);
  writeFileSync(file, JSON.stringify({
    problem: join(root, 'tests/fixtures/problems/sphere'),
    seed: 5,
    pipelineDepth: 4,
    budget: { iterations },
    operators: [{ type: 'param-mutation', weight: 1, sigma: 0.3 }],
    islands: { count: 2, migrationInterval: 15 },
    archive: { qdOffset: -50, metricsInterval: 7 },
  }));
  return file;
}

type Row = { iteration: number; island: number; filled_cells: number; coverage: number; qd_score: number; normalized_qd_score: number; best_fitness: number; mean_fitness: number };
function rows(db: string): Row[] {
  const conn = new Database(db, { readonly: true });
  try {
    return conn.prepare('SELECT * FROM qd_metrics ORDER BY iteration, island').all() as Row[];
  } finally {
    conn.close();
  }
}

test('QD metrics are stored every metricsInterval iterations for each island and overall, match the archive, and survive a resume unchanged', async (t) => {
  const dir = tempDir();
  const whole = join(dir, 'whole.sqlite');
  const split = join(dir, 'split.sqlite');
  t.is((await runCli(['run', config(dir, 50), '--db', whole, '--workers', '2', '--quiet'])).code, 0);
  const stored = rows(whole);
  // Iterations 0, 7, ..., 49: islands -1 (overall), 0 and 1.
  t.deepEqual([...new Set(stored.map((r) => r.iteration))], [0, 7, 14, 21, 28, 35, 42, 49]);
  t.true(stored.every((r) => [-1, 0, 1].includes(r.island)));
  t.is(stored.length, 8 * 3);
  const overall = stored.filter((r) => r.island === -1);
  for (let k = 1; k < overall.length; k++) {
    // Elitist islands: coverage and QD score never go down.
    t.true(overall[k]!.coverage >= overall[k - 1]!.coverage);
    t.true(overall[k]!.qd_score >= overall[k - 1]!.qd_score - 1e-9);
  }
  for (const r of stored) t.is(r.normalized_qd_score, r.qd_score / 48);
  // The last row is the archive as the run ended (49 is the last iteration).
  const status = await runCli(['status', whole, '--json']);
  const s = JSON.parse(status.stdout);
  t.is(overall.at(-1)!.filled_cells, s.archive.filledCells);
  t.is(overall.at(-1)!.qd_score, s.archive.qdScore);
  const text = await runCli(['status', whole]);
  t.regex(text.stdout, /over time: it 0: 1 cells, QD [\d.]+, best [-\d.]+ \| .* \| it 49: \d+ cells/);

  t.is((await runCli(['run', config(dir, 20), '--db', split, '--workers', '1', '--quiet'])).code, 0);
  t.is((await runCli(['resume', split, '--max-iterations', '50', '--workers', '2', '--quiet'])).code, 0);
  t.deepEqual(rows(split), stored);
});
