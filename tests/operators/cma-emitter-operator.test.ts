// CmaEmitterOperator: valid children over a mixed parameter space, determinism, prepare() pinning the state, the
// two-stage ranking and selection seen in the updated distribution, restart rules, restore(), emitters, failures.
import test from 'ava';
import { rngFor } from '../../common/rng.js';
import type { ParamSpace, Variant, VariantFiles } from '../../common/types.js';
import { decodeState, encodeState, initialState, tell, type CmaState } from '../../operators/cma/cma-es.js';
import { CmaEmitterOperator, type CmaEmitterOptions } from '../../operators/cma/cma-emitter-operator.js';
import type { OperatorContext, Proposal, ToldChild } from '../../operators/operator.js';
import { checkParams, numericNames, toUnit } from '../../operators/param-space.js';

const space: ParamSpace = {
  a: { type: 'float', min: -10, max: 10 },
  b: { type: 'float', min: 0.01, max: 100, log: true },
  n: { type: 'int', min: 0, max: 100 },
  c: { type: 'categorical', values: ['x', 'y'] },
};
const params = { file: 'params.json', space };
// Three numeric parameters: lambda = 4 + floor(3 ln 3) = 7, mu = 3.
const lambda = 7;
const sigma0 = 0.2;

type P = { a: number; b: number; n: number; c: string };
const filesOf = (p: P): VariantFiles => ({ 'params.json': JSON.stringify(p), 'other.txt': 'kept' });
const variant = (id: string, p: P): Variant => ({ id, files: filesOf(p), lineage: { parentIds: [], operator: 'seed', iteration: 0, island: 0 } });
const parentParams: P = { a: -4, b: 1, n: 10, c: 'y' };
const parent = variant('p', parentParams);
const options = (o: Partial<CmaEmitterOptions> = {}): CmaEmitterOptions => ({ emitters: 1, sigma0, ranker: 'two-stage-improvement', selection: 'filter', restart: 'basic', ...o });
const context = (iteration: number, seed = 1, o: Partial<OperatorContext> = {}): OperatorContext =>
  ({ parents: [parent], rng: rngFor(seed, iteration, 'operator'), iteration, params, signal: new AbortController().signal, ...o });
async function children(op: CmaEmitterOperator, iteration: number, seed = 1): Promise<Proposal[]> {
  const r = await op.propose(context(iteration, seed));
  if (!r.ok) throw new Error(r.reason);
  return r.children;
}

/** A point in the emitter's search space: the numeric parameters in name order (a, b, n), in units of their ranges. */
const unit = (p: P) => numericNames(space).map((name) => toUnit(p[name as 'a' | 'b' | 'n'], space[name]!));
const child = (p: P, outcome: ToldChild['outcome']): ToldChild => ({ files: filesOf(p), outcome });
const told = (kids: ToldChild[]) => ({ params, parent: parent.files, children: kids });
/** The CMA-ES state at the end of a part's bytes (3 dimensions: 4 + 4n + 2n^2 float64 values). */
const cmaOf = (bytes: Buffer): Buffer => bytes.subarray(bytes.length - 8 * (4 + 4 * 3 + 2 * 9));
const fresh = (): CmaState => initialState(unit(parentParams), sigma0);

const pNew: P = { a: 3, b: 20, n: 70, c: 'y' };
const pImproved: P = { a: -8, b: 0.05, n: 5, c: 'y' };
const pRejectedHigh: P = { a: 9, b: 90, n: 95, c: 'y' };
const pRejectedLow: P = { a: 0, b: 0.5, n: 30, c: 'y' };

