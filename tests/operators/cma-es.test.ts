// The small CMA-ES: its eigendecomposition, Hansen's strategy parameters, that it minimises sphere and a rotated
// ellipsoid, determinism, the exact byte encoding of a state, immutability of states, convergence checks and rng use.
import test from 'ava';
import { rngFor, type Rng } from '../../common/rng.js';
import { converged, decodeState, eigenRoots, encodeState, initialState, sample, strategy, tell, type CmaState } from '../../operators/cma/cma-es.js';

const lambdaOf = (n: number) => 4 + Math.floor(3 * Math.log(n));

/** A random symmetric positive-definite matrix A A' + 0.1 I, row-major. */
function randomSpd(n: number, rng: Rng): Float64Array {
  const a = Array.from({ length: n * n }, () => rng.normal());
  const C = new Float64Array(n * n);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      let sum = r === c ? 0.1 : 0;
      for (let k = 0; k < n; k++) sum += a[r * n + k]! * a[c * n + k]!;
      C[r * n + c] = sum;
    }
  }
  return C;
}

/** A random rotation (Gram-Schmidt on a Gaussian matrix), as rows. */
function rotation(n: number, rng: Rng): number[][] {
  const rows: number[][] = [];
  for (let i = 0; i < n; i++) {
    const v = Array.from({ length: n }, () => rng.normal());
    for (const u of rows) {
      const d = u.reduce((s, x, k) => s + x * v[k]!, 0);
      u.forEach((x, k) => { v[k] = v[k]! - d * x; });
    }
    const norm = Math.hypot(...v);
    rows.push(v.map((x) => x / norm));
  }
  return rows;
}

const maxAbs = (m: ArrayLike<number>) => Array.from(m).reduce((a, v) => Math.max(a, Math.abs(v)), 0);

/**
 * Minimises f from x0 = (3, ..., 3): each generation samples lambda points with rngFor(seed, g, 'cma'), ranks them by f
 * ascending and tells the best mu = lambda / 2. Returns the generation at which a sample reached f < 1e-8 (or -1).
 */
function minimise(f: (x: Float64Array) => number, n: number, seed: number, maxGenerations: number, stopAt = 1e-8): { generation: number; state: CmaState } {
  const lambda = lambdaOf(n);
  const mu = Math.floor(lambda / 2);
  let state = initialState(new Array(n).fill(3), 2);
  for (let g = 1; g <= maxGenerations; g++) {
    const rng = rngFor(seed, g, 'cma');
    const xs = Array.from({ length: lambda }, () => sample(state, rng));
    const fs = xs.map(f);
    const order = xs.map((_, i) => i).sort((a, b) => fs[a]! - fs[b]!);
    if (fs[order[0]!]! < stopAt) return { generation: g, state };
    state = tell(state, order.slice(0, mu).map((i) => xs[i]!), lambda);
  }
  return { generation: -1, state };
}

const sphere = (x: Float64Array) => x.reduce((a, v) => a + v * v, 0);
function rotatedEllipsoid(n: number, seed: number): (x: Float64Array) => number {
  const R = rotation(n, rngFor(seed, 0, 'rotation'));
  return (x) => R.reduce((a, row, i) => {
    const y = row.reduce((s, r, k) => s + r * x[k]!, 0);
    return a + 10 ** ((4 * i) / (n - 1)) * y * y;
  }, 0);
}

