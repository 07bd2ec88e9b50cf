// Tests of KdTree: the exact nearest point, ties to the lower index, checked against a brute-force scan.
import test from 'ava';
import { KdTree } from '../../archives/kd-tree.js';
import { rngFor } from '../../common/rng.js';

/** The reference: squared Euclidean distance summed in coordinate order, the first (lowest) index among equals. */
function bruteForce(points: Float64Array, dim: number, q: ArrayLike<number>): number {
  let best = -1;
  let bestDistance = Infinity;
  for (let p = 0; p < points.length / dim; p++) {
    let s = 0;
    for (let k = 0; k < dim; k++) s += (q[k]! - points[p * dim + k]!) ** 2;
    if (s < bestDistance) { bestDistance = s; best = p; }
  }
  return best;
}

for (const dim of [1, 2, 3, 6, 10]) {
  test(`nearest() agrees with a brute-force scan on 3,000 random queries among 2,000 points in ${dim}-D`, (t) => {
    const rng = rngFor(dim, 0, 'kd-tree/random');
    const points = Float64Array.from({ length: 2000 * dim }, () => rng.next());
    const tree = new KdTree(points, dim);
    const wrong: string[] = [];
    for (let i = 0; i < 3000; i++) {
      // Some queries outside the points' box, as clipped-free lookups may be.
      const q = Array.from({ length: dim }, () => rng.next() * 1.4 - 0.2);
      const got = tree.nearest(q);
      const want = bruteForce(points, dim, q);
      if (got !== want) wrong.push(`${q}: ${got} instead of ${want}`);
    }
    t.deepEqual(wrong, []);
  });
}

test('nearest() breaks ties toward the lower index on a lattice full of equidistant points', (t) => {
  // A shuffled 12 x 12 integer lattice; queries on half-integers are equidistant from 2 or 4 points.
  const rng = rngFor(1, 0, 'kd-tree/lattice');
  const cells = Array.from({ length: 144 }, (_, k) => [k % 12, Math.floor(k / 12)]);
  for (let i = cells.length - 1; i > 0; i--) { const j = rng.int(i + 1); [cells[i], cells[j]] = [cells[j]!, cells[i]!]; }
  const points = Float64Array.from(cells.flat());
  const tree = new KdTree(points, 2);
  let ties = 0;
  for (let x = -0.5; x <= 12; x += 0.5) {
    for (let y = -0.5; y <= 12; y += 0.5) {
      const want = bruteForce(points, 2, [x, y]);
      t.is(tree.nearest([x, y]), want, `query ${x}, ${y}`);
      if (!Number.isInteger(x) || !Number.isInteger(y)) ties++;
    }
  }
  t.true(ties > 400);
});

test('nearest() returns the lowest index of duplicated points', (t) => {
  // Point 3 and point 1 are the same; point 0 and point 5 too.
  const points = Float64Array.from([5, 5, 1, 1, 9, 9, 1, 1, 0, 0, 5, 5, 1, 1]);
  const tree = new KdTree(points, 2);
  t.is(tree.nearest([1.1, 0.9]), 1);
  t.is(tree.nearest([5, 5]), 0);
  t.is(tree.nearest([3, 3]), 0); // equidistant from (1, 1) and (5, 5): 8 each; lowest index is 0
  t.is(tree.lastDistance, 8);
});

test('an empty tree has no nearest point; a one-point tree always answers 0', (t) => {
  t.is(new KdTree(new Float64Array(0), 3).nearest([1, 2, 3]), -1);
  const one = new KdTree(Float64Array.from([0.5, 0.5]), 2);
  t.is(one.nearest([100, -100]), 0);
});

test('the constructor copies the points, and refuses a bad dimension or a ragged array', (t) => {
  const points = Float64Array.from([0, 0, 1, 1]);
  const tree = new KdTree(points, 2);
  points.fill(50);
  t.is(tree.nearest([0.9, 0.9]), 1);
  t.throws(() => new KdTree(points, 0), { instanceOf: RangeError, message: 'a k-d tree needs 1 to 255 dimensions' });
  t.throws(() => new KdTree(Float64Array.from([1, 2, 3]), 2), { instanceOf: RangeError, message: '3 coordinates do not make points of 2' });
});
