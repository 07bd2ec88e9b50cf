// Tests of ParamMutationOperator: bounds and types of mutated values, determinism, carried files, canonical output, failures.
import test from 'ava';
import { canonicalJson, contentId } from '../../common/content-id.js';
import { rngFor } from '../../common/rng.js';
import type { ParamSpace, Params, Variant, VariantFiles } from '../../common/types.js';
import type { OperatorContext, OperatorResult } from '../../operators/operator.js';
import { ParamMutationOperator, mutateValue } from '../../operators/param-mutation-operator.js';

const space: ParamSpace = {
  x: { type: 'float', min: -5, max: 5 },
  lr: { type: 'float', min: 1e-4, max: 1, log: true },
  n: { type: 'int', min: 0, max: 20 },
  shape: { type: 'categorical', values: ['round', 'flat', 'spiky'] },
};
const parentParams: Params = { x: 1.5, lr: 0.01, n: 10, shape: 'flat' };
const otherFiles: VariantFiles = { 'prompt.txt': 'Be brief.\n', 'src/model.py': 'def f(x):\n    return x\n' };

function variant(files: VariantFiles): Variant {
  return { id: contentId(files), files, lineage: { parentIds: [], operator: 'seed', iteration: 0, island: 0 } };
}

function parentWith(params: Params, text = JSON.stringify(params)): Variant {
  return variant({ ...otherFiles, 'params.json': text });
}

function context(parent: Variant, seed: number, paramSpace: ParamSpace | null = space): OperatorContext {
  return {
    parents: [parent],
    rng: rngFor(seed, 1, 'operator'),
    iteration: 1,
    params: paramSpace === null ? null : { file: 'params.json', space: paramSpace },
    signal: new AbortController().signal,
  };
}

function childParams(result: OperatorResult): Params {
  if (!result.ok) throw new Error(`expected children, got a failure: ${result.reason}`);
  return JSON.parse(result.children[0]!.files['params.json']!) as Params;
}

/** Every value of `params` fits `space` with its declared type. */
function misfits(params: Params, paramSpace: ParamSpace): string[] {
  const out: string[] = [];
  for (const [name, spec] of Object.entries(paramSpace)) {
    const v = params[name];
    if (spec.type === 'categorical') {
      if (!spec.values.includes(v!)) out.push(`${name}=${String(v)} not in the list`);
      continue;
    }
    if (typeof v !== 'number' || !Number.isFinite(v)) { out.push(`${name}=${String(v)} not a finite number`); continue; }
    if (v < spec.min || v > spec.max) out.push(`${name}=${v} outside [${spec.min}, ${spec.max}]`);
    if (spec.type === 'int' && !Number.isInteger(v)) out.push(`${name}=${v} not an integer`);
    if (spec.type === 'float' && spec.log && !(v > 0)) out.push(`${name}=${v} not positive on a log scale`);
  }
  return out;
}

test('mutated children stay within bounds and keep each parameter\'s type over 300 seeds', async (t) => {
  const operator = new ParamMutationOperator({ sigma: 0.5, rate: 0.7 });
  const parent = parentWith(parentParams);
  let ok = 0;
  for (let seed = 0; seed < 300; seed++) {
    const result = await operator.propose(context(parent, seed));
    if (!result.ok) continue;
    ok++;
    t.deepEqual(misfits(childParams(result), space), [], `seed ${seed}`);
  }
  t.true(ok >= 290, `${ok} of 300 proposals succeeded`);
});

test('mutating a parent that sits on every bound with the largest step stays within bounds', async (t) => {
  const operator = new ParamMutationOperator({ sigma: 1, rate: 1 });
  for (const params of [{ x: 5, lr: 1, n: 20, shape: 'spiky' }, { x: -5, lr: 1e-4, n: 0, shape: 'round' }]) {
    const parent = parentWith(params);
    for (let seed = 0; seed < 100; seed++) {
      const result = await operator.propose(context(parent, seed));
      if (result.ok) t.deepEqual(misfits(childParams(result), space), [], `seed ${seed} from ${JSON.stringify(params)}`);
    }
  }
});

test('a mutated categorical always takes a value from the list different from the parent\'s', async (t) => {
  // rate 1 mutates every parameter, the categorical included.
  const operator = new ParamMutationOperator({ rate: 1 });
  const parent = parentWith(parentParams);
  const seen = new Set<unknown>();
  for (let seed = 0; seed < 60; seed++) {
    const shape = childParams(await operator.propose(context(parent, seed))).shape;
    t.not(shape, 'flat');
    seen.add(shape);
  }
  t.deepEqual([...seen].sort(), ['round', 'spiky']);
});

test('mutateValue() moves an int by at least one even with a tiny sigma', (t) => {
  const spec = { type: 'int' as const, min: 0, max: 100 };
  for (let k = 0; k < 50; k++) {
    const next = mutateValue(50, spec, 1e-6, rngFor(k, 0, 'int'));
    t.true(next === 49 || next === 51, `got ${String(next)}`);
  }
});