for (const n of [1, 2, 7, 40]) {
  test(`eigenRoots() of a random ${n}x${n} SPD matrix gives an orthonormal B with B diag(D^2) B' = C to 1e-9`, (t) => {
    const C = randomSpd(n, rngFor(11, n, 'spd'));
    const { B, D } = eigenRoots(C, n);
    t.is(B.length, n * n);
    t.is(D.length, n);
    const rebuilt = new Float64Array(n * n);
    const gram = new Float64Array(n * n);
    for (let r = 0; r < n; r++) {
      for (let c = 0; c < n; c++) {
        let sum = 0;
        let dot = 0;
        for (let k = 0; k < n; k++) {
          sum += B[r * n + k]! * D[k]! * D[k]! * B[c * n + k]!;
          dot += B[k * n + r]! * B[k * n + c]!;
        }
        rebuilt[r * n + c] = sum - C[r * n + c]!;
        gram[r * n + c] = dot - (r === c ? 1 : 0);
      }
    }
    t.true(maxAbs(rebuilt) / maxAbs(C) < 1e-9, `reconstruction error ${maxAbs(rebuilt) / maxAbs(C)}`);
    t.true(maxAbs(gram) < 1e-9, `B'B - I ${maxAbs(gram)}`);
    t.true(D.every((d) => d > 0));
  });
}

test('strategy() gives positive, decreasing weights summing to 1 and rates in (0, 1) over a range of n, mu and lambda', (t) => {
  for (const n of [1, 2, 5, 10, 40, 100, 1000]) {
    const lambda = lambdaOf(n);
    for (const mu of [1, 2, Math.floor(lambda / 2), lambda]) {
      const p = strategy(n, mu, lambda);
      const at = `n ${n}, mu ${mu}, lambda ${lambda}`;
      t.is(p.weights.length, mu, at);
      t.true(p.weights.every((w, i) => w > 0 && (i === 0 || w < p.weights[i - 1]!)), at);
      t.true(Math.abs(p.weights.reduce((a, w) => a + w, 0) - 1) < 1e-12, at);
      // mueff lies between 1 (all weight on one parent) and mu (equal weights).
      t.true(p.mueff >= 1 - 1e-12 && p.mueff <= mu + 1e-12, `${at}: mueff ${p.mueff}`);
      for (const [name, v] of Object.entries({ c1: p.c1, cs: p.cs, cc: p.cc })) t.true(v > 0 && v < 1, `${at}: ${name} ${v}`);
      // One parent gives no rank-mu update (mueff - 2 + 1/mueff = 0).
      if (mu === 1) t.is(p.cmu, 0, at);
      else t.true(p.cmu > 0 && p.cmu < 1, `${at}: cmu ${p.cmu}`);
      t.true(p.c1 + p.cmu <= 1 + 1e-15, at);
    }
  }
});

test('strategy(100, 18, 36) matches the default parameters of Hansen\'s tutorial (2016, Table 1), computed here from its formulas', (t) => {
  const n = 100;
  const lambda = 36;
  const mu = 18;
  const raw = Array.from({ length: mu }, (_, i) => Math.log((lambda + 1) / 2) - Math.log(i + 1));
  const rawSum = raw.reduce((a, w) => a + w, 0);
  const mueff = rawSum ** 2 / raw.reduce((a, w) => a + w * w, 0);
  const alphaCov = 2;
  const c1 = alphaCov / ((n + 1.3) ** 2 + mueff);
  const expected = {
    mueff,
    cc: (4 + mueff / n) / (n + 4 + (2 * mueff) / n),
    cs: (mueff + 2) / (n + mueff + 5),
    c1,
    cmu: Math.min(1 - c1, (alphaCov * (mueff - 2 + 1 / mueff)) / ((n + 2) ** 2 + (alphaCov * mueff) / 2)),
    damps: 1 + 2 * Math.max(0, Math.sqrt((mueff - 1) / (n + 1)) - 1) + (mueff + 2) / (n + mueff + 5),
    chiN: Math.sqrt(n) * (1 - 1 / (4 * n) + 1 / (21 * n * n)),
  };
  const p = strategy(n, mu, lambda);
  for (const [name, v] of Object.entries(expected)) {
    const got = p[name as keyof typeof expected];
    t.true(Math.abs(got - v) <= 1e-12 * Math.abs(v), `${name}: expected ${v}, got ${got}`);
  }
  raw.forEach((w, i) => t.true(Math.abs(p.weights[i]! - w / rawSum) < 1e-15, `weight ${i}`));
  // The same values worked out independently (Python, double precision), pinned to 1e-9.
  const pinned = { mueff: 10.24641810495826, cc: 0.03936919534932196, cs: 0.10626289568327488, c1: 0.00019470525503593165, cmu: 0.0016024228447240982, damps: 1.106262895683275 };
  for (const [name, v] of Object.entries(pinned)) t.true(Math.abs(p[name as keyof typeof pinned] - v) <= 1e-9 * v, `${name}: pinned ${v}, got ${p[name as keyof typeof pinned]}`);
  t.true(Math.abs(p.weights[0]! - 0.180953441424791) < 1e-12);
});

