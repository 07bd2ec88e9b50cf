// Tests of SoftArchive (CMA-MAE): hand-computed threshold updates, the batch rule, its result archive, and alpha = 1 as MAP-Elites.
import test from 'ava';
import type { AddResult, Archive, Elite } from '../../archives/archive.js';
import { CvtArchive } from '../../archives/cvt-archive.js';
import { GridArchive } from '../../archives/grid-archive.js';
import { SoftArchive } from '../../archives/soft-archive.js';
import { rngFor } from '../../common/rng.js';

// The 5 x 4 grid of grid-archive.test.ts: A is in cell 6, B in cell 19, C in cell 0.
const dimensions = [{ name: 'x', min: 0, max: 10, bins: 5 }, { name: 'y', min: -1, max: 1, bins: 4 }];
const A = [3, 0.2];
const B = [9, 0.9];
const C = [0.5, -0.75];

function elite(variantId: string, fitness: number, descriptors: number[], iteration = 0): Elite {
  return { variantId, fitness, descriptors, iteration };
}

function soft(learningRate: number, thresholdMin: number): SoftArchive {
  return new SoftArchive({ result: new GridArchive({ dimensions, qdOffset: -10 }), learningRate, thresholdMin });
}

/** An AddResult without the pair's other half. */
function own(r: AddResult & { resultArchive?: AddResult }): AddResult {
  const { resultArchive: _, ...rest } = r;
  return rest as AddResult;
}

test('single adds move the threshold as computed by hand (alpha 0.5, minimum 0)', (t) => {
  const archive = soft(0.5, 0);
  // 4 > 0 (the minimum): new, improvement 4 - 0; t = 0.5 * 0 + 0.5 * 4 = 2.
  t.deepEqual(own(archive.add(elite('a', 4, A))), { status: 'new', cell: 6, improvement: 4, clipped: false });
  t.is(archive.threshold(6), 2);
  // 3 > 2: accepted and replaces the better elite a; improvement 3 - 2 = 1; t = 0.5 * 2 + 0.5 * 3 = 2.5.
  const b = archive.add(elite('b', 3, A));
  t.deepEqual(own(b), { status: 'improved', cell: 6, improvement: 1, clipped: false, replaced: 'a' });
  t.is(archive.threshold(6), 2.5);
  // The result archive keeps a (4), which is better than b.
  t.like(b.resultArchive, { status: 'rejected', cell: 6 });
  t.is(archive.get(6)?.variantId, 'b');
  t.is(archive.result.get(6)?.variantId, 'a');
  // 2 <= 2.5: rejected, with the (negative) improvement a CMA-MAE emitter ranks by; t unchanged.
  t.deepEqual(own(archive.add(elite('c', 2, A))), { status: 'rejected', cell: 6, reason: "not above the cell's threshold (2.5)", clipped: false, improvement: -0.5 });
  t.is(archive.threshold(6), 2.5);
  // -1 <= 0 in an empty cell: rejected by the minimum; the result archive still takes it (-1 - (-10) = 9).
  const d = archive.add(elite('d', -1, B));
  t.deepEqual(own(d), { status: 'rejected', cell: 19, reason: 'not above the minimum threshold (0)', clipped: false, improvement: -1 });
  t.deepEqual(d.resultArchive, { status: 'new', cell: 19, improvement: 9, clipped: false });
  t.is(archive.threshold(19), 0);
});