test('propose() over floats, a log float, an int and a categorical returns lambda valid children that keep the parent\'s categorical and other files', async (t) => {
  const op = new CmaEmitterOperator(options(), 'cma');
  t.is(op.lambda(3), lambda);
  for (let k = 0; k < 20; k++) {
    const kids = await children(op, k, 3);
    t.is(kids.length, lambda);
    const distinct = new Set(kids.map((c) => c.files['params.json']));
    t.true(distinct.size > 1);
    for (const kid of kids) {
      const p = JSON.parse(kid.files['params.json']!) as P;
      t.deepEqual(checkParams(p, space), []);
      t.true(Number.isInteger(p.n) && p.n >= 0 && p.n <= 100);
      t.true(p.a >= -10 && p.a <= 10 && p.b >= 0.01 && p.b <= 100);
      t.is(p.c, 'y');
      t.is(kid.files['other.txt'], 'kept');
      t.regex(kid.note ?? '', /^cma emitter 0 \(started at its parent\), sigma 0\.200, child \d\/7$/);
    }
  }
  // A large step size drives samples out of the box: they are clamped into range, never invalid.
  const wide = new CmaEmitterOperator(options({ sigma0: 5, batchSize: 12 }), 'wide');
  const kids = await children(wide, 0);
  t.is(kids.length, 12);
  for (const kid of kids) t.deepEqual(checkParams(JSON.parse(kid.files['params.json']!), space), []);
});

test('the same iteration, parent and rng give identical children; another rng gives other children', async (t) => {
  const op = new CmaEmitterOperator(options(), 'cma');
  const first = await children(op, 5, 1);
  t.deepEqual(await children(op, 5, 1), first);
  t.deepEqual(await children(new CmaEmitterOperator(options(), 'cma'), 5, 1), first);
  t.notDeepEqual(await children(op, 5, 2), first);
});

test('prepare(i) fixes the state propose(i) samples from, even when tell() of the same emitter runs in between; it holds for one propose()', async (t) => {
  const update = told([child(pNew, { status: 'new', value: 1 }), child(pImproved, { status: 'improved', value: 0.5 })]);
  const pinned = new CmaEmitterOperator(options(), 'cma');
  pinned.prepare(1);
  pinned.tell(0, update);
  const fromPrepared = await children(pinned, 1);
  t.deepEqual(fromPrepared, await children(new CmaEmitterOperator(options(), 'cma'), 1));
  t.true(fromPrepared.every((c) => c.note!.includes('(started at its parent)')));

  const unpinned = new CmaEmitterOperator(options(), 'cma');
  unpinned.tell(0, update);
  const fromTold = await children(unpinned, 1);
  t.notDeepEqual(fromTold, fromPrepared);
  // The pin is used up: a second propose(1) samples from the emitter's current state.
  t.deepEqual(await children(pinned, 1), fromTold);
});

test('with the two-stage ranker and selection filter, the taken children are the parents, new before improved whatever their values', async (t) => {
  const op = new CmaEmitterOperator(options(), 'cma');
  const kids = [
    child(pRejectedHigh, { status: 'rejected', value: 5 }),
    child(pImproved, { status: 'improved', value: 2 }),
    child(pNew, { status: 'new', value: 0.1 }),
    child(pRejectedLow, { status: 'rejected', value: -2 }),
  ];
  const { part, state } = op.tell(0, told(kids));
  t.is(part, 0);
  const expected = tell(fresh(), [unit(pNew), unit(pImproved)], lambda);
  t.true(cmaOf(state).equals(encodeState(expected)));
  t.false(cmaOf(state).equals(encodeState(tell(fresh(), [unit(pImproved), unit(pNew)], lambda))));
  // The mean moved to the weighted mean of the two taken children, the new one weighing more (weights ln(mu + 1/2) - ln i, as pyribs).
  const mean = decodeState(cmaOf(state)).mean;
  const [wNew, wImproved] = [Math.log(2.5), Math.log(2.5) - Math.log(2)].map((w, _, all) => w / (all[0]! + all[1]!));
  unit(pNew).forEach((u, d) => t.true(Math.abs(mean[d]! - (wNew! * u + wImproved! * unit(pImproved)[d]!)) < 1e-12));

  // Rejected children and unranked ones (duplicates, failures) do not move the distribution.
  const other = new CmaEmitterOperator(options(), 'cma');
  const moved = [child(pImproved, { status: 'improved', value: 2 }), child({ ...pRejectedHigh, a: -9 }, { status: 'rejected', value: 9 }), child(pNew, { status: 'new', value: 0.1 }), child(pRejectedHigh, null)];
  t.true(cmaOf(other.tell(0, told(moved)).state).equals(cmaOf(state)));
});

