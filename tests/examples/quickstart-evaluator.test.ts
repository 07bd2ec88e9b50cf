// Checks the quickstart problem: a deterministic evaluator, a seed that leaves room to improve, descriptors inside their ranges.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { DescriptorSpec, ParamSpace, Params } from '../../common/types.js';
import { loadProblem } from '../../engine/config/problem.js';
import type { EvaluationInput, EvaluatorResult } from '../../fitness/evaluator.js';
import { evaluate } from '../../examples/quickstart/evaluator.js';
import { readConfig } from '../../examples/quickstart/params.js';

const problemDir = fileURLToPath(new URL('../../examples/quickstart/', import.meta.url));
const manifest = JSON.parse(readFileSync(`${problemDir}problem.json`, 'utf8')) as {
  params: { file: string; space: ParamSpace };
  descriptors: DescriptorSpec[];
};
const space = manifest.params.space;
const seedParams = JSON.parse(readFileSync(`${problemDir}seed/${manifest.params.file}`, 'utf8')) as Params;

/** Known to reach about 0.96 validation accuracy on every seed tried. */
const goodParams: Params = {
  features: 'poly2',
  hiddenWidth: 16,
  hiddenLayers: 2,
  activation: 'relu',
  learningRate: 0.03,
  epochs: 30,
  l2: 0.0001,
  batchSize: 16,
  trainFraction: 1,
};

function run(params: Params, seed = 1): EvaluatorResult {
  const input: EvaluationInput = { variantId: 'test', files: {}, params, seed, iteration: 0, problemDir };
  return evaluate(input);
}

function bound(name: string, end: 'min' | 'max'): number {
  const spec = space[name];
  if (spec === undefined || spec.type === 'categorical') throw new Error(`${name} is not numeric in problem.json`);
  return spec[end];
}

test('evaluate() returns identical output for the same seed and params', (t) => {
  t.deepEqual(run(seedParams, 42), run(seedParams, 42));
  t.deepEqual(run(goodParams, 7), run(goodParams, 7));
});

test('the evaluation seed changes the training run but not the data set', (t) => {
  const a = run(goodParams, 1);
  const b = run(goodParams, 2);
  t.notDeepEqual(a.metrics, b.metrics);
  // Same params on the same fixed data: the row counts and budget cannot depend on the seed.
  t.is(a.metrics?.trainRows, b.metrics?.trainRows);
  t.deepEqual(a.descriptors, b.descriptors);
});

test('the seed params score clearly worse than a known good configuration', (t) => {
  for (const seed of [1, 2, 3]) {
    const weak = run(seedParams, seed).fitness;
    const strong = run(goodParams, seed).fitness;
    t.true(weak >= 0.55 && weak <= 0.75, `seed variant fitness ${weak} on seed ${seed}`);
    t.true(strong > 0.9, `good configuration fitness ${strong} on seed ${seed}`);
  }
});

test('descriptors and fitness are finite and within the declared ranges at the seed and the corners of the space', (t) => {
  const sizes: Params[] = [
    { hiddenWidth: bound('hiddenWidth', 'min'), hiddenLayers: bound('hiddenLayers', 'min'), features: 'raw' },
    { hiddenWidth: bound('hiddenWidth', 'max'), hiddenLayers: bound('hiddenLayers', 'max'), features: 'poly2' },
    { hiddenWidth: bound('hiddenWidth', 'min'), hiddenLayers: bound('hiddenLayers', 'max'), features: 'poly2' },
    { hiddenWidth: bound('hiddenWidth', 'max'), hiddenLayers: bound('hiddenLayers', 'min'), features: 'standardize' },
  ];
  const budgets: Params[] = [
    { epochs: bound('epochs', 'min'), trainFraction: bound('trainFraction', 'min') },
    { epochs: bound('epochs', 'max'), trainFraction: bound('trainFraction', 'max') },
  ];
  // Optimiser extremes are mixed in, so a corner that diverges is exercised too.
  const optimisers: Params[] = [
    { learningRate: bound('learningRate', 'max'), l2: bound('l2', 'min'), activation: 'relu', batchSize: 8 },
    { learningRate: bound('learningRate', 'min'), l2: bound('l2', 'max'), activation: 'sigmoid', batchSize: 64 },
  ];
  const cases: Params[] = [seedParams];
  sizes.forEach((size, i) => budgets.forEach((budget, j) => cases.push({ ...seedParams, ...size, ...budget, ...optimisers[(i + j) % 2] })));

  for (const params of cases) {
    const result = run(params, 3);
    const label = JSON.stringify(params);
    t.true(Number.isFinite(result.fitness) && result.fitness >= 0 && result.fitness <= 1, `fitness ${result.fitness} for ${label}`);
    t.true(Array.isArray(result.descriptors), label);
    const values = result.descriptors as number[];
    t.is(values.length, manifest.descriptors.length, label);
    manifest.descriptors.forEach((d, k) => {
      const v = values[k]!;
      t.true(Number.isFinite(v) && v >= d.min && v <= d.max, `${d.name} = ${v} outside [${d.min}, ${d.max}] for ${label}`);
    });
    for (const [name, value] of Object.entries(result.metrics ?? {})) {
      if (typeof value === 'number') t.true(Number.isFinite(value), `metric ${name} = ${value} for ${label}`);
    }
  }
});

test('every parameter in the space appears in the seed params and vice versa, with seed values inside the space', (t) => {
  t.deepEqual(Object.keys(seedParams).sort(), Object.keys(space).sort());
  for (const [name, spec] of Object.entries(space)) {
    const value = seedParams[name];
    if (spec.type === 'categorical') {
      t.true(spec.values.includes(value!), `${name} = ${JSON.stringify(value)} not in ${JSON.stringify(spec.values)}`);
    } else {
      t.is(typeof value, 'number', name);
      const n = value as number;
      t.true(n >= spec.min && n <= spec.max, `${name} = ${n} outside [${spec.min}, ${spec.max}]`);
      if (spec.type === 'int') t.true(Number.isInteger(n), `${name} = ${n} is not an integer`);
    }
  }
});

test('the engine loads the problem folder without complaint', (t) => {
  const problem = loadProblem(problemDir);
  t.is(problem.manifest.name, 'quickstart-mlp');
  t.deepEqual(problem.descriptors.map((d) => d.name), ['log10ParamCount', 'log10TrainingBudget']);
});

test('the evaluator rejects a parameter outside the space with a message naming it', (t) => {
  t.throws(() => run({ ...seedParams, hiddenLayers: 4 }), { message: /params\.hiddenLayers: must be between 1 and 3 \(got 4\)/ });
  t.throws(() => run({ ...seedParams, activation: 'gelu' }), { message: /params\.activation: must be one of relu, tanh, sigmoid/ });
  t.throws(() => run({ ...seedParams, epochs: 20.5 }), { message: /params\.epochs: must be an integer/ });
});

test('the evaluator accepts exactly the space that problem.json declares', (t) => {
  // params.ts repeats the bounds so that a hand-edited variant fails loudly; this pins the two together.
  for (const [name, spec] of Object.entries(space)) {
    const accepted = spec.type === 'categorical' ? spec.values : [spec.min, spec.max];
    for (const value of accepted) t.notThrows(() => readConfig({ ...seedParams, [name]: value }), `${name} = ${value}`);
    const rejected = spec.type === 'categorical'
      ? ['not-a-value']
      : spec.type === 'int' ? [spec.min - 1, spec.max + 1] : [spec.min * 0.99, spec.max * 1.01];
    for (const value of rejected) t.throws(() => readConfig({ ...seedParams, [name]: value }), undefined, `${name} = ${value}`);
  }
});
