// The HTML report and the live dashboard in headless chromium, on real runs: the heatmap draws one mark per
// elite, the curves one point per stored QD row, nothing is fetched from the network, and the live page
// follows a search as it commits. Screenshots go to test-artifacts/.
import { unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Page } from 'playwright-core';
import { startMutatingLlm } from '../../examples/loopback-llm/mutating-llm-server.js';
import { root, runCli, startCli, tempDir } from '../helpers/cli.js';
import { artifacts, browserTest, launch } from '../helpers/browser.js';

const sphere = join(root, 'tests/fixtures/problems/sphere');

function config(dir: string, name: string, iterations: number, extra: object = {}): string {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify({
    problem: sphere, seed: 2, pipelineDepth: 4, budget: { iterations },
    operators: [{ type: 'param-mutation', weight: 3, sigma: 0.3 }, { type: 'param-crossover', weight: 1 }],
    islands: { count: 2, migrationInterval: 20 }, archive: { metricsInterval: 5 }, ...extra,
  }));
  return file;
}

function stored(db: string): { qdRows: number; islandRows: number[]; iterations: number } {
  const conn = new Database(db, { readonly: true });
  try {
    const count = (island: number) => (conn.prepare('SELECT count(*) AS n FROM qd_metrics WHERE island = ?').get(island) as { n: number }).n;
    return { qdRows: count(-1), islandRows: [count(0), count(1)], iterations: (conn.prepare('SELECT count(*) AS n FROM iterations').get() as { n: number }).n };
  } finally {
    conn.close();
  }
}

/** Counts what the page drew, and every request it made that was not its own file or server. */
async function drawn(page: Page) {
  return {
    cells: await page.locator('svg#heatmap .cell').count(),
    curve: Number(await page.getAttribute('#curve-best polyline.overall', 'data-count')),
    islandCurves: await page.locator('#curve-qd polyline.island').evaluateAll((lines) => lines.map((l) => Number(l.getAttribute('data-count')))),
    eliteRows: await page.locator('#elites tbody tr').count(),
  };
}

browserTest('the report of a grid run opens offline and draws one cell per elite and one curve point per stored row', async (t) => {
  const dir = tempDir();
  const db = join(dir, 'grid.sqlite');
  t.is((await runCli(['run', config(dir, 'grid', 120), '--db', db, '--workers', '2', '--quiet'])).code, 0);
  const out = join(dir, 'grid.html');
  const report = await runCli(['report', db, '--out', out]);
  t.is(report.code, 0, report.stderr);
  const status = JSON.parse((await runCli(['status', db, '--json'])).stdout);
  const browser = await launch();
  try {
    const page = await browser.newPage({ viewport: { width: 1300, height: 1600 } });
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('request', (r) => { if (!r.url().startsWith('file://')) requests.push(r.url()); });
    await page.goto(`file://${out}`);
    const d = await drawn(page);
    const s = stored(db);
    t.is(d.cells, status.archive.filledCells);
    t.true(d.cells > 5);
    t.is(d.eliteRows, status.archive.filledCells);
    t.is(d.curve, s.qdRows);
    t.deepEqual(d.islandCurves, s.islandRows);
    t.deepEqual(errors, []);
    t.deepEqual(requests, [], 'the report needs no network');
    // Hovering a cell shows its details; its link leads to the elite's row.
    const first = page.locator('svg#heatmap .cell').first();
    const id = await first.getAttribute('data-variant');
    await first.hover();
    t.regex(await page.locator('#tooltip').innerText(), new RegExp(`${id}\\nfitness `));
    await first.click();
    t.is(await page.evaluate(() => location.hash), `#elite-${id}`);
    await page.screenshot({ path: join(artifacts, 'report-grid.png'), fullPage: true });
  } finally {
    await browser.close();
  }
});

