// `ouroboros export` through the compiled CLI: the ouroboros-archive header and pyribs-like rows of a real soft archive, in JSON Lines and CSV.
import test from 'ava';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { root, runCli, tempDir } from '../helpers/cli.js';

const shapeProblem = join(root, 'tests/fixtures/problems/sphere-shape');

type Cell = { island: number; cell: number; variant_id: string; fitness: number; descriptors: string; threshold: number | null };
function storedCells(db: string): Cell[] {
  const conn = new Database(db, { readonly: true });
  try {
    return conn.prepare('SELECT island, cell, variant_id, fitness, descriptors, threshold FROM archive_cells ORDER BY island, cell').all() as Cell[];
  } finally {
    conn.close();
  }
}

/** RFC 4180: quoted fields may hold commas, doubled quotes and line breaks. Lines starting with # are comments (pandas comment='#'). */
function parseCsv(text: string): { comments: string[]; records: string[][] } {
  const comments: string[] = [];
  const records: string[][] = [];
  let i = 0;
  while (i < text.length) {
    if (text[i] === '#') {
      const end = text.indexOf('\n', i);
      comments.push(text.slice(i, end < 0 ? text.length : end));
      i = end < 0 ? text.length : end + 1;
      continue;
    }
    const record: string[] = [];
    for (;;) {
      let field = '';
      if (text[i] === '"') {
        i++;
        for (;;) {
          if (i >= text.length) throw new Error('unterminated quoted field');
          if (text[i] === '"' && text[i + 1] === '"') { field += '"'; i += 2; } else if (text[i] === '"') { i++; break; } else field += text[i++];
        }
      } else {
        while (i < text.length && text[i] !== ',' && text[i] !== '\n') field += text[i++];
        if (field.includes('"')) throw new Error(`a quote inside an unquoted field: ${field}`);
      }
      record.push(field);
      if (text[i] === ',') { i++; continue; }
      if (i < text.length && text[i] !== '\n') throw new Error(`text after a quoted field at ${i}`);
      i++;
      break;
    }
    records.push(record);
  }
  return { comments, records };
}

