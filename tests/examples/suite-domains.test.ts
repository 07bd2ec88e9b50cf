// The benchmark suite's domains at known points (CMA-ME / CMA-MAE papers, pyribs tutorials), and each
// shipped problem folder loads and scores its seed as published.
import test from 'ava';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { arm, linearProjection, rastrigin, RASTRIGIN_WORST_TERM, SHIFT, sphere } from '../../examples/suite/qd-domains.js';
import { loadProblem } from '../../engine/config/problem.js';
import { root } from '../helpers/cli.js';

const filled = (n: number, v: number) => Array.from({ length: n }, () => v);
const close = (a: number, b: number, eps = 1e-9) => Math.abs(a - b) <= eps * Math.max(1, Math.abs(b));

test('sphere: 100 at the shifted optimum, 0 at the worst corner, 91.84 at the origin (as pyribs scales it)', (t) => {
  t.is(SHIFT, 2.048);
  for (const n of [20, 100]) {
    t.true(close(sphere(filled(n, 2.048)), 100), `n=${n}`);
    t.true(close(sphere(filled(n, -5.12)), 0), `n=${n}`);
    // 100 * (1 - 2.048^2 / 7.168^2)
    t.true(close(sphere(filled(n, 0)), 100 * (1 - (2.048 / 7.168) ** 2)), `n=${n}`);
  }
  t.true(close(sphere(filled(20, 0)), 91.83673469387755));
});

test('rastrigin: 100 at the shifted optimum, never below 0 on the box, and the worst term is the box maximum', (t) => {
  for (const n of [20, 100]) t.true(close(rastrigin(filled(n, 2.048)), 100), `n=${n}`);
  // The worst term: its value beats every point of a fine grid, and is reached near x = -5.12 + a fraction.
  let gridMax = -Infinity;
  for (let i = 0; i <= 1_000_000; i++) {
    const d = -5.12 + (10.24 * i) / 1_000_000 - SHIFT;
    gridMax = Math.max(gridMax, d * d - 10 * Math.cos(2 * Math.PI * d) + 10);
  }
  t.true(RASTRIGIN_WORST_TERM >= gridMax - 1e-9 && RASTRIGIN_WORST_TERM - gridMax < 1e-6, `${RASTRIGIN_WORST_TERM} vs ${gridMax}`);
  let min = Infinity;
  let seed = 7;
  for (let k = 0; k < 2000; k++) {
    const x = Array.from({ length: 20 }, () => { seed = (seed * 16807) % 2147483647; return -5.12 + (10.24 * seed) / 2147483647; });
    min = Math.min(min, rastrigin(x));
  }
  t.true(min >= 0, `${min}`);
  // At the origin each term is 2.048^2 - 10 cos(2 pi 2.048) + 10.
  const term0 = SHIFT ** 2 - 10 * Math.cos(2 * Math.PI * SHIFT) + 10;
  t.true(close(rastrigin(filled(20, 0)), 100 * (1 - term0 / RASTRIGIN_WORST_TERM)));
});

test('linear projection: sums of the two halves, a coordinate past 5.12 counted as 5.12 / x', (t) => {
  t.deepEqual(linearProjection(filled(20, 1)), [10, 10]);
  t.deepEqual(linearProjection([1, 2, 3, 4]), [3, 7]);
  const [a, b] = linearProjection([10, 0, -10.24, 0]);
  t.true(close(a, 0.512) && close(b, -0.5));
  t.deepEqual(linearProjection([5.12, -5.12]), [5.12, -5.12]);
});

test('arm: a straight arm reaches (n, 0) with objective 0; a right angle at the base reaches (0, n); variance is the population variance', (t) => {
  const straight = arm(filled(20, 0));
  t.is(straight.objective, 0);
  t.true(close(straight.measures[0], 20) && close(straight.measures[1], 0, 1e-12));
  const up = arm([Math.PI / 2, ...filled(19, 0)]);
  t.true(close(up.measures[0], 0, 1e-9) && close(up.measures[1], 20));
  const zigzag = arm(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? 0.5 : -0.5)));
  t.true(close(zigzag.objective, -0.25));
  // Two links folded back: the end effector returns to the base.
  const folded = arm([0, Math.PI]);
  t.true(close(folded.measures[0], 0, 1e-12) && close(folded.measures[1], 0, 1e-12));
  t.true(close(folded.objective, -((Math.PI / 2) ** 2)));
});

test('every problem of the suite loads, declares n parameters, and its evaluator scores the seed as the domain does', async (t) => {
  const dirs = readdirSync(join(root, 'examples/suite')).filter((d) => /^(sphere|rastrigin|arm)-\d+$/.test(d)).sort();
  t.deepEqual(dirs, ['arm-20', 'rastrigin-100', 'rastrigin-20', 'sphere-100', 'sphere-20']);
  for (const d of dirs) {
    const problem = loadProblem(join(root, 'examples/suite', d));
    const n = Number(d.split('-')[1]);
    t.is(Object.keys(problem.manifest.params!.space).length, n, d);
    const { evaluate } = await import(join(root, 'examples/suite', d, 'evaluator.ts')) as { evaluate: (i: unknown) => { fitness: number; descriptors: number[] } };
    const params = Object.fromEntries(Array.from({ length: n }, (_, i) => [`x${i}`, 0]));
    const r = evaluate({ params, files: {}, seed: 1, iteration: 0, variantId: 'x', problemDir: join(root, 'examples/suite', d), stage: 'evaluate' });
    if (d.startsWith('arm')) t.deepEqual([r.fitness, ...r.descriptors.map((v) => Math.round(v * 1e9) / 1e9)], [0, n, 0], d);
    else t.deepEqual([r.fitness, ...r.descriptors], [d.startsWith('sphere') ? sphere(filled(n, 0)) : rastrigin(filled(n, 0)), 0, 0], d);
  }
});