test('a batch moves the threshold by the batch rule, computed by hand', (t) => {
  const archive = soft(0.5, 0);
  archive.add(elite('a', 4, A)); // t = 2
  archive.add(elite('b', 3, A)); // t = 2.5, result archive keeps a
  const results = archive.addBatch([
    elite('e', 3, A), // 3 > 2.5: improved by 0.5
    elite('g', 5, A), // 5 > 2.5: improved by 2.5, the fittest accepted
    elite('h', 2, A), // 2 <= 2.5: rejected, -0.5
    elite('i', 1, C), // empty cell 0, 1 > 0: new, 1
    elite('j', 3, C), // new too (judged before the batch), 3
  ]);
  t.deepEqual(results.map(own), [
    { status: 'improved', cell: 6, improvement: 0.5, clipped: false, replaced: 'b' },
    { status: 'improved', cell: 6, improvement: 2.5, clipped: false, replaced: 'b' },
    { status: 'rejected', cell: 6, reason: "not above the cell's threshold (2.5)", clipped: false, improvement: -0.5 },
    { status: 'new', cell: 0, improvement: 1, clipped: false },
    { status: 'new', cell: 0, improvement: 3, clipped: false },
  ]);
  // Cell 6: k = 2 accepted (3 and 5), mean 4, (1 - 0.5)^2 = 0.25: t = 0.25 * 2.5 + 0.75 * 4 = 3.625.
  t.is(archive.threshold(6), 3.625);
  // Cell 0: k = 2 (1 and 3), mean 2: t = 0.25 * 0 + 0.75 * 2 = 1.5.
  t.is(archive.threshold(0), 1.5);
  t.deepEqual(archive.elites().map((e) => [e.cell, e.variantId]), [[0, 'j'], [6, 'g']]);
  // The result archive judged the same batch by the elitist rule: e (3) and h (2) lose to a (4), g wins.
  t.deepEqual(results.map((r) => r.resultArchive.status), ['rejected', 'improved', 'rejected', 'new', 'new']);
  t.deepEqual(archive.result.elites().map((e) => [e.cell, e.variantId]), [[0, 'j'], [6, 'g']]);
  // Soft: (5 + 10) + (3 + 10) = 28.
  t.like(archive.stats(), { filledCells: 2, qdScore: 28 });
});

test("the soft archive's QD score can fall, its result archive's cannot", (t) => {
  const archive = soft(0.5, 0);
  archive.add(elite('a', 4, A));
  const before = archive.stats().qdScore;
  archive.add(elite('b', 3, A)); // replaces a (4) with b (3)
  t.is(archive.stats().qdScore, before - 1);
  t.is(archive.result.stats().qdScore, before);
});

test('threshold() of a cell outside the archive is an error', (t) => {
  t.throws(() => soft(0.5, 0).threshold(20), { instanceOf: RangeError, message: 'no cell 20 (there are 20)' });
});

test('learning rate 0 never moves a threshold: every elite above the minimum replaces the last', (t) => {
  const archive = soft(0, 1);
  for (const [id, f] of [['a', 5], ['b', 2], ['c', 1], ['d', 3]] as const) archive.add(elite(id, f, A));
  t.is(archive.threshold(6), 1);
  t.is(archive.get(6)?.variantId, 'd');
  t.is(archive.result.get(6)?.variantId, 'a');
});

test('learning rate 1 with a finite minimum is MAP-Elites with a floor', (t) => {
  const archive = soft(1, 2);
  t.like(archive.add(elite('low', 2, A)), { status: 'rejected', improvement: 0 });
  t.like(archive.add(elite('a', 3, A)), { status: 'new', improvement: 1 });
  t.is(archive.threshold(6), 3);
  t.like(archive.add(elite('tie', 3, A)), { status: 'rejected' });
  t.like(archive.add(elite('b', 3.5, A)), { status: 'improved', improvement: 0.5, replaced: 'a' });
});

/** What MAP-Elites decides: everything but the wording of a rejection and a soft archive's extra fields. */
function decision(r: AddResult): unknown {
  return r.status === 'rejected' ? { status: r.status, cell: r.cell, clipped: r.clipped } : own(r);
}