test('export writes a soft archive with its header, and CSV and JSON Lines hold the stored cells', async (t) => {
  const dir = tempDir();
  const db = join(dir, 'soft.sqlite');
  const config = join(dir, 'soft.json');
  writeFileSync(config, JSON.stringify({
    problem: shapeProblem, seed: 13, pipelineDepth: 3, budget: { iterations: 40 },
    operators: [{ type: 'param-mutation', weight: 3, sigma: 0.4 }, { type: 'param-crossover', weight: 1 }],
    islands: { count: 2, migrationInterval: 15 }, archive: { rule: 'soft', soft: { learningRate: 0.3, thresholdMin: -60 } },
  }));
  const run = await runCli(['run', config, '--db', db, '--workers', '2', '--quiet']);
  t.is(run.code, 0, run.stderr);

  const csvPath = join(dir, 'out', 'elites.csv');
  const jsonlPath = join(dir, 'out', 'elites.jsonl');
  const csvRun = await runCli(['export', db, '--format', 'csv', '--out', csvPath]);
  t.is(csvRun.code, 0, csvRun.stderr);
  const jsonlRun = await runCli(['export', db, '--format', 'jsonl', '--out', jsonlPath]);
  t.is(jsonlRun.code, 0, jsonlRun.stderr);
  const toStdout = await runCli(['export', db]);
  t.is(toStdout.code, 0, toStdout.stderr);
  const jsonlText = readFileSync(jsonlPath, 'utf8');
  t.is(toStdout.stdout, jsonlText, 'JSON Lines is the default and goes to standard output without --out');

  const status = JSON.parse((await runCli(['status', db, '--json'])).stdout);
  const cells = storedCells(db);
  const filled = (status.archive.islands as Array<{ filledCells: number }>).reduce((a, s) => a + s.filledCells, 0);
  t.is(filled, cells.length);
  t.true(cells.length > 5, `${cells.length} cells filled`);
  t.is(csvRun.stderr, `wrote ${cells.length} elites to ${csvPath}\n`);

  // The header.
  const lines = jsonlText.trimEnd().split('\n').map((l) => JSON.parse(l));
  const header = lines[0].header;
  const problem = JSON.parse(readFileSync(join(shapeProblem, 'problem.json'), 'utf8'));
  const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
  t.like(header, { format: 'ouroboros-archive', formatVersion: 1, engineVersion: version, exportedBy: version, run: db, seed: 13, iterations: 40, islands: 2, qdOffset: 0 });
  t.is(header.iterations, status.iterations);
  t.is(header.createdAt, status.createdAt);
  t.is(header.archive.type, 'soft over grid');
  t.like(header.archive.description, { kind: 'soft', learningRate: 0.3, thresholdMin: -60, result: { kind: 'grid', qdOffset: 0, epsilon: 0 } });
  t.deepEqual(header.archive.description.result.dimensions, problem.descriptors);
  t.deepEqual(header.descriptors, problem.descriptors);
  t.deepEqual(header.measures, [
    { name: 'measures_0', descriptor: 'x', kind: 'number' },
    { name: 'measures_1', descriptor: 'shape', kind: 'categorical-index' },
  ]);

  // The JSON Lines rows are the stored cells: objective, threshold and measures.
  const elites = lines.slice(1);
  t.is(elites.length, cells.length);
  const shapes: string[] = problem.descriptors[1].values;
  elites.forEach((e, k) => {
    const c = cells[k]!;
    const measures = JSON.parse(c.descriptors) as number[];
    t.deepEqual([e.island, e.index, e.variant_id, e.objective, e.threshold, e.measures_0, e.measures_1], [c.island, c.cell, c.variant_id, c.fitness, c.threshold, measures[0], measures[1]]);
    t.is(e.descriptor_shape, shapes[e.measures_1]);
    t.is(e.descriptor_x, e.measures_0);
    t.deepEqual(e.descriptors, { x: e.measures_0, shape: e.descriptor_shape });
    t.is(e.metrics.shape, e.descriptor_shape, 'the evaluator reports the shape as a metric too');
    t.true(e.threshold <= e.objective, `threshold ${e.threshold} above objective ${e.objective}`);
  });
  t.true(elites.some((e) => e.threshold < e.objective), 'soft thresholds lag behind the elites');
  t.true(new Set(elites.map((e) => e.descriptor_shape)).size > 1, 'more than one shape filled');

  // The CSV: the same header on its comment line, the same rows.
  const csvText = readFileSync(csvPath, 'utf8');
  const csv = parseCsv(csvText);
  t.is(csv.comments.length, 1);
  t.true(csv.comments[0]!.startsWith('# ouroboros-archive {'));
  t.deepEqual(JSON.parse(csv.comments[0]!.slice('# ouroboros-archive '.length)), header);
  const [columns, ...records] = csv.records;
  const expectedColumns = ['index', 'objective', 'measures_0', 'measures_1', 'threshold', 'island', 'descriptor_x', 'descriptor_shape', 'metric_shape',
    'recheck_spread', 'variant_id', 'parent_ids', 'operator', 'iteration'];
  t.deepEqual(columns, expectedColumns);
  t.is(records.length, elites.length);
  records.forEach((r, k) => {
    const e = elites[k]!;
    const expected = [e.index, e.objective, e.measures_0, e.measures_1, e.threshold, e.island, e.descriptor_x, e.descriptor_shape, e.metrics.shape,
      e.recheck_spread ?? '', e.variant_id, e.parent_ids.join(' '), e.operator, e.iteration].map(String);
    t.deepEqual(r, expected);
  });

  // pandas, where the machine has it: the first python3 on the PATH that imports it, else Debian's (python3-pandas, which .ci/run installs).
  const python = ['python3', '/usr/bin/python3'].find((p) => spawnSync(p, ['-c', 'import pandas'], { encoding: 'utf8' }).status === 0);
  if (python === undefined) {
    t.log('no python3 with pandas here (Debian: apt-get install python3-pandas): pandas.read_csv NOT checked');
    return;
  }
  const script = [
    'import json, sys, pandas',
    'df = pandas.read_csv(sys.argv[1], comment="#")',
    'first = open(sys.argv[1]).readline()',
    'print(json.dumps({"columns": list(df.columns), "rows": len(df), "objective": [float(v) for v in df["objective"]],',
    '  "shape": list(df["descriptor_shape"]), "header": json.loads(first[len("# ouroboros-archive "):])}))',
  ].join('\n');
  const read = JSON.parse(execFileSync(python, ['-c', script, csvPath], { encoding: 'utf8' }));
  t.deepEqual(read.columns, expectedColumns);
  t.is(read.rows, elites.length);
  // pandas' default float parser may differ from the text in the last bit (float_precision='round_trip' is exact).
  t.is(read.objective.length, elites.length);
  (read.objective as number[]).forEach((v, k) => t.true(Math.abs(v - elites[k]!.objective) <= 1e-12 * Math.max(1, Math.abs(v)), `${v} vs ${elites[k]!.objective}`));
  t.deepEqual(read.shape, elites.map((e) => e.descriptor_shape));
  t.deepEqual(read.header, header);
});