test('with selection mu the best half is taken in the order new, improved, rejected; the improvement ranker orders by value alone', async (t) => {
  const kids = [
    child(pRejectedHigh, { status: 'rejected', value: 5 }),
    child(pImproved, { status: 'improved', value: 1 }),
    child(pNew, { status: 'new', value: -1 }),
    child(pRejectedLow, { status: 'rejected', value: -2 }),
  ];
  const twoStage = new CmaEmitterOperator(options({ selection: 'mu' }), 'cma').tell(0, told(kids)).state;
  t.true(cmaOf(twoStage).equals(encodeState(tell(fresh(), [unit(pNew), unit(pImproved), unit(pRejectedHigh)], lambda))));
  const byValue = new CmaEmitterOperator(options({ selection: 'mu', ranker: 'improvement' }), 'cma').tell(0, told(kids)).state;
  t.true(cmaOf(byValue).equals(encodeState(tell(fresh(), [unit(pRejectedHigh), unit(pImproved), unit(pNew)], lambda))));
  // Ties in value keep the order of proposal.
  const tied = [child(pImproved, { status: 'improved', value: 1 }), child(pNew, { status: 'improved', value: 1 }), child(pRejectedLow, { status: 'rejected', value: 0 })];
  const tiedState = new CmaEmitterOperator(options({ selection: 'mu' }), 'cma').tell(0, told(tied)).state;
  t.true(cmaOf(tiedState).equals(encodeState(tell(fresh(), [unit(pImproved), unit(pNew), unit(pRejectedLow)], lambda))));
});

test('restart no-improvement restarts an emitter none of whose children was taken; basic does not', async (t) => {
  const rejected = [child(pNew, { status: 'rejected', value: -1 }), child(pImproved, { status: 'rejected', value: -3 })];
  const strict = new CmaEmitterOperator(options({ restart: 'no-improvement' }), 'cma');
  strict.tell(0, told([child(pNew, { status: 'new', value: 1 }), child(pImproved, { status: 'rejected', value: -1 })]));
  t.regex(strict.describeState()[0]!, /^emitter 0: generation 1, sigma [\d.e+-]+, 0 restart\(s\)$/);
  strict.tell(1, told(rejected));
  t.deepEqual(strict.describeState(), ['emitter 0: starts at its next parent, 1 restart(s), last: no child was taken by the archive (iteration 1)']);
  t.true((await children(strict, 2)).every((c) => c.note!.includes('(started at its parent)')));

  const basic = new CmaEmitterOperator(options({ restart: 'basic' }), 'cma');
  basic.tell(0, told(rejected));
  t.regex(basic.describeState()[0]!, /^emitter 0: generation \d+, sigma [\d.e+-]+, 0 restart\(s\)$/);
  t.false((await children(basic, 1)).some((c) => c.note!.includes('(started at its parent)')));
  // basic still restarts on convergence: every child ranked the same.
  basic.tell(2, told([child(pNew, { status: 'new', value: 1 }), child(pImproved, { status: 'new', value: 1 })]));
  t.regex(basic.describeState()[0]!, /^emitter 0: starts at its next parent, 1 restart\(s\), last: every sample ranked the same \(iteration 2\)$/);
});

test('with the two-stage ranker, children of different status are not "ranked the same" when the best and the worst share a value', (t) => {
  // pyribs ranks by the pair (status, value) and its flatness check takes the norm of the pair's difference; a new
  // child and an improved child are ranked apart, so this batch (values 1, 3, 1) is no reason to restart.
  const op = new CmaEmitterOperator(options(), 'cma');
  op.tell(0, told([
    child(pNew, { status: 'new', value: 1 }),
    child(pImproved, { status: 'improved', value: 3 }),
    child(pRejectedLow, { status: 'improved', value: 1 }),
  ]));
  t.regex(op.describeState()[0]!, /^emitter 0: generation 1, sigma [\d.e+-]+, 0 restart\(s\)$/);
});