function equivalent(t: import('ava').ExecutionContext, make: () => Archive, label: string): void {
  for (let stream = 0; stream < 20; stream++) {
    const rng = rngFor(stream, 0, `soft/alpha-1/${label}`);
    const plain = make();
    const single = new SoftArchive({ result: make() as GridArchive, learningRate: 1, thresholdMin: -Infinity });
    const plainBatched = make();
    const batched = new SoftArchive({ result: make() as GridArchive, learningRate: 1, thresholdMin: -Infinity });
    const pending: Elite[] = [];
    for (let k = 0; k < 500; k++) {
      // Coarse fitness values so that ties happen; descriptors spill outside the box.
      const e = elite(`v${k}`, Math.round(rng.next() * 40) / 4 - 5, [rng.next() * 12 - 1, rng.next() * 2.4 - 1.2], k);
      const want = plain.add(e);
      const got = single.add(e);
      if (JSON.stringify(decision(got)) !== JSON.stringify(decision(want))) return t.fail(`stream ${stream} add ${k}: ${JSON.stringify(got)} vs ${JSON.stringify(want)}`);
      pending.push(e);
      if (rng.next() < 0.05 || k === 499) {
        const es = pending.splice(0);
        const wantBatch = plainBatched.addBatch(es).map(decision);
        const gotBatch = batched.addBatch(es).map(decision);
        if (JSON.stringify(gotBatch) !== JSON.stringify(wantBatch)) return t.fail(`stream ${stream} batch ending at ${k} differs`);
        t.deepEqual(batched.elites(), plainBatched.elites());
      }
    }
    t.deepEqual(single.elites(), plain.elites());
    t.deepEqual(single.stats(), plain.stats());
    t.deepEqual(single.result.elites(), plain.elites());
    t.deepEqual(batched.stats(), plainBatched.stats());
  }
}

test('learning rate 1 without a minimum is exactly MAP-Elites on 20 random streams, single adds and batches (grid)', (t) => {
  equivalent(t, () => new GridArchive({ dimensions, qdOffset: -10 }), 'grid');
});

test('learning rate 1 without a minimum is exactly MAP-Elites on 20 random streams, single adds and batches (CVT)', (t) => {
  const centroids = new CvtArchive({ ranges: [{ name: 'x', min: 0, max: 10 }, { name: 'y', min: -1, max: 1 }], cells: 15, rng: rngFor(1, 0, 'soft/cvt') }).centroids();
  equivalent(t, () => new CvtArchive({ ranges: [{ name: 'x', min: 0, max: 10 }, { name: 'y', min: -1, max: 1 }], centroids, qdOffset: -10 }), 'cvt');
});

test('invalid elites are rejected by both halves with the same reason', (t) => {
  const archive = soft(0.5, 0);
  const r = archive.add(elite('v', 1, [NaN, 0]));
  t.deepEqual(r, { status: 'rejected', cell: null, reason: 'descriptor x is NaN', clipped: false, resultArchive: { status: 'rejected', cell: null, reason: 'descriptor x is NaN', clipped: false } });
});

test('describe() gives the learning rate, the minimum (null for none) and the result archive', (t) => {
  t.deepEqual(soft(0.25, -3).describe(), { kind: 'soft', learningRate: 0.25, thresholdMin: -3, result: new GridArchive({ dimensions, qdOffset: -10 }).describe() });
  t.is((soft(1, -Infinity).describe() as { thresholdMin: number | null }).thresholdMin, null);
});

const badOptions: Array<[string, () => unknown, string]> = [
  ['a learning rate above 1', () => soft(1.5, 0), 'learningRate must be between 0 and 1 (got 1.5)'],
  ['a negative learning rate', () => soft(-0.1, 0), 'learningRate must be between 0 and 1 (got -0.1)'],
  ['a NaN learning rate', () => soft(NaN, 0), 'learningRate must be between 0 and 1 (got NaN)'],
  ['a NaN minimum', () => soft(0.5, NaN), 'thresholdMin must be a number or -Infinity (got NaN)'],
  ['no minimum with a learning rate below 1', () => soft(0.5, -Infinity), 'a learningRate below 1 needs a finite thresholdMin'],
  ['a result archive that is not a grid or a CVT', () => new SoftArchive({ result: soft(0.5, 0), learningRate: 0.5, thresholdMin: 0 }), 'the result archive of a soft archive must be a grid or CVT archive'],
  ['a result archive that is not empty', () => {
    const result = new GridArchive({ dimensions });
    result.add(elite('a', 1, A));
    return new SoftArchive({ result, learningRate: 0.5, thresholdMin: 0 });
  }, 'the result archive of a soft archive must start empty'],
];
for (const [what, make, message] of badOptions) {
  test(`the constructor refuses ${what}`, (t) => {
    t.throws(make, { instanceOf: RangeError, message });
  });
}
