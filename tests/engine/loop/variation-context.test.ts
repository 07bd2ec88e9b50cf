// Tests of buildContext on a real run file: the task and descriptors, each parent's evaluation, capped artifacts, lineage, the elites and the recent attempts shown.
import test, { type ExecutionContext } from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Elite } from '../../../archives/archive.js';
import { contentId } from '../../../common/content-id.js';
import type { DescriptorSpec, Evaluation, Variant, VariantFiles } from '../../../common/types.js';
import { RunStore, type IterationRecord } from '../../../engine/store/run-store.js';
import { buildContext as build, type ContextPoint, type ContextSource } from '../../../engine/loop/variation-context.js';

const made: string[] = [];
test.after.always(() => { for (const dir of made) rmSync(dir, { recursive: true, force: true }); });

const descriptors: DescriptorSpec[] = [
  { name: 'speed', min: 0, max: 1, bins: 10, description: 'how fast' },
  { name: 'size', min: 0, max: 100, bins: 10 },
];
const limits = { artifactChars: 20, lineage: 2, elites: 3, attempts: 5, attemptChars: 70 };

/** After every commit of the fixture: the tests below that do not look at attempts need no other point. */
const buildContext = (s: ContextSource, parents: Variant[], elites: readonly Elite[], at: ContextPoint = { basis: 1000, island: 0 }) => build(s, parents, elites, at);

type Noted = Variant & { note?: string };

function variant(text: string, iteration: number, parent?: Variant, note?: string): Noted {
  const files: VariantFiles = { 'main.py': text };
  return {
    id: contentId(files), files, lineage: { parentIds: parent === undefined ? [] : [parent.id], operator: parent === undefined ? 'seed' : 'llm-diff', iteration, island: 0 },
    ...(note === undefined ? {} : { note }),
  };
}

function ok(fitness: number, at: number[], metrics: Record<string, number | string | boolean> = {}, artifacts: Record<string, string> = {}): Evaluation {
  return { status: 'ok', fitness, descriptors: at, metrics, artifacts, durationMs: 5, seed: 1 };
}

function failed(status: 'failed' | 'timeout' | 'invalid', reason: 'threw' | 'timeout' | 'invalid-output', message: string): Evaluation {
  return { status, reason, message, durationMs: 5, seed: 1 };
}

function commit(store: RunStore, iteration: number, v: Noted, evaluation: Evaluation): void {
  const record: IterationRecord = {
    iteration, island: 0, operator: v.lineage.operator, parentIds: v.lineage.parentIds, status: 'evaluated', reason: null,
    children: [{ variant: v, evaluation, addStatus: 'rejected', cell: null, improvement: null, clipped: false, reason: 'test' }],
    cells: [], migrations: [], elapsedMs: 10 * iteration, arm: v.lineage.operator, reward: 0, llm: { calls: 0, tokens: 0, cost: 0 },
  };
  store.commit(record);
}

// A chain seed -> a (failed) -> b -> c, two more failures, and four elites in descriptor space around b.
const seed = variant('v0\n', 0);
const a = variant('v1\n', 1, seed, 'first change');
const b = variant('v2\n', 2, a, 'second change');
const c = variant('v3\n', 3, b, 'third change');
const slow = variant('slow\n', 4, seed, 'made it slow');
const odd = variant('odd\n', 5, seed);
const e1 = variant('elite 1\n', 6, b);
const e2 = variant('elite 2\n', 7, b);
const e3 = variant('elite 3\n', 8, b);
const e4 = variant('elite 4\n', 9, b);
const e5 = variant('elite 5\n', 10, b);
const e6 = variant('elite 6\n', 11, b);
const plain = variant('plain\n', 12, seed);
const never = variant('never evaluated\n', 13, c);

const seedArtifacts = { stdout: 'o'.repeat(30), stderr: 'warn' }; // "stdout: ooo...\nstderr: warn": 51 characters
const boom = `Error: boom\n${'x'.repeat(40)}`; // 52 characters

