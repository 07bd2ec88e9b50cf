// The gauntlet from the CLI: a search whose LLM answers with the hostile corpus runs to its budget, every
// worker alive, each attack recorded with its reason, and the host untouched.
import test from 'ava';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { setUpCanaries, substitutions } from '../../examples/gauntlet/canaries.js';
import { startHostileLlm } from '../../examples/gauntlet/hostile-llm.js';
import { committedIterations, root, runCli, tempDir } from '../helpers/cli.js';

const config = join(root, 'examples/gauntlet/config.json');

test('a search fed hostile candidates reaches its budget with the host untouched and every attack recorded with its reason', async (t) => {
  const canaries = await setUpCanaries();
  const llm = await startHostileLlm({ corpusDir: join(root, 'tests/hostile-corpus'), substitutions: substitutions(canaries) });
  const db = join(tempDir(), 'gauntlet.sqlite');
  try {
    // The CLI inherits this process's environment, the canary API key included.
    const r = await runCli(['run', config, '--db', db, '--base-url', llm.baseURL, '--workers', '2', '--max-iterations', '120', '--quiet']);
    t.is(r.code, 0, r.stderr);
    t.is(committedIterations(db), 120);
    t.regex(r.stdout, /best fitness 1\.0000 \(seed 0\.36667/);
    t.notRegex(r.stdout, /[01] of 2 workers alive/);
    const conn = new Database(db, { readonly: true });
    const reasons = Object.fromEntries((conn.prepare("SELECT reason, count(*) AS n FROM evaluations WHERE status != 'ok' GROUP BY reason").all() as Array<{ reason: string; n: number }>).map((x) => [x.reason, x.n]));
    const best = conn.prepare("SELECT e.fitness, e.private FROM archive_cells c JOIN evaluations e ON e.variant_id = c.variant_id ORDER BY c.fitness DESC LIMIT 1").get() as { fitness: number; private: string };
    conn.close();
    t.log(`reasons: ${JSON.stringify(reasons)}; hostile answers: ${JSON.stringify(llm.stats().hostile)}`);
    // The hostile LLM picks its answers by the request's seed alone, so the same attacks are served on every machine
    // (which limit stops an allocation first, memory or CPU time on a loaded machine, may vary; the attacks may not).
    const served = llm.stats().hostile;
    t.true(Object.keys(served).length >= 25, `only ${Object.keys(served).length} distinct attacks were served`);
    for (const reason of ['timeout', 'threw', 'no-result', 'cascade']) t.true((reasons[reason] ?? 0) > 0, `no evaluation was recorded as ${reason}`);
    // Every attack served whose corpus entry allows a single outcome left that outcome in the run.
    const { entries } = JSON.parse(readFileSync(join(root, 'tests/hostile-corpus/corpus.json'), 'utf8')) as { entries: Array<{ file: string; expect: Array<[string, string | null]> }> };
    for (const entry of entries.filter((e) => (served[e.file] ?? 0) > 0 && e.expect.length === 1 && e.expect[0]![1] !== null)) {
      const reason = entry.expect[0]![1]!;
      t.true((reasons[reason] ?? 0) > 0, `${entry.file} was served but no evaluation was recorded as ${reason}`);
    }
    // Held-out results are stored for people, never shown to the LLM.
    t.deepEqual(Object.keys(JSON.parse(best.private).metrics).sort(), ['heldOutJs', 'heldOutPy']);
    t.false(llm.requestsText().includes('heldOut'));
    t.deepEqual(canaries.findings([db, `${db}-wal`]), []);
    const status = await runCli(['status', db]);
    t.regex(status.stdout, /without a score, by reason: .*timeout \d+/);
  } finally {
    await llm.close();
    await canaries.close();
  }
});

test('the gauntlet runner plants its own canaries, runs the search and reports the host untouched', async (t) => {
  const db = join(tempDir(), 'runner.sqlite');
  const child = spawn(process.execPath, ['--import=tsx', join(root, 'examples/gauntlet/run-gauntlet.ts'), '--db', db, '--max-iterations', '20', '--workers', '2', '--quiet'], { cwd: root });
  let out = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  t.is(code, 0, out);
  t.regex(out, /stopped: iteration budget reached after 20 iterations/);
  t.regex(out, /the hostile LLM answered \d+ requests: \d+ honest fixes, \d+ hostile candidates/);
  t.regex(out, /host untouched: no connection reached the listener/);
});
