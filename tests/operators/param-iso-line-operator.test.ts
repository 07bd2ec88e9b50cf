// Iso+LineDD (Vassiliades & Mouret 2018) on a parameter space: the child lies on the line between its parents
// when sigmaIso is 0, steps isotropically when sigmaLine is 0, stays in range, and a run uses it end to end.
import test from 'ava';
import { join } from 'node:path';
import { rngFor } from '../../common/rng.js';
import type { ParamSpace, Variant } from '../../common/types.js';
import { ParamIsoLineOperator } from '../../operators/param-iso-line-operator.js';
import { startRun } from '../../engine/runs/run.js';
import { RunReader } from '../../engine/output/run-reader.js';
import { root, tempDir } from '../helpers/cli.js';
import { writeFileSync } from 'node:fs';

const space: ParamSpace = {
  a: { type: 'float', min: -10, max: 10 },
  b: { type: 'float', min: 0.01, max: 100, log: true },
  n: { type: 'int', min: 0, max: 100 },
  c: { type: 'categorical', values: ['x', 'y'] },
};
const variant = (id: string, p: Record<string, unknown>): Variant => ({ id, files: { 'params.json': JSON.stringify(p), 'other.txt': id }, lineage: { parentIds: [], operator: 'seed', iteration: 0, island: 0 } });
const x = variant('x', { a: -4, b: 1, n: 10, c: 'x' });
const y = variant('y', { a: 6, b: 100, n: 60, c: 'y' });
const propose = async (op: ParamIsoLineOperator, k: number) => {
  const r = await op.propose({ parents: [x, y], rng: rngFor(1, k, 'operator'), iteration: k, params: { file: 'params.json', space }, signal: new AbortController().signal });
  if (!r.ok) throw new Error(r.reason);
  return { params: JSON.parse(r.children[0]!.files['params.json']!) as { a: number; b: number; n: number; c: string }, files: r.children[0]!.files };
};

test('with sigmaIso 0 every child lies on the line through the parents, in each parameter\'s units; categoricals come from the first parent', async (t) => {
  const op = new ParamIsoLineOperator({ sigmaIso: 0, sigmaLine: 0.5 });
  for (let k = 0; k < 30; k++) {
    const { params, files } = await propose(op, k);
    // The same line step for a (linear units) and b (log units): (a + 4) / 10 = ln(b) / ln(100) unless either was clamped.
    const ta = (params.a + 4) / 10;
    const tb = Math.log(params.b) / Math.log(100);
    if (params.a > -10 && params.a < 10 && params.b > 0.01 && params.b < 100) t.true(Math.abs(ta - tb) < 1e-4, `${ta} vs ${tb}`);
    t.true(Number.isInteger(params.n) && params.n >= 0 && params.n <= 100);
    t.is(params.c, 'x');
    t.is(files['other.txt'], 'x');
  }
});

test('with sigmaLine 0 the step is isotropic around the first parent, sized by sigmaIso times the range; the same rng gives the same child', async (t) => {
  const op = new ParamIsoLineOperator({ sigmaIso: 0.01, sigmaLine: 0 });
  const steps: number[] = [];
  for (let k = 0; k < 200; k++) steps.push(((await propose(op, k)).params.a + 4) / 20);
  const sd = Math.sqrt(steps.reduce((s, v) => s + v * v, 0) / steps.length);
  t.true(sd > 0.007 && sd < 0.013, `sd ${sd}`);
  t.deepEqual(await propose(op, 3), await propose(op, 3));
});

test('a run of iso+line (with mutation) on sphere-20 improves on the seed, and the arm is named by its operator', async (t) => {
  const dir = tempDir();
  const file = join(dir, 'c.json');
  writeFileSync(file, JSON.stringify({
    problem: join(root, 'examples/suite/sphere-20'), seed: 3, pipelineDepth: 4, budget: { iterations: 300 },
    operators: [{ type: 'param-mutation', name: 'mutate', weight: 1 }, { type: 'param-iso-line', name: 'isoline', weight: 2, sigmaIso: 0.02, sigmaLine: 0.3 }],
  }));
  const result = await startRun(file, { db: join(dir, 'r.sqlite'), workers: 1 });
  const reader = RunReader.open(result.db);
  try {
    const s = reader.status();
    t.true(s.best!.fitness > s.seedVariant.fitness!, `${s.best!.fitness} vs ${s.seedVariant.fitness}`);
    const iso = s.operators.find((o) => o.operator === 'isoline')!;
    t.true(iso.uses > 100 && iso.newCells + iso.improvements > 0, JSON.stringify(iso));
  } finally {
    reader.close();
  }
});