function makeStore(t: ExecutionContext): RunStore {
  const dir = mkdtempSync(join(tmpdir(), 'ouroboros-context-'));
  made.push(dir);
  const store = RunStore.create(join(dir, 'run.sqlite'), { name: 'context-test' });
  t.teardown(() => store.close());
  commit(store, 0, seed, ok(1, [0.312345, 50], { loss: 0.123456789, mode: 'fast', stable: true }, seedArtifacts));
  commit(store, 1, a, failed('failed', 'threw', boom));
  commit(store, 2, b, ok(2.5, [0.5, 50]));
  commit(store, 3, c, ok(3, [0.312345, 70], { loss: 2 }, { log: 'exactly twenty chars' }));
  commit(store, 4, slow, failed('timeout', 'timeout', 'no result within 100 ms'));
  commit(store, 5, odd, failed('invalid', 'invalid-output', 'fitness is NaN'));
  const elites: Array<[Noted, number[]]> = [[e1, [0.5, 40]], [e2, [0.9, 50]], [e3, [0.5, 0]], [e4, [0.5, 55]], [e5, [0, 50]], [e6, [0.5, 45]]];
  elites.forEach(([v, at], k) => commit(store, 6 + k, v, ok(1, at)));
  commit(store, 12, plain, ok(2.51234, [0.512345, 60]));
  return store;
}

function source(store: RunStore, overrides: Partial<ContextSource> = {}): ContextSource {
  return { store, task: '  Make f fast.\n', descriptors, limits, ...overrides };
}

function elite(v: Variant, fitness: number, at: number[]): Elite {
  return { variantId: v.id, fitness, descriptors: at, iteration: v.lineage.iteration };
}

const lowerId = (x: Variant, y: Variant): Variant => (x.id < y.id ? x : y);
/** Higher ids first, so that a stable sort without the tie-break by id would give the wrong order. */
const byIdDescending = (elites: Elite[]): Elite[] => [...elites].sort((x, y) => (x.variantId < y.variantId ? 1 : -1));

test('the task is trimmed, or a placeholder when empty, and descriptors are listed with their ranges', (t) => {
  const store = makeStore(t);
  const context = buildContext(source(store), [b], []);
  t.is(context.task, 'Make f fast.');
  t.is(context.descriptors, '- speed in [0, 1]: how fast\n- size in [0, 100]');
  t.is(buildContext(source(store, { task: ' \n\t' }), [b], []).task, '(the problem gives no description)');
  t.is(buildContext(source(store, { task: '' }), [b], []).task, '(the problem gives no description)');
});

test('an evaluated parent shows fitness, descriptors by name and metrics, with artifacts capped and marked', (t) => {
  const store = makeStore(t);
  const [shown] = buildContext(source(store), [seed], []).parents;
  t.is(shown!.id, seed.id);
  t.deepEqual(shown!.files, seed.files);
  t.is(shown!.evaluation, 'Fitness 1; descriptors speed=0.312345, size=50; metrics loss=0.123457, mode=fast, stable=true.');
  t.is(shown!.artifacts, 'stdout: oooooooooooo\n[... 31 more characters cut]');
});

test('a parent without metrics or artifacts shows neither, and artifacts of exactly the cap are not cut', (t) => {
  const store = makeStore(t);
  const [plainShown, cShown] = buildContext(source(store), [plain, c], []).parents;
  t.is(plainShown!.evaluation, 'Fitness 2.51234; descriptors speed=0.512345, size=60.');
  t.is(plainShown!.artifacts, '');
  t.is(cShown!.evaluation, 'Fitness 3; descriptors speed=0.312345, size=70; metrics loss=2.');
  t.is('log: exactly twenty chars'.length, 25);
  const wide = buildContext(source(store, { limits: { ...limits, artifactChars: 25 } }), [c], []).parents[0]!;
  t.is(wide.artifacts, 'log: exactly twenty chars');
  const narrow = buildContext(source(store, { limits: { ...limits, artifactChars: 24 } }), [c], []).parents[0]!;
  t.is(narrow.artifacts, 'log: exactly twenty char\n[... 1 more characters cut]');
});