test('restore() from the bytes tell() returned reproduces the original operator\'s later children and state; restore(part, null) resets it', async (t) => {
  const original = new CmaEmitterOperator(options({ restart: 'no-improvement' }), 'cma');
  // A restart (a note in the part), then an update: the bytes hold restarts, the note, padding and a CMA-ES state.
  original.tell(0, told([child(pNew, { status: 'rejected', value: -1 })]));
  original.tell(1, told([child(pNew, { status: 'new', value: 1 }), child(pImproved, { status: 'improved', value: 0.2 })]));
  const { part, state } = original.tell(2, told([child(pImproved, { status: 'improved', value: 0.3 }), child(pRejectedLow, { status: 'new', value: 0.4 })]));
  t.is(part, 0);
  const restored = new CmaEmitterOperator(options({ restart: 'no-improvement' }), 'cma');
  restored.restore(part, Buffer.from(state));
  t.deepEqual(restored.describeState(), original.describeState());
  t.regex(restored.describeState()[0]!, /generation 2, .*1 restart\(s\), last: no child was taken by the archive \(iteration 0\)$/);
  t.deepEqual(await children(restored, 3), await children(original, 3));
  const next = told([child(pRejectedHigh, { status: 'new', value: 2 }), child(pNew, { status: 'improved', value: 0.1 })]);
  t.true(restored.tell(3, next).state.equals(original.tell(3, next).state));

  restored.restore(0, null);
  t.deepEqual(restored.describeState(), ['emitter 0: starts at its next parent, 0 restart(s)']);
  t.deepEqual(await children(restored, 4), await children(new CmaEmitterOperator(options(), 'cma'), 4));
});

test('iteration i uses emitter i mod emitters: tell() changes only that part, and propose() samples from it', async (t) => {
  const op = new CmaEmitterOperator(options({ emitters: 3 }), 'cma');
  const start = op.describeState();
  t.is(start.length, 3);
  const update = told([child(pNew, { status: 'new', value: 1 }), child(pImproved, { status: 'improved', value: 0.5 })]);
  t.is(op.tell(0, update).part, 0);
  const afterFirst = op.describeState();
  t.regex(afterFirst[0]!, /^emitter 0: generation 1,/);
  t.deepEqual(afterFirst.slice(1), start.slice(1));
  t.is(op.tell(4, update).part, 1);
  const afterSecond = op.describeState();
  t.regex(afterSecond[1]!, /^emitter 1: generation 1,/);
  t.deepEqual([afterSecond[0], afterSecond[2]], [afterFirst[0], start[2]]);
  t.true((await children(op, 7)).every((c) => /^cma emitter 1, sigma/.test(c.note!)));
  t.true((await children(op, 5)).every((c) => /^cma emitter 2 \(started at its parent\)/.test(c.note!)));
  // Emitter 1 samples as a one-emitter operator in the same state does.
  const single = new CmaEmitterOperator(options(), 'cma');
  single.tell(0, update);
  const a = (await children(op, 7)).map((c) => c.files);
  const b = (await children(single, 7)).map((c) => c.files);
  t.deepEqual(a, b);
});

test('a space without numeric parameters, a problem without parameters and a parent without the file fail the proposal with a reason', async (t) => {
  const op = new CmaEmitterOperator(options(), 'cma');
  const categorical = { file: 'params.json', space: { c: { type: 'categorical' as const, values: ['x', 'y'] } } };
  const cases: Array<[Partial<OperatorContext>, RegExp]> = [
    [{ params: categorical }, /no numeric parameter/],
    [{ params: null }, /no parameter space/],
    [{ parents: [{ ...parent, files: { 'other.txt': 'kept' } }] }, /has no params\.json/],
  ];
  for (const [o, reason] of cases) {
    const r = await op.propose(context(0, 1, o));
    t.false(r.ok);
    if (!r.ok) t.regex(r.reason, reason);
  }
  // tell() with no numeric parameter leaves the emitter as it was.
  t.notThrows(() => op.tell(0, { params: categorical, parent: parent.files, children: [child(pNew, { status: 'new', value: 1 })] }));
  t.deepEqual(op.describeState(), ['emitter 0: starts at its next parent, 0 restart(s)']);
});

test('the constructor refuses a number of emitters that is not a positive integer', (t) => {
  for (const emitters of [0, -1, 1.5, NaN]) t.throws(() => new CmaEmitterOperator(options({ emitters }), 'cma'), { instanceOf: RangeError });
});
