// The Archive contract, run over every archive kind: add rules, rejections, clipping, order, statistics, batches, properties.
import test from 'ava';
import type { AddResult, Archive, Elite } from '../../archives/archive.js';
import { archiveFromDescription } from '../../archives/archive-factory.js';
import { CvtArchive } from '../../archives/cvt-archive.js';
import { GridArchive } from '../../archives/grid-archive.js';
import { NoveltyArchive } from '../../archives/novelty-archive.js';
import { SoftArchive } from '../../archives/soft-archive.js';
import { rngFor, type Rng } from '../../common/rng.js';

const QD_OFFSET = -10;

/**
 * One implementation under test. `add`/`addBatch` go through the archive the engine would call;
 * `view` is the elitist archive the contract is checked on, and the results are that view's.
 */
interface Subject {
  view: Archive;
  add(e: Elite): AddResult;
  addBatch(es: Elite[]): AddResult[];
}

interface Kind {
  name: string;
  make(): Subject;
  /** Four descriptor vectors in four different cells, inside every range. */
  points: number[][];
  /** [outside, its clipped twin]: the first has x beyond the range, the second x at the edge. */
  clipping: [number[], number[]];
  /** A random descriptor vector, sometimes outside the numeric ranges. */
  draw(rng: Rng): number[];
}

const numeric = { dimensions: [{ name: 'x', min: 0, max: 10, bins: 5 }, { name: 'y', min: -1, max: 1, bins: 4 }], qdOffset: QD_OFFSET };
const categorical = { dimensions: [{ name: 'x', min: 0, max: 10, bins: 5 }, { name: 'y', values: ['circle', 'square', 'triangle', 'star'] }], qdOffset: QD_OFFSET };
const cvt = () => new CvtArchive({ ranges: [{ name: 'x', min: 0, max: 10 }, { name: 'y', min: -1, max: 1 }], cells: 20, rng: rngFor(7, 0, 'contract/cvt'), samples: 2000, iterations: 10, qdOffset: QD_OFFSET, clip: true });
const numericPoints = { points: [[1, -0.9], [9, 0.9], [5, 0.1], [9, -0.9]], clipping: [[12, 0.3], [10, 0.3]] as [number[], number[]], draw: (rng: Rng) => [rng.next() * 12 - 1, rng.next() * 2.4 - 1.2] };

const direct = (view: Archive): Subject => ({ view, add: (e) => view.add(e), addBatch: (es) => view.addBatch(es) });

const kinds: Kind[] = [
  { name: 'grid', make: () => direct(new GridArchive(numeric)), ...numericPoints },
  {
    name: 'grid with a categorical dimension',
    make: () => direct(new GridArchive(categorical)),
    points: [[1, 0], [9, 3], [5, 1], [9, 0]],
    clipping: [[12, 2], [10, 2]],
    draw: (rng) => [rng.next() * 12 - 1, rng.int(4)],
  },
  { name: 'CVT that clips', make: () => direct(cvt()), ...numericPoints },
  { name: 'soft archive with learning rate 1', make: () => direct(new SoftArchive({ result: new GridArchive(numeric), learningRate: 1, thresholdMin: -Infinity })), ...numericPoints },
  {
    name: "soft archive's result archive (learning rate 0.5)",
    make: () => {
      const soft = new SoftArchive({ result: new GridArchive(numeric), learningRate: 0.5, thresholdMin: QD_OFFSET });
      return { view: soft.result, add: (e) => soft.add(e).resultArchive, addBatch: (es) => soft.addBatch(es).map((r) => r.resultArchive) };
    },
    ...numericPoints,
  },
  {
    name: "novelty archive's result archive",
    make: () => {
      const novelty = new NoveltyArchive({ result: cvt(), neighbours: 3, threshold: 0.05 });
      return { view: novelty.result, add: (e) => novelty.add(e).resultArchive, addBatch: (es) => novelty.addBatch(es).map((r) => r.resultArchive) };
    },
    ...numericPoints,
  },
];

function elite(variantId: string, fitness: number, descriptors: number[], iteration = 0): Elite {
  return { variantId, fitness, descriptors, iteration };
}

/** The fields every archive reports the same way (a soft archive adds an improvement to rejections, a pair its partner's result). */
function core(r: AddResult): Record<string, unknown> {
  const out: Record<string, unknown> = { status: r.status, cell: r.cell, clipped: r.clipped };
  if (r.status !== 'rejected') out.improvement = r.improvement;
  if (r.status === 'improved') out.replaced = r.replaced;
  return out;
}

function cellOf(s: Subject, d: number[]): number {
  return s.view.cellOf(d)!.cell;
}