test('a failed, timed-out, invalid or unevaluated parent shows what happened, with the message as capped artifacts', (t) => {
  const store = makeStore(t);
  const shown = buildContext(source(store), [a, slow, odd, never], []).parents;
  t.deepEqual(shown.map((p) => [p.evaluation, p.artifacts]), [
    ['Its evaluation failed (threw).', 'Error: boom\nxxxxxxxx\n[... 32 more characters cut]'],
    ['Its evaluation timed out (timeout).', 'no result within 100\n[... 3 more characters cut]'],
    ['Its evaluation was invalid (invalid-output).', 'fitness is NaN'],
    ['Not evaluated.', ''],
  ]);
});

test('lineage lists the parent and its ancestors nearest first, up to limits.lineage, with notes and fitness', (t) => {
  const store = makeStore(t);
  const [shown] = buildContext(source(store), [c], []).parents;
  t.deepEqual(shown!.lineage.map(({ id, operator, iteration, fitness, note }) => ({ id, operator, iteration, fitness, note })), [
    { id: c.id, operator: 'llm-diff', iteration: 3, fitness: 3, note: 'third change' },
    { id: b.id, operator: 'llm-diff', iteration: 2, fitness: 2.5, note: 'second change' },
  ]);
  const [deep] = buildContext(source(store, { limits: { ...limits, lineage: 10 } }), [c], []).parents;
  t.deepEqual(deep!.lineage.map((l) => [l.id, l.fitness, l.note]), [
    [c.id, 3, 'third change'], [b.id, 2.5, 'second change'], [a.id, null, 'first change'], [seed.id, 1, null],
  ]);
  t.deepEqual(buildContext(source(store, { limits: { ...limits, lineage: 0 } }), [c], []).parents[0]!.lineage, []);
});

test('elites exclude the parents: ceil(k/2) fittest, then the farthest from the first parent, ties by id, with their files', (t) => {
  const store = makeStore(t);
  const island = [elite(b, 100, [0.5, 50]), elite(e1, 10, [0.5, 40]), elite(e2, 9, [0.9, 50]), elite(e3, 1, [0.5, 0]), elite(e4, 1, [0.5, 55]), elite(e5, 1, [0, 50])];
  const elites = buildContext(source(store), [b], byIdDescending(island)).elites;
  // e3 and e5 are both at normalised squared distance 0.25 from b; the lower id wins.
  const tie = lowerId(e3, e5);
  t.deepEqual(elites.map((e) => e.id), [e1.id, e2.id, tie.id]);
  t.deepEqual(elites[0], { id: e1.id, fitness: 10, descriptors: [0.5, 40], files: e1.files });
  t.deepEqual(elites[2]!.files, tie.files);
});

test('distance is measured in normalised descriptor space', (t) => {
  const store = makeStore(t);
  // Raw distance from b at [0.5, 50]: e2 0.4, e6 5. Normalised: e2 0.4, e6 0.05. Only normalised picks e2.
  const island = [elite(e1, 10, [0.5, 40]), elite(e6, 2, [0.5, 45]), elite(e2, 2, [0.9, 50])];
  const elites = buildContext(source(store, { limits: { ...limits, elites: 2 } }), [b], island).elites;
  t.deepEqual(elites.map((e) => e.id), [e1.id, e2.id]);
});

test('elites of equal fitness are taken by id, and k above the candidates gives them all', (t) => {
  const store = makeStore(t);
  const island = byIdDescending([elite(e4, 7, [0.5, 55]), elite(e3, 7, [0.5, 0]), elite(e1, 5, [0.5, 40])]);
  const one = buildContext(source(store, { limits: { ...limits, elites: 1 } }), [b], island).elites;
  t.deepEqual(one.map((e) => e.id), [lowerId(e3, e4).id]);
  const all = buildContext(source(store, { limits: { ...limits, elites: 20 } }), [b], island).elites;
  t.deepEqual(all.map((e) => e.id), [lowerId(e3, e4).id, (lowerId(e3, e4) === e3 ? e4 : e3).id, e1.id]);
});