browserTest('the report of a CVT run draws one filled centroid per elite and the lineage with its diffs', async (t) => {
  const dir = tempDir();
  const db = join(dir, 'cvt.sqlite');
  t.is((await runCli(['run', config(dir, 'cvt', 100, { islands: { count: 1 }, archive: { layout: 'cvt', cvt: { cells: 40 }, metricsInterval: 10 } }), '--db', db, '--workers', '2', '--quiet'])).code, 0);
  const out = join(dir, 'cvt.html');
  t.is((await runCli(['report', db, '--out', out])).code, 0);
  const status = JSON.parse((await runCli(['status', db, '--json'])).stdout);
  const browser = await launch();
  try {
    const page = await browser.newPage({ viewport: { width: 1300, height: 1600 } });
    await page.goto(`file://${out}`);
    t.is(await page.locator('svg#heatmap circle.cell').count(), status.archive.filledCells);
    t.is(await page.locator('svg#heatmap circle.empty').count(), 40 - status.archive.filledCells);
    t.is(Number(await page.getAttribute('#curve-best polyline.overall', 'data-count')), stored(db).qdRows);
    // The lineage ends at the best variant, and each step after the seed shows the change to params.json.
    const steps = page.locator('#lineage-host details.step');
    t.true((await steps.count()) >= 2);
    t.regex(await steps.last().locator('summary').innerText(), new RegExp(`^best: ${status.best.id}`));
    t.regex(await steps.last().innerText(), /params\.json \(changed\)/);
    await page.screenshot({ path: join(artifacts, 'report-cvt.png'), fullPage: true });
  } finally {
    await browser.close();
  }
});

browserTest('the live dashboard follows a search as it commits and ends showing the finished archive', async (t) => {
  const dir = tempDir();
  const db = join(dir, 'live.sqlite');
  // The evaluator holds the search after 250 evaluations while the gate file exists, so the page is seen in
  // the middle of the run however fast or slow this machine is.
  const gate = join(dir, 'gate');
  writeFileSync(gate, '');
  const search = startCli(['run', config(dir, 'live', 700, { evaluation: { timeoutMs: 3_600_000 } }), '--db', db, '--workers', '1', '--quiet'],
    { SPHERE_BUSY_MS: '2', SPHERE_GATE_FILE: gate, SPHERE_GATE_AFTER: '250' });
  // The dashboard starts once the run's database is there (retrying while it is being created).
  let serve: ReturnType<typeof startCli> | undefined;
  let url: string | undefined;
  for (let attempt = 0; attempt < 100 && url === undefined; attempt++) {
    await new Promise((r) => setTimeout(r, 100));
    serve = startCli(['serve', db, '--port', '0', '--interval', '250']);
    url = await new Promise<string | undefined>((resolve) => {
      let text = '';
      serve!.child.stdout!.on('data', (b: Buffer) => { text += b.toString(); const m = /at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(text); if (m) resolve(m[1]); });
      serve!.done.then(() => resolve(undefined));
    });
  }
  t.truthy(url, 'the dashboard started');
  let finished = false;
  void search.done.then(() => { finished = true; });
  const browser = await launch();
  try {
    const page = await browser.newPage({ viewport: { width: 1300, height: 1600 } });
    await page.goto(url!);
    await page.waitForFunction(() => Number(document.body.getAttribute('data-iterations') ?? 0) > 0, undefined, { timeout: 300_000 });
    const middle = Number(await page.getAttribute('body', 'data-iterations'));
    t.false(finished, 'the search is held at the gate');
    t.true(middle > 0 && middle < 700, `the page showed ${middle} iterations while the search was held`);
    t.notRegex(await page.locator('#meta').innerText(), /finished/);
    unlinkSync(gate);
    t.is((await search.done).code, 0);
    await page.waitForFunction(() => document.body.getAttribute('data-iterations') === '700', undefined, { timeout: 60_000 });
    await page.waitForFunction(() => document.getElementById('meta')?.textContent?.includes('finished'), undefined, { timeout: 60_000 });
    const status = JSON.parse((await runCli(['status', db, '--json'])).stdout);
    const d = await drawn(page);
    t.is(d.cells, status.archive.filledCells);
    t.is(d.curve, stored(db).qdRows);
    // An elite's link serves its files, evaluation and lineage.
    const id = await page.locator('svg#heatmap .cell').first().getAttribute('data-variant');
    const variant = await (await page.request.get(new URL(`variant/${id}`, url).href)).json();
    t.is(variant.variant.id, id);
    t.is(variant.evaluation.status, 'ok');
    await page.screenshot({ path: join(artifacts, 'dashboard-live.png'), fullPage: true });
  } finally {
    await browser.close();
    if (!finished) search.child.kill('SIGKILL');
    serve?.child.kill('SIGINT');
    await serve?.done;
  }
});