test('CMA-ES minimises the sphere in 10 dimensions from x0 = 3 to f < 1e-8 within 300 generations', (t) => {
  for (const seed of [1, 2, 3]) {
    const { generation } = minimise(sphere, 10, seed, 300);
    t.true(generation > 0, `seed ${seed}: f >= 1e-8 after 300 generations`);
  }
});

test('CMA-ES minimises a rotated ellipsoid of condition 1e4 in 10 dimensions from x0 = 3 to f < 1e-8 within 800 generations', (t) => {
  for (const seed of [1, 2]) {
    const { generation, state } = minimise(rotatedEllipsoid(10, seed), 10, seed, 800);
    t.true(generation > 0, `seed ${seed}: f >= 1e-8 after 800 generations`);
    // It got there by learning the shape: the covariance's condition number approaches the Hessian's (1e4).
    const dMax = Math.max(...state.D);
    const dMin = Math.min(...state.D);
    t.true((dMax / dMin) ** 2 > 1e3, `seed ${seed}: condition of C ${(dMax / dMin) ** 2}`);
  }
});

test('the same rng seeds give bitwise-identical states; another seed gives another state', (t) => {
  const f = rotatedEllipsoid(5, 4);
  const a = minimise(f, 5, 7, 60, -1).state;
  const b = minimise(f, 5, 7, 60, -1).state;
  const c = minimise(f, 5, 8, 60, -1).state;
  t.is(a.generation, 60);
  t.true(encodeState(a).equals(encodeState(b)));
  t.false(encodeState(a).equals(encodeState(c)));
});

test('encodeState() and decodeState() round-trip exactly, fresh states and states from tell() alike, at any byte offset', (t) => {
  const told = minimise(rotatedEllipsoid(6, 2), 6, 5, 40, -1).state;
  t.true(told.generation === 40 && told.eigenGeneration > 0 && told.sigma !== 2);
  for (const s of [initialState([0.5], 0.3), initialState([1, -2, 3e-300, 4e300], 1e-5), told]) {
    const bytes = encodeState(s);
    t.is(bytes.byteLength, 8 * (4 + 4 * s.n + 2 * s.n * s.n));
    const back = decodeState(bytes);
    t.true(encodeState(back).equals(bytes));
    t.deepEqual(back, s);
    // Stored bytes may come back inside a larger buffer at an offset that is not a multiple of 8.
    const shifted = Buffer.alloc(bytes.length + 3);
    bytes.copy(shifted, 3);
    t.true(encodeState(decodeState(shifted.subarray(3))).equals(bytes));
  }
});

test('decodeState() refuses a buffer whose length does not fit its n, and one whose length is not a multiple of 8', (t) => {
  const bytes = encodeState(initialState([1, 2, 3], 0.5));
  t.throws(() => decodeState(bytes.subarray(0, bytes.length - 8)), { instanceOf: RangeError, message: /does not fit n = 3/ });
  t.throws(() => decodeState(Buffer.concat([bytes, Buffer.alloc(8)])), { instanceOf: RangeError, message: /does not fit n = 3/ });
  const wrongN = Buffer.from(bytes);
  wrongN.writeDoubleLE(4, 0);
  t.throws(() => decodeState(wrongN), { instanceOf: RangeError, message: /does not fit n = 4/ });
  const fractionalN = Buffer.from(bytes);
  fractionalN.writeDoubleLE(2.5, 0);
  t.throws(() => decodeState(fractionalN), { instanceOf: RangeError });
  t.throws(() => decodeState(bytes.subarray(0, bytes.length - 1)), { instanceOf: RangeError, message: /float64 values/ });
  t.throws(() => decodeState(Buffer.alloc(0)), { instanceOf: RangeError });
});