test('k = 0 gives no elites; no parents gives none; every parent is excluded', (t) => {
  const store = makeStore(t);
  const island = [elite(e1, 10, [0.5, 40]), elite(e2, 9, [0.9, 50]), elite(e3, 1, [0.5, 0])];
  t.deepEqual(buildContext(source(store, { limits: { ...limits, elites: 0 } }), [b], island).elites, []);
  t.deepEqual(buildContext(source(store), [], island).elites, []);
  const crossover = buildContext(source(store), [b, e1], island).elites;
  t.deepEqual(crossover.map((e) => e.id), [e2.id, e3.id]);
});

test('when the first parent has no descriptors, the far elites are taken by id', (t) => {
  const store = makeStore(t);
  const island = [elite(e1, 10, [0.5, 40]), elite(e2, 9, [0.9, 50]), elite(e3, 1, [0.5, 0]), elite(e4, 1, [0.5, 55]), elite(e5, 1, [0, 50])];
  const elites = buildContext(source(store), [a], byIdDescending(island)).elites;
  const rest = [e3, e4, e5].sort((x, y) => (x.id < y.id ? -1 : 1));
  t.deepEqual(elites.map((e) => e.id), [e1.id, e2.id, rest[0]!.id]);
});

test('an elite whose variant is not stored is shown with no files', (t) => {
  const store = makeStore(t);
  const ghost: Elite = { variantId: 'ffffffffffffffff', fitness: 50, descriptors: [0.5, 50], iteration: 1 };
  t.deepEqual(buildContext(source(store, { limits: { ...limits, elites: 1 } }), [b], [ghost]).elites, [{ id: ghost.variantId, fitness: 50, descriptors: [0.5, 50], files: {} }]);
});

test('the context is deterministic: two builds are deep-equal', (t) => {
  const store = makeStore(t);
  const island = [elite(e1, 10, [0.5, 40]), elite(e2, 9, [0.9, 50]), elite(e3, 1, [0.5, 0]), elite(e4, 1, [0.5, 55]), elite(e5, 1, [0, 50])];
  const first = buildContext(source(store), [c, a], island);
  const second = buildContext(source(store), [c, a], [...island].reverse());
  t.deepEqual(first, second);
  t.is(first.parents.length, 2);
  t.is(first.elites.length, 3);
});

test('private metrics and artifacts never reach the context, nor a failure\'s captured output; a re-check does', (t) => {
  const store = makeStore(t);
  const secret = variant('secret\n', 13, seed);
  const crashed = variant('crashed\n', 14, seed);
  commit(store, 13, secret, {
    ...ok(2, [0.5, 50], { visible: 1 }, { log: 'seen' }),
    private: { metrics: { heldOutScore: 0.123 }, artifacts: { heldOutCase: 'input 42 -> wrong' } },
    recheck: { samples: [2.5, 1.5], seeds: [1, 2], aggregate: 'mean', first: 2.5, value: 2, spread: 1, std: 0.5, failures: [] },
  });
  commit(store, 14, crashed, { status: 'failed', reason: 'out-of-memory', message: 'the isolate ran out of memory', durationMs: 5, seed: 1, artifacts: { output: 'allocating' } });
  const context = buildContext(source(store, { limits: { ...limits, artifactChars: 500 } }), [secret, crashed], []);
  const text = JSON.stringify(context);
  for (const hidden of ['heldOutScore', '0.123', 'heldOutCase', 'input 42']) t.false(text.includes(hidden), `${hidden} leaked into the context`);
  t.is(context.parents[0]!.evaluation, 'Fitness 2; descriptors speed=0.5, size=50; metrics visible=1. Re-checked with 1 fresh seed(s): first score 2.5, spread 1.');
  t.is(context.parents[0]!.artifacts, 'log: seen');
  t.deepEqual([context.parents[1]!.evaluation, context.parents[1]!.artifacts], ['Its evaluation failed (out-of-memory).', 'the isolate ran out of memory']);
});