browserTest('with three descriptors the heatmap shows the two chosen, each square the best of the cells projected onto it', async (t) => {
  const dir = tempDir();
  const db = join(dir, 'three.sqlite');
  t.is((await runCli(['run', config(dir, 'three', 150, { problem: join(root, 'tests/fixtures/problems/sphere-3d'), islands: { count: 1 } }), '--db', db, '--workers', '2', '--quiet'])).code, 0);
  const out = join(dir, 'three.html');
  t.is((await runCli(['report', db, '--out', out])).code, 0);
  const conn = new Database(db, { readonly: true });
  const cells = (conn.prepare('SELECT cell FROM archive_cells').all() as Array<{ cell: number }>).map((r) => r.cell);
  conn.close();
  // Row-major over bins [6, 4, 3], the last dimension fastest.
  const bins = (cell: number) => [Math.floor(cell / 12), Math.floor(cell / 3) % 4, cell % 3];
  const projected = (a: number, b: number) => new Set(cells.map((c) => `${bins(c)[a]},${bins(c)[b]}`)).size;
  const browser = await launch();
  try {
    const page = await browser.newPage({ viewport: { width: 1300, height: 1600 } });
    await page.goto(`file://${out}`);
    t.is(await page.locator('svg#heatmap .cell').count(), projected(0, 1), 'x by n');
    // Each square sits at its cell's bins: x across 6 bins of 82 px from 56, n up 4 bins of 91.5 px from the bottom (y = 10 + (3 - bin) * 91.5).
    for (const square of await page.locator('svg#heatmap rect.cell').all()) {
      const b = bins(Number(await square.getAttribute('data-cell')));
      t.is(Number(await square.getAttribute('x')), 56 + b[0]! * 82);
      t.is(Number(await square.getAttribute('y')), 10 + (3 - b[1]!) * 91.5);
    }
    t.regex(await page.locator('#heatmap-note').innerText(), new RegExp(`each shows the best of the elites whose cells project onto it \\(${cells.length} elites in all\\)`));
    await page.selectOption('#axis-y', '2');
    t.is(await page.locator('svg#heatmap .cell').count(), projected(0, 2), 'x by shape');
    const labels = await page.locator('svg#heatmap text').evaluateAll((nodes) => nodes.map((n) => n.textContent));
    t.true(labels.includes('"round"') && labels.includes('"spiky"') && labels.includes('shape'), `a categorical axis is labelled with its values: ${labels.join(' | ')}`);
    await page.screenshot({ path: join(artifacts, 'report-three-descriptors.png'), fullPage: true });
  } finally {
    await browser.close();
  }
});