test('tell() never changes the state it is given, whether or not it recomputes B and D', (t) => {
  const n = 4;
  const lambda = lambdaOf(n);
  let s = initialState([0.1, 0.2, 0.3, 0.4], 0.5);
  let recomputed = 0;
  for (let g = 1; g <= 30; g++) {
    const rng = rngFor(9, g, 'cma');
    const xs = Array.from({ length: lambda }, () => sample(s, rng));
    const before = encodeState(s);
    const next = tell(s, xs.slice(0, lambda / 2), lambda);
    t.true(encodeState(s).equals(before), `generation ${g}`);
    t.is(next.generation, s.generation + 1);
    if (next.eigenGeneration === next.generation) recomputed++;
    s = next;
  }
  t.true(recomputed > 0 && recomputed < 30, `recomputed ${recomputed} times`);
});

test('tell() with zero parents returns the very same state', (t) => {
  const s = initialState([1, 2], 0.3);
  t.is(tell(s, [], 6), s);
});

test('converged() reports a collapsed step size, an ill-conditioned covariance and equal ranking values, and null for a fresh state with distinct values', (t) => {
  const fresh = initialState([0, 0, 0], 0.5);
  t.is(converged(fresh, [3, 2, 1]), null);
  t.is(converged(fresh, []), null);
  t.regex(converged(initialState([0, 0, 0], 1e-12), [3, 2, 1]) ?? '', /step size has collapsed/);
  t.regex(converged({ ...fresh, D: Float64Array.from([1, 1e-8, 0.5]) }, [3, 2, 1]) ?? '', /ill-conditioned/);
  // Condition 1e12 is still fine.
  t.is(converged({ ...fresh, D: Float64Array.from([1, 1e-6, 0.5]) }, [3, 2, 1]), null);
  t.regex(converged(fresh, [2, 2, 2]) ?? '', /every sample ranked the same/);
  t.regex(converged({ ...fresh, mean: Float64Array.from([0, Infinity, 0]) }, [3, 2, 1]) ?? '', /no longer finite/);
});

test('sample() draws exactly n normals from the rng, and from covariance I gives mean + sigma * z', (t) => {
  for (const n of [1, 3, 12]) {
    const s = initialState(Array.from({ length: n }, (_, k) => k - 1), 0.25);
    const used = rngFor(5, n, 'sample');
    const x = sample(s, used);
    const fresh = rngFor(5, n, 'sample');
    const z = Array.from({ length: n }, () => fresh.normal());
    t.is(used.next(), fresh.next(), `n ${n}`);
    x.forEach((v, k) => t.is(v, k - 1 + 0.25 * z[k]!));
  }
  // A learned state (B not I) draws n normals per sample too.
  const learned = minimise(sphere, 5, 3, 20, -1).state;
  const used = rngFor(6, 0, 'sample');
  sample(learned, used);
  sample(learned, used);
  const fresh = rngFor(6, 0, 'sample');
  for (let k = 0; k < 10; k++) fresh.normal();
  t.is(used.next(), fresh.next());
});

test('initialState() refuses no dimensions and a step size that is not a positive number', (t) => {
  t.throws(() => initialState([], 1), { instanceOf: RangeError });
  for (const sigma of [0, -1, NaN, Infinity]) t.throws(() => initialState([1], sigma), { instanceOf: RangeError });
});