for (const kind of kinds) {
  const title = (what: string) => `${kind.name}: ${what}`;

  test(title('the test points lie in four different cells'), (t) => {
    const s = kind.make();
    t.is(new Set(kind.points.map((p) => cellOf(s, p))).size, 4);
  });

  test(title('add() files a new cell with the improvement over the QD offset and keeps the raw descriptors'), (t) => {
    const s = kind.make();
    const p = kind.points[0]!;
    t.deepEqual(core(s.add(elite('a', -3, p, 4))), { status: 'new', cell: cellOf(s, p), clipped: false, improvement: 7 });
    t.deepEqual(s.view.get(cellOf(s, p)), elite('a', -3, p, 4));
  });

  test(title('add() replaces a worse elite, reporting the difference and the replaced id'), (t) => {
    const s = kind.make();
    const p = kind.points[1]!;
    s.add(elite('a', 2.5, p));
    t.deepEqual(core(s.add(elite('b', 4, p, 7))), { status: 'improved', cell: cellOf(s, p), clipped: false, improvement: 1.5, replaced: 'a' });
    t.is(s.view.get(cellOf(s, p))?.variantId, 'b');
  });

  test(title('add() rejects a worse elite or a tie with the cell and a reason, and keeps the incumbent'), (t) => {
    const s = kind.make();
    const p = kind.points[2]!;
    s.add(elite('first', 5, p));
    for (const [id, fitness] of [['worse', 4], ['tie', 5]] as const) {
      const r = s.add(elite(id, fitness, p));
      t.like(r, { status: 'rejected', cell: cellOf(s, p), clipped: false });
      t.true(r.status === 'rejected' && r.reason.length > 0);
    }
    t.is(s.view.get(cellOf(s, p))?.variantId, 'first');
    t.is(s.view.stats().qdScore, 15);
  });

  const invalid: Array<[string, Elite, string]> = [
    ['a NaN descriptor', elite('v', 1, [1, NaN]), 'descriptor y is NaN'],
    ['a NaN first descriptor', elite('v', 1, [NaN, 0]), 'descriptor x is NaN'],
    ['a NaN fitness', elite('v', NaN, [1, 0]), 'fitness is NaN'],
    ['an infinite fitness', elite('v', -Infinity, [1, 0]), 'fitness is -Infinity'],
    ['too few descriptors', elite('v', 1, [1]), 'expected 2 descriptors, got 1'],
  ];
  for (const [what, bad, reason] of invalid) {
    test(title(`add() and addBatch() reject ${what} with a reason and store nothing`), (t) => {
      const s = kind.make();
      const expected = { status: 'rejected', cell: null, reason, clipped: false };
      t.like(s.add(bad), expected);
      const batch = s.addBatch([bad, bad]);
      t.is(batch.length, 2);
      for (const r of batch) t.like(r, expected);
      t.is(s.view.stats().filledCells, 0);
      t.deepEqual(s.view.elites(), []);
    });
  }

  test(title('a descriptor outside its range is clipped to the edge cell, flagged, and stored raw'), (t) => {
    const s = kind.make();
    const [outside, edge] = kind.clipping;
    t.deepEqual(s.view.cellOf(outside), { cell: cellOf(s, edge), clipped: true });
    t.deepEqual(s.view.cellOf(edge), { cell: cellOf(s, edge), clipped: false });
    t.deepEqual(core(s.add(elite('out', 1, outside))), { status: 'new', cell: cellOf(s, edge), clipped: true, improvement: 11 });
    t.deepEqual(core(s.add(elite('edge', 2, edge))), { status: 'improved', cell: cellOf(s, edge), clipped: false, improvement: 1, replaced: 'out' });
    s.add(elite('far', 3, [1e300, edge[1]!]));
    t.deepEqual(s.view.get(cellOf(s, edge))?.descriptors, [1e300, edge[1]]);
  });

  test(title('the archive keeps its own copy of the descriptors'), (t) => {
    const s = kind.make();
    const d = [...kind.points[0]!];
    s.add(elite('a', 1, d));
    d[0] = 9.5;
    t.deepEqual(s.view.get(cellOf(s, kind.points[0]!))?.descriptors, kind.points[0]);
  });

  test(title('elites() lists cells in increasing order, best() breaks ties toward the lower cell'), (t) => {
    const s = kind.make();
    kind.points.forEach((p, k) => s.add(elite(`p${k}`, k === 3 ? 1 : 3, p)));
    const cells = kind.points.map((p) => cellOf(s, p));
    const listed = s.view.elites();
    t.deepEqual(listed.map((e) => e.cell), [...cells].sort((a, b) => a - b));
    for (const e of listed) t.is(e.variantId, `p${cells.indexOf(e.cell)}`);
    const lowestOfTheThrees = Math.min(cells[0]!, cells[1]!, cells[2]!);
    t.like(s.view.best(), { cell: lowestOfTheThrees, fitness: 3 });
  });

  test(title('stats() counts coverage, QD score with the offset, best and mean'), (t) => {
    const s = kind.make();
    const total = s.view.totalCells;
    t.deepEqual(s.view.stats(), { filledCells: 0, totalCells: total, coverage: 0, qdScore: 0, qdOffset: QD_OFFSET, bestFitness: null, meanFitness: null });
    const [a, b, c] = kind.points;
    s.add(elite('a', -3, a!));
    s.add(elite('b', -7, b!));
    s.add(elite('c', -6, c!));
    s.add(elite('d', -1, b!)); // replaces b
    s.add(elite('e', -8, a!)); // rejected
    // (-3 + 10) + (-1 + 10) + (-6 + 10) = 20; mean (-3 - 1 - 6) / 3.
    t.deepEqual(s.view.stats(), { filledCells: 3, totalCells: total, coverage: 3 / total, qdScore: 20, qdOffset: QD_OFFSET, bestFitness: -1, meanFitness: -10 / 3 });
  });

  test(title('addBatch() judges every elite against the archive before the batch; the best per cell wins, the first on ties'), (t) => {
    const s = kind.make();
    const [p, q] = kind.points;
    s.add(elite('old', 5, p!));
    const results = s.addBatch([
      elite('n1', 1, q!), // new cell
      elite('n2', 3, q!), // also new: the cell was empty before the batch
      elite('n3', 3, q!), // ties n2, which came first
      elite('i1', 6, p!), // improves on old (5)
      elite('i2', 5.5, p!), // improves on old too, though i1 is better
      elite('r1', 5, p!), // ties old: rejected
    ]);
    t.deepEqual(results.map(core), [
      { status: 'new', cell: cellOf(s, q!), clipped: false, improvement: 11 },
      { status: 'new', cell: cellOf(s, q!), clipped: false, improvement: 13 },
      { status: 'new', cell: cellOf(s, q!), clipped: false, improvement: 13 },
      { status: 'improved', cell: cellOf(s, p!), clipped: false, improvement: 1, replaced: 'old' },
      { status: 'improved', cell: cellOf(s, p!), clipped: false, improvement: 0.5, replaced: 'old' },
      { status: 'rejected', cell: cellOf(s, p!), clipped: false },
    ]);
    t.is(s.view.get(cellOf(s, q!))?.variantId, 'n2');
    t.is(s.view.get(cellOf(s, p!))?.variantId, 'i1');
    t.is(s.view.stats().filledCells, 2);
  });

  test(title('a stream of batches of one gives exactly what add() gives'), (t) => {
    const one = kind.make();
    const batched = kind.make();
    const rng = rngFor(3, 0, `contract/one/${kind.name}`);
    for (let k = 0; k < 300; k++) {
      const e = elite(`v${k}`, rng.next() * 10, kind.draw(rng), k);
      t.deepEqual(batched.addBatch([e]), [one.add(e)]);
    }
    t.deepEqual(batched.view.elites(), one.view.elites());
  });

  test(title('coverage and QD score never decrease over 50 seeded streams of 500 adds, single and in batches'), (t) => {
    const counts = { new: 0, improved: 0, rejected: 0 };
    for (let stream = 0; stream < 50; stream++) {
      const rng = rngFor(stream, 0, `contract/property/${kind.name}`);
      const single = kind.make();
      const batched = kind.make();
      let before = single.view.stats();
      let beforeBatched = batched.view.stats();
      const pending: Elite[] = [];
      for (let k = 0; k < 500; k++) {
        // Every fitness stays above the QD offset, the condition under which QD score cannot fall.
        const e = elite(`s${stream}v${k}`, rng.next() * 100 - 9, kind.draw(rng), k);
        counts[single.add(e).status]++;
        const now = single.view.stats();
        if (now.coverage < before.coverage || now.qdScore < before.qdScore) return t.fail(`stream ${stream} add ${k} lowered coverage or QD score`);
        before = now;
        pending.push(e);
        if (rng.next() < 0.1 || k === 499) {
          batched.addBatch(pending.splice(0));
          const b = batched.view.stats();
          if (b.coverage < beforeBatched.coverage || b.qdScore < beforeBatched.qdScore) return t.fail(`stream ${stream} batch ending at ${k} lowered coverage or QD score`);
          beforeBatched = b;
        }
      }
      const recomputed = single.view.elites().reduce((sum, e) => sum + (e.fitness - QD_OFFSET), 0);
      if (Math.abs(before.qdScore - recomputed) > 1e-6) return t.fail(`stream ${stream}: QD score ${before.qdScore}, recomputed ${recomputed}`);
      // Batches keep the best per cell, so single adds and batches end with the same best fitness per cell.
      t.deepEqual(batched.view.elites().map((e) => [e.cell, e.fitness]), single.view.elites().map((e) => [e.cell, e.fitness]));
    }
    t.true(counts.new > 500 && counts.improved > 500 && counts.rejected > 500, JSON.stringify(counts));
  });

  test(title('archiveFromDescription(describe()) rebuilds an archive that files a stream identically'), (t) => {
    const s = kind.make();
    const copy = archiveFromDescription(JSON.parse(JSON.stringify(s.view.describe())));
    t.is(copy.kind, s.view.kind);
    const rng = rngFor(5, 0, `contract/describe/${kind.name}`);
    for (let k = 0; k < 200; k++) {
      const e = elite(`v${k}`, rng.next() * 10, kind.draw(rng), k);
      t.deepEqual(core(copy.add(e)), core(s.view.add(e)));
    }
    t.deepEqual(copy.elites(), s.view.elites());
  });
}