browserTest('the report of an LLM run draws its cumulative tokens and cost, one point per iteration that called the LLM, ending at the ledger\'s totals', async (t) => {
  const server = await startMutatingLlm();
  t.teardown(() => server.close());
  const dir = tempDir();
  const file = join(dir, 'llm.json');
  writeFileSync(file, JSON.stringify({
    problem: join(root, 'examples/circle-packing'), seed: 3, pipelineDepth: 4, budget: { iterations: 24 },
    llm: { models: [{ name: 'loopback-mutator', price: { inputPerMillion: 1, outputPerMillion: 4 } }], maxInFlight: 4 },
    operators: [{ type: 'llm-diff', weight: 3 }, { type: 'llm-rewrite', weight: 1 }], archive: { metricsInterval: 4 },
  }));
  const db = join(dir, 'llm.sqlite');
  const run = await runCli(['run', file, '--db', db, '--quiet', '--base-url', server.baseURL]);
  t.is(run.code, 0, run.stderr);
  const out = join(dir, 'llm.html');
  t.is((await runCli(['report', db, '--out', out])).code, 0);
  const conn = new Database(db, { readonly: true });
  const iterationsWithCalls = (conn.prepare('SELECT count(*) AS n FROM iterations WHERE llm_calls > 0').get() as { n: number }).n;
  const totals = conn.prepare('SELECT sum(tokens_in + tokens_out) AS tokens, sum(cost) AS cost FROM llm_calls').get() as { tokens: number; cost: number };
  conn.close();
  const browser = await launch();
  try {
    const page = await browser.newPage({ viewport: { width: 1300, height: 1600 } });
    await page.goto(`file://${out}`);
    t.true(iterationsWithCalls > 10);
    t.is(Number(await page.getAttribute('#llm-tokens polyline', 'data-count')), iterationsWithCalls);
    t.is(Number(await page.getAttribute('#llm-cost polyline', 'data-count')), iterationsWithCalls);
    const data = JSON.parse((await page.locator('#report-data').textContent())!) as { llm: { points: Array<{ tokens: number; cost: number }> } };
    t.is(data.llm.points.at(-1)!.tokens, totals.tokens);
    t.true(Math.abs(data.llm.points.at(-1)!.cost - totals.cost) < 1e-12);
    t.regex(await page.locator('#operators').innerText(), /llm-diff/);
    await page.screenshot({ path: join(artifacts, 'report-llm.png'), fullPage: true });
  } finally {
    await browser.close();
  }
});

browserTest('the report of a tune run shows each config\'s settings and the held-out comparison', async (t) => {
  const dir = tempDir();
  const suite = join(root, 'examples/suite');
  const file = join(dir, 'tune.json');
  writeFileSync(file, JSON.stringify({
    base: join(suite, 'base.json'), seed: 1, seeds: 1, budget: { iterations: 30 }, trials: 4, pipelineDepth: 2,
    problems: { train: [join(suite, 'sphere-20')], heldOut: [join(suite, 'rastrigin-20'), join(suite, 'sphere-100')] },
    space: { 'operators.mutate.sigma': { type: 'float', min: 0.01, max: 1, log: true } },
    validation: { seeds: 2, top: 2 },
  }));
  const db = join(dir, 'tune.sqlite');
  const tuned = await runCli(['tune', file, '--db', db, '--quiet']);
  t.is(tuned.code, 0, tuned.stderr);
  const out = join(dir, 'tune.html');
  t.is((await runCli(['report', db, '--out', out])).code, 0);
  const browser = await launch();
  try {
    const page = await browser.newPage({ viewport: { width: 1300, height: 1600 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`file://${out}`);
    t.true(await page.locator('#tune-section').isVisible());
    const rows = await page.locator('#tune tbody tr').allInnerTexts();
    t.is(rows.length, 2 * 2, rows.join('\n'));
    t.regex(rows[0]!, /#1 [0-9a-f]{16}\t\d\.\d+\trastrigin-20\t\d\.\d+x\t\[\d\.\d+, \d\.\d+\]\t\d\/2\toperators\.mutate\.sigma=/);
    t.regex(rows[1]!, /sphere-100/);
    t.regex(await page.locator('#tune-host p.note').innerText(), /qd, 2 fresh seeds per held-out problem.*(beats the base|did NOT beat)/);
    const params = await page.locator('#elites tbody tr td span.params').allInnerTexts();
    t.true(params.length > 0 && params.every((p) => /^operators\.mutate\.sigma=\d/.test(p)), params.join('\n'));
    t.deepEqual(errors, []);
    await page.screenshot({ path: join(artifacts, 'report-tune.png'), fullPage: true });
  } finally {
    await browser.close();
  }
});