test('every mutated child changes at least one parameter and its note names exactly the changed ones', async (t) => {
  const operator = new ParamMutationOperator();
  const parent = parentWith(parentParams);
  for (let seed = 0; seed < 100; seed++) {
    const result = await operator.propose(context(parent, seed));
    if (!result.ok) continue;
    const child = childParams(result);
    const changed = Object.keys(space).filter((k) => child[k] !== parentParams[k]).sort();
    t.true(changed.length >= 1, `seed ${seed}`);
    const noted = (result.children[0]!.note ?? '').split('; ').map((s) => s.split(':')[0]!).sort();
    t.deepEqual(noted, changed, `seed ${seed}`);
  }
});

test('with rate 0 the mutation changes exactly one parameter', async (t) => {
  const operator = new ParamMutationOperator({ rate: 0 });
  const parent = parentWith(parentParams);
  const forced = new Set<string>();
  for (let seed = 0; seed < 60; seed++) {
    const child = childParams(await operator.propose(context(parent, seed)));
    const changed = Object.keys(space).filter((k) => child[k] !== parentParams[k]);
    t.is(changed.length, 1, `seed ${seed}: ${changed.join(', ')}`);
    forced.add(changed[0]!);
  }
  t.is(forced.size, 4, 'each parameter gets its turn as the forced one');
});

test('propose() returns the same child for the same rng seed and a different one for another seed', async (t) => {
  const operator = new ParamMutationOperator();
  const parent = parentWith(parentParams);
  const first = await operator.propose(context(parent, 11));
  t.deepEqual(await operator.propose(context(parent, 11)), first);
  const others = await Promise.all([12, 13, 14].map((seed) => operator.propose(context(parent, seed))));
  t.true(others.some((o) => JSON.stringify(o) !== JSON.stringify(first)));
});

test('the child carries the parent\'s other files unchanged', async (t) => {
  const parent = parentWith(parentParams);
  const result = await new ParamMutationOperator().propose(context(parent, 3));
  if (!result.ok) return t.fail(result.reason);
  const { 'params.json': params, ...rest } = result.children[0]!.files;
  t.deepEqual(rest, otherFiles);
  t.not(params, parent.files['params.json']);
});

test('the child\'s parameter file is canonical JSON, so equal parameters give equal variant ids', async (t) => {
  const operator = new ParamMutationOperator();
  // The same values written two ways: different key order and spacing.
  const compact = parentWith(parentParams, '{"x":1.5,"lr":0.01,"n":10,"shape":"flat"}');
  const spaced = parentWith(parentParams, '{\n    "shape": "flat",\n    "n": 10,\n    "lr": 0.01,\n    "x": 1.5\n}\n');
  t.not(compact.id, spaced.id);
  const a = await operator.propose(context(compact, 5));
  const b = await operator.propose(context(spaced, 5));
  if (!a.ok || !b.ok) return t.fail('both proposals should succeed');
  const text = a.children[0]!.files['params.json']!;
  t.is(text, canonicalJson(JSON.parse(text)));
  t.deepEqual(Object.keys(JSON.parse(text)), ['lr', 'n', 'shape', 'x']);
  t.is(b.children[0]!.files['params.json'], text);
  t.is(contentId(a.children[0]!.files), contentId(b.children[0]!.files));
});

test('propose() returns a failure, not a throw, when the problem has no parameter space', async (t) => {
  const result = await new ParamMutationOperator().propose(context(parentWith(parentParams), 1, null));
  t.deepEqual(result, { ok: false, reason: 'the problem declares no parameter space' });
});

test('propose() returns a failure, not a throw, when the parent lacks the parameter file', async (t) => {
  const parent = variant({ ...otherFiles });
  const result = await new ParamMutationOperator().propose(context(parent, 1));
  t.deepEqual(result, { ok: false, reason: `parent ${parent.id} has no params.json` });
});

test('propose() returns a failure when no parameter can change', async (t) => {
  const only: ParamSpace = { mode: { type: 'categorical', values: ['only'] } };
  const result = await new ParamMutationOperator().propose(context(parentWith({ mode: 'only' }), 1, only));
  t.deepEqual(result, { ok: false, reason: 'the mutation changed no parameter (every draw hit a bound)' });
});

// Rounding to 6 significant digits after clamping would step past a bound with more digits
// (1.23456789 -> 1.23457); the clamp must come last.
test('mutated floats stay within bounds that have more than six significant digits', (t) => {
  const specs = [
    { type: 'float' as const, min: 0.12345649, max: 1.23456789 },
    { type: 'float' as const, min: 0.12345649, max: 1.23456789, log: true },
  ];
  const outside: string[] = [];
  for (const spec of specs) {
    for (let k = 0; k < 100; k++) {
      for (const start of [spec.min, spec.max]) {
        const v = mutateValue(start, spec, 1, rngFor(k, 0, 'bounds')) as number;
        if (v < spec.min || v > spec.max) outside.push(`${v}${spec.log ? ' (log)' : ''}`);
      }
    }
  }
  t.deepEqual(outside, []);
});