// Recent attempts. Two islands; iteration i works on island i mod 2. The store holds every iteration
// below, as a resume's replay does, so only the basis bounds what a context shows.
const overlap = 'invalid packing: circles 3 and 7 overlap by 0.0123';
const pa = variant('attempt a\n', 1, seed, 'bigger circles');
const pb = variant('attempt b\n', 2, seed, 'moved circle 3');
const pc = variant('attempt c\n', 5, seed, 'slower');
const pd = variant('attempt d\n', 6, pa, 'smaller again');
const pe = variant('attempt e\n', 7, pa);

function attemptCommit(store: RunStore, iteration: number, parent: Variant, child: { v: Noted; evaluation: Evaluation | null; addStatus?: 'new' | 'improved' | 'rejected'; reason?: string } | string): void {
  const made = typeof child === 'string' ? [] : [{ variant: child.v, evaluation: child.evaluation, addStatus: child.addStatus ?? 'rejected', cell: null, improvement: null, clipped: false, reason: child.reason ?? null }];
  store.commit({
    iteration, island: iteration % 2, operator: iteration === 3 ? 'llm-rewrite' : 'llm-diff', parentIds: [parent.id], status: typeof child === 'string' ? 'operator-failed' : 'evaluated',
    reason: typeof child === 'string' ? child : null, children: made, cells: [], migrations: [], elapsedMs: iteration, arm: 'llm-diff', reward: 0, llm: { calls: 1, tokens: 1, cost: 0 },
  });
}

function attemptStore(t: ExecutionContext): RunStore {
  const dir = mkdtempSync(join(tmpdir(), 'ouroboros-attempts-'));
  made.push(dir);
  const store = RunStore.create(join(dir, 'run.sqlite'), { name: 'attempts-test' });
  t.teardown(() => store.close());
  commit(store, 0, seed, ok(1, [0.5, 50]));
  attemptCommit(store, 1, seed, { v: pa, evaluation: ok(1.5, [0.5, 60], { sumRadii: 1.5 }, { packing: 'all 26 circles' }), addStatus: 'new' });
  attemptCommit(store, 2, seed, { v: pb, evaluation: { ...failed('failed', 'threw', overlap), artifacts: { console: 'c'.repeat(30) } } });
  attemptCommit(store, 3, pa, 'the answer did not apply: SEARCH text not found in program.js');
  attemptCommit(store, 4, seed, { v: pa, evaluation: null, reason: 'identical to an existing variant (evaluated at iteration 1)' });
  attemptCommit(store, 5, seed, { v: pc, evaluation: failed('timeout', 'timeout', 'no result within 2000 ms') });
  attemptCommit(store, 6, pa, { v: pd, evaluation: ok(1.2, [0.5, 40]), addStatus: 'rejected' });
  attemptCommit(store, 7, pa, { v: pe, evaluation: ok(1.75, [0.5, 70]), addStatus: 'improved' });
  return store;
}

test('the context of iteration i shows a failure committed at its basis i - depth, with its reason, and nothing committed later', (t) => {
  const store = attemptStore(t);
  const depth = 3;
  // Iteration 5 (island 1) was launched after the commit of iteration 2, whose child failed with an overlap.
  const five = buildContext(source(store), [seed], [], { basis: 5 - depth, island: 1 }).attempts!;
  t.deepEqual(five.map((a) => [a.iteration, a.outcome]), [[2, 'failed'], [1, 'ok']]);
  t.like(five[0], { operator: 'llm-diff', sameParent: true, reason: 'threw', note: 'moved circle 3', fitness: null, change: null, archive: null });
  t.is(five[0]!.message, `${overlap}\nconsole: ${'c'.repeat(10)}\n[... 20 more characters cut]`);
  // Iteration 4 was launched after iteration 1: the failure at 2 was not committed yet, so it is not shown.
  const four = buildContext(source(store), [seed], [], { basis: 4 - depth, island: 0 }).attempts!;
  t.deepEqual(four.map((a) => a.iteration), [1]);
  t.false(JSON.stringify(four).includes('overlap'));
  // Iteration 7 sees 4 (a duplicate) but neither the timeout at 5 nor anything after it; then its island's 3, from another parent.
  const seven = buildContext(source(store), [seed], [], { basis: 7 - depth, island: 1 }).attempts!;
  t.deepEqual(seven.map((a) => [a.iteration, a.outcome, a.message]), [
    [4, 'duplicate', 'identical to an existing variant (evaluated at iteration 1)'], [2, 'failed', five[0]!.message], [1, 'ok', ''],
    [3, 'operator-failed', 'the answer did not apply: SEARCH text not found in program.js'],
  ]);
  t.deepEqual(buildContext(source(store), [seed], [], { basis: 0, island: 0 }).attempts, [], 'the seed itself is no attempt');
});

