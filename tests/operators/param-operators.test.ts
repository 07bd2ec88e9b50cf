import test from 'ava';
import { contentId } from '../../common/content-id.js';
import { rngFor } from '../../common/rng.js';
import type { ParamSpace, Variant } from '../../common/types.js';
import { ParamCrossoverOperator } from '../../operators/param-crossover-operator.js';
import { ParamMutationOperator } from '../../operators/param-mutation-operator.js';
import { formatParams } from '../../operators/param-space.js';

const space: ParamSpace = {
  lr: { type: 'float', min: 1e-4, max: 1, log: true },
  x: { type: 'float', min: -1, max: 1 },
  n: { type: 'int', min: 1, max: 8 },
  act: { type: 'categorical', values: ['relu', 'tanh', 'gelu'] },
};
const params = { file: 'params.json', space };
const variant = (id: string, p: Record<string, unknown>): Variant => ({
  id, files: { 'params.json': JSON.stringify(p), 'prompt.txt': 'keep me' }, lineage: { parentIds: [], operator: 'seed', iteration: 0, island: 0 },
});
const parent = variant('p', { lr: 0.01, x: 0.9, n: 8, act: 'relu' });
const context = (parents: Variant[], i: number) => ({ parents, rng: rngFor(3, i, 'operator'), iteration: i, params, signal: new AbortController().signal });

test('mutation keeps every parameter inside its space, changes at least one, and carries other files', async (t) => {
  const op = new ParamMutationOperator({ sigma: 0.5, rate: 0.5 });
  for (let i = 0; i < 300; i++) {
    const r = await op.propose(context([parent], i));
    if (!r.ok) { t.regex(r.reason, /changed no parameter/); continue; }
    const child = JSON.parse(r.children[0]!.files['params.json']!);
    t.true(child.lr >= 1e-4 && child.lr <= 1);
    t.true(child.x >= -1 && child.x <= 1);
    t.true(Number.isInteger(child.n) && child.n >= 1 && child.n <= 8);
    t.true(['relu', 'tanh', 'gelu'].includes(child.act));
    t.notDeepEqual(child, JSON.parse(parent.files['params.json']!));
    t.is(r.children[0]!.files['prompt.txt'], 'keep me');
  }
});

test('a mutated categorical always takes a different value', async (t) => {
  const op = new ParamMutationOperator({ rate: 1 });
  const r = await op.propose(context([parent], 1));
  t.true(r.ok);
  if (r.ok) t.not(JSON.parse(r.children[0]!.files['params.json']!).act, 'relu');
});

test('mutation is a function of the rng: the same seed gives the same child', async (t) => {
  const op = new ParamMutationOperator();
  t.deepEqual(await op.propose(context([parent], 5)), await op.propose(context([parent], 5)));
  t.notDeepEqual(await op.propose(context([parent], 5)), await op.propose(context([parent], 6)));
});

test('the params file is canonical, so equal parameters give equal variant ids', (t) => {
  const a = formatParams({ x: 1, act: 'relu', n: 2 });
  const b = formatParams({ n: 2, x: 1, act: 'relu' });
  t.is(a, b);
  t.is(contentId({ 'params.json': a }), contentId({ 'params.json': b }));
});

test('operators fail with a reason instead of throwing when there is nothing to work on', async (t) => {
  const none = { ...context([parent], 0), params: null };
  t.deepEqual(await new ParamMutationOperator().propose(none), { ok: false, reason: 'the problem declares no parameter space' });
  const bare = variant('q', {});
  delete (bare.files as Record<string, string>)['params.json'];
  t.deepEqual(await new ParamMutationOperator().propose(context([bare], 0)), { ok: false, reason: 'parent q has no params.json' });
  t.deepEqual(await new ParamCrossoverOperator().propose(context([parent, parent], 0)), { ok: false, reason: 'both parents are the same variant' });
});

test('crossover takes each value from a parent or, for floats, between them', async (t) => {
  const other = variant('o', { lr: 0.1, x: -0.5, n: 2, act: 'tanh' });
  const op = new ParamCrossoverOperator({ blend: 0.5 });
  const seen = new Set<string>();
  for (let i = 0; i < 100; i++) {
    const r = await op.propose(context([parent, other], i));
    t.true(r.ok);
    if (!r.ok) continue;
    const c = JSON.parse(r.children[0]!.files['params.json']!);
    t.true(c.lr >= 0.01 - 1e-12 && c.lr <= 0.1 + 1e-12);
    t.true(c.x >= -0.5 && c.x <= 0.9);
    t.true([8, 2].includes(c.n));
    t.true(['relu', 'tanh'].includes(c.act));
    seen.add(`${c.n}/${c.act}`);
  }
  t.is(seen.size, 4, 'both parents contribute');
});
