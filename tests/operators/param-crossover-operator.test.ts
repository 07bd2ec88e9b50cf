// Tests of ParamCrossoverOperator: where each child value comes from, determinism, carried files, canonical output, failures.
import test from 'ava';
import { canonicalJson, contentId } from '../../common/content-id.js';
import { rngFor } from '../../common/rng.js';
import type { ParamSpace, Params, Variant, VariantFiles } from '../../common/types.js';
import type { OperatorContext, OperatorResult } from '../../operators/operator.js';
import { ParamCrossoverOperator } from '../../operators/param-crossover-operator.js';

const space: ParamSpace = {
  x: { type: 'float', min: -5, max: 5 },
  lr: { type: 'float', min: 1e-4, max: 1, log: true },
  n: { type: 'int', min: 0, max: 20 },
  shape: { type: 'categorical', values: ['round', 'flat', 'spiky'] },
};
const paramsA: Params = { x: -2.5, lr: 0.001, n: 3, shape: 'round' };
const paramsB: Params = { x: 4, lr: 0.5, n: 17, shape: 'spiky' };

function variant(params: Params | null, notes: string, text = params === null ? undefined : JSON.stringify(params)): Variant {
  const files: VariantFiles = { 'notes.txt': notes, 'src/main.py': `print(${JSON.stringify(notes)})\n` };
  if (text !== undefined) files['params.json'] = text;
  return { id: contentId(files), files, lineage: { parentIds: [], operator: 'seed', iteration: 0, island: 0 } };
}

const parentA = variant(paramsA, 'A');
const parentB = variant(paramsB, 'B');

function context(parents: Variant[], seed: number, paramSpace: ParamSpace | null = space): OperatorContext {
  return {
    parents,
    rng: rngFor(seed, 2, 'operator'),
    iteration: 2,
    params: paramSpace === null ? null : { file: 'params.json', space: paramSpace },
    signal: new AbortController().signal,
  };
}

function childParams(result: OperatorResult): Params {
  if (!result.ok) throw new Error(`expected children, got a failure: ${result.reason}`);
  return JSON.parse(result.children[0]!.files['params.json']!) as Params;
}

test('each child value comes from one parent or, for floats, lies between the two parents', async (t) => {
  const operator = new ParamCrossoverOperator({ blend: 0.5 });
  const tally = { fromA: 0, fromB: 0, between: 0 };
  for (let seed = 0; seed < 200; seed++) {
    const child = childParams(await operator.propose(context([parentA, parentB], seed)));
    t.deepEqual(Object.keys(child).sort(), Object.keys(space).sort());
    for (const name of Object.keys(space)) {
      const [a, b, v] = [paramsA[name], paramsB[name], child[name]];
      if (v === a) { tally.fromA++; continue; }
      if (v === b) { tally.fromB++; continue; }
      t.is(space[name]!.type, 'float', `seed ${seed}: ${name}=${String(v)} is neither parent's`);
      const [lo, hi] = [Math.min(a as number, b as number), Math.max(a as number, b as number)];
      t.true((v as number) >= lo && (v as number) <= hi, `seed ${seed}: ${name}=${String(v)} outside [${lo}, ${hi}]`);
      tally.between++;
    }
  }
  // Every source of values must have been exercised for the check to mean anything.
  t.true(tally.fromA > 100 && tally.fromB > 100 && tally.between > 50, JSON.stringify(tally));
});

test('with blend 0 every value, floats included, is one parent\'s', async (t) => {
  const operator = new ParamCrossoverOperator({ blend: 0 });
  for (let seed = 0; seed < 100; seed++) {
    const child = childParams(await operator.propose(context([parentA, parentB], seed)));
    for (const name of Object.keys(space)) t.true(child[name] === paramsA[name] || child[name] === paramsB[name], `seed ${seed}: ${name}`);
  }
});

test('a blended log-scale float stays positive, between the parents and within its bounds', async (t) => {
  const operator = new ParamCrossoverOperator({ blend: 1 });
  for (let seed = 0; seed < 100; seed++) {
    const lr = childParams(await operator.propose(context([parentA, parentB], seed))).lr as number;
    t.true(lr > 0 && lr >= 0.001 && lr <= 0.5, `seed ${seed}: lr=${lr}`);
  }
});

test('propose() returns the same child for the same rng seed and a different one for another seed', async (t) => {
  const operator = new ParamCrossoverOperator();
  const first = await operator.propose(context([parentA, parentB], 21));
  t.deepEqual(await operator.propose(context([parentA, parentB], 21)), first);
  const others = await Promise.all([22, 23, 24].map((seed) => operator.propose(context([parentA, parentB], seed))));
  t.true(others.some((o) => JSON.stringify(o) !== JSON.stringify(first)));
});

test('the child keeps the first parent\'s other files unchanged', async (t) => {
  for (const [first, second] of [[parentA, parentB], [parentB, parentA]] as const) {
    const result = await new ParamCrossoverOperator().propose(context([first, second], 4));
    if (!result.ok) return t.fail(result.reason);
    const { 'params.json': _params, ...rest } = result.children[0]!.files;
    const { 'params.json': _firstParams, ...expected } = first.files;
    t.deepEqual(rest, expected);
  }
});

test('the child\'s parameter file is canonical JSON, so equal parameters give equal variant ids', async (t) => {
  const operator = new ParamCrossoverOperator();
  // Parent A's values written with another key order and spacing: a different variant, the same parameters.
  const reordered = variant(paramsA, 'A', '{ "shape": "round", "n": 3, "lr": 0.001, "x": -2.5 }');
  t.not(reordered.id, parentA.id);
  const a = await operator.propose(context([parentA, parentB], 6));
  const b = await operator.propose(context([reordered, parentB], 6));
  if (!a.ok || !b.ok) return t.fail('both proposals should succeed');
  const text = a.children[0]!.files['params.json']!;
  t.is(text, canonicalJson(JSON.parse(text)));
  t.deepEqual(Object.keys(JSON.parse(text)), ['lr', 'n', 'shape', 'x']);
  t.is(contentId(b.children[0]!.files), contentId(a.children[0]!.files));
});

const failures: Array<[string, () => OperatorContext, string]> = [
  ['the problem has no parameter space', () => context([parentA, parentB], 1, null), 'the problem declares no parameter space'],
  ['both parents are the same variant', () => context([parentA, parentA], 1), 'both parents are the same variant'],
  ['the first parent lacks the parameter file', () => context([variant(null, 'C'), parentB], 1), 'a parent has no params.json'],
  ['the second parent lacks the parameter file', () => context([parentA, variant(null, 'C')], 1), 'a parent has no params.json'],
];

for (const [what, make, reason] of failures) {
  test(`propose() returns a failure, not a throw, when ${what}`, async (t) => {
    t.deepEqual(await new ParamCrossoverOperator().propose(make()), { ok: false, reason });
  });
}

// A blended float is rounded to 6 significant digits; next to a bound with more digits (a seed
// sitting on max = 1.23456789) rounding alone would step past it.
test('a blended float stays within bounds that have more than six significant digits', async (t) => {
  const tight: ParamSpace = { w: { type: 'float', min: 0, max: 1.23456789 } };
  const atMax = variant({ w: 1.23456789 }, 'at max');
  const near = variant({ w: 1.23456 }, 'near');
  const operator = new ParamCrossoverOperator({ blend: 1 });
  const outside: number[] = [];
  for (let seed = 0; seed < 100; seed++) {
    const w = childParams(await operator.propose(context([atMax, near], seed, tight))).w as number;
    if (w > 1.23456789) outside.push(w);
  }
  t.deepEqual(outside, []);
});