test('attempts from the parent come first, newest first, then the island\'s from other parents, up to limits.attempts', (t) => {
  const store = attemptStore(t);
  const all = buildContext(source(store), [pa], [], { basis: 7, island: 0 }).attempts!;
  // From pa on any island: 7, 6, 3; then island 0 (even iterations) from other parents: 4, 2 (6 is pa's already).
  t.deepEqual(all.map((a) => [a.iteration, a.sameParent, a.outcome]), [[7, true, 'ok'], [6, true, 'ok'], [3, true, 'operator-failed'], [4, false, 'duplicate'], [2, false, 'failed']]);
  t.like(all[0], { fitness: 1.75, change: 0.25, archive: 'improved', reason: null, message: '' });
  t.like(all[1], { fitness: 1.2, change: 1.2 - 1.5, archive: 'rejected', note: 'smaller again' });
  t.like(all[2], { operator: 'llm-rewrite', reason: null, message: 'the answer did not apply: SEARCH text not found in program.js', note: null });
  t.deepEqual(buildContext(source(store, { limits: { ...limits, attempts: 2 } }), [pa], [], { basis: 7, island: 0 }).attempts!.map((a) => a.iteration), [7, 6]);
  t.deepEqual(buildContext(source(store, { limits: { ...limits, attempts: 4 } }), [pa], [], { basis: 7, island: 1 }).attempts!.map((a) => a.iteration), [7, 6, 3, 5]);
  t.deepEqual(buildContext(source(store, { limits: { ...limits, attempts: 0 } }), [pa], [], { basis: 7, island: 0 }).attempts, []);
  t.deepEqual(buildContext(source(store), [], [], { basis: 7, island: 0 }).attempts, []);
  // Crossover: the first parent's attempts.
  t.deepEqual(buildContext(source(store), [seed, pa], [], { basis: 2, island: 0 }).attempts!.map((a) => [a.iteration, a.sameParent]), [[2, true], [1, true]]);
});

test('attempts never show private metrics or artifacts, nor a success\'s metrics and artifacts', (t) => {
  const store = attemptStore(t);
  const hidden = variant('hidden\n', 8, seed, 'tried the held-out trick');
  attemptCommit(store, 8, seed, { v: hidden, evaluation: {
    ...ok(2, [0.5, 50], { visibleMetric: 7 }, { publicLog: 'public words' }),
    private: { metrics: { heldOutScore: 0.987 }, artifacts: { heldOutCase: 'input 42 -> wrong' } },
  }, addStatus: 'new' });
  const attempts = buildContext(source(store, { limits: { ...limits, attemptChars: 4000 } }), [seed], [], { basis: 8, island: 0 }).attempts!;
  t.like(attempts[0], { iteration: 8, outcome: 'ok', fitness: 2, change: 1, archive: 'new', message: '' });
  const text = JSON.stringify(attempts);
  for (const secret of ['heldOutScore', '0.987', 'heldOutCase', 'input 42', 'visibleMetric', 'publicLog', 'all 26 circles']) t.false(text.includes(secret), `${secret} reached the attempts`);
});
