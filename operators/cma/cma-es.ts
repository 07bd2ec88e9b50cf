// A small CMA-ES (Hansen's tutorial, "The CMA Evolution Strategy", 2016): immutable states, an injected Rng,
// and a byte encoding so that a run stores and restores a state exactly.
//
// Written here rather than taken from npm: the registry has no CMA-ES package (`cma-es` and `cmaes` do not
// exist there; the package list of this machine's mirror holds no evolution strategy, only genetic
// algorithms), and this engine needs what a wrapped one would have to be bent to give: randomness drawn
// only from rngFor, and mean, covariance, step size and paths exported and imported exactly (resume).
import type { Rng } from '../../common/rng.js';

/** One CMA-ES distribution. Never changed in place: tell() returns a new state, so a reference taken at launch stays valid. */
export interface CmaState {
  readonly n: number;
  readonly mean: Float64Array;
  readonly sigma: number;
  /** Covariance, row-major n x n. */
  readonly C: Float64Array;
  /** Eigenvectors of C as of the last decomposition (columns, row-major n x n) and the square roots of its eigenvalues. */
  readonly B: Float64Array;
  readonly D: Float64Array;
  /** Evolution paths of the covariance and of the step size. */
  readonly pc: Float64Array;
  readonly ps: Float64Array;
  /** Updates since the start (or restart), and the update at which B and D were last computed. */
  readonly generation: number;
  readonly eigenGeneration: number;
}

/** A fresh distribution: mean x0, covariance I, step size sigma0. */
export function initialState(x0: ArrayLike<number>, sigma0: number): CmaState {
  const n = x0.length;
  if (n === 0) throw new RangeError('CMA-ES needs at least one dimension');
  if (!(sigma0 > 0 && Number.isFinite(sigma0))) throw new RangeError(`sigma0 must be a positive number (got ${sigma0})`);
  const I = new Float64Array(n * n);
  for (let k = 0; k < n; k++) I[k * n + k] = 1;
  return { n, mean: Float64Array.from(x0), sigma: sigma0, C: I, B: I.slice(), D: new Float64Array(n).fill(1), pc: new Float64Array(n), ps: new Float64Array(n), generation: 0, eigenGeneration: 0 };
}

/** One sample x = mean + sigma * B * (D .* z), z ~ N(0, I) drawn from rng (n normals, in order). */
export function sample(s: CmaState, rng: Rng): Float64Array {
  const { n, B, D, mean, sigma } = s;
  const dz = new Float64Array(n);
  for (let k = 0; k < n; k++) dz[k] = D[k]! * rng.normal();
  const x = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    let sum = 0;
    const row = r * n;
    for (let c = 0; c < n; c++) sum += B[row + c]! * dz[c]!;
    x[r] = mean[r]! + sigma * sum;
  }
  return x;
}

/** The strategy parameters for n dimensions, mu parents and lambda samples (positive recombination weights only). */
export function strategy(n: number, mu: number, lambda: number) {
  const raw = Array.from({ length: mu }, (_, i) => Math.log(mu + 0.5) - Math.log(i + 1));
  const total = raw.reduce((a, b) => a + b, 0);
  const weights = raw.map((w) => w / total);
  const mueff = 1 / weights.reduce((a, w) => a + w * w, 0);
  const cc = (4 + mueff / n) / (n + 4 + (2 * mueff) / n);
  const cs = (mueff + 2) / (n + mueff + 5);
  const c1 = 2 / ((n + 1.3) ** 2 + mueff);
  const cmu = Math.min(1 - c1, (2 * (mueff - 2 + 1 / mueff)) / ((n + 2) ** 2 + mueff));
  const damps = 1 + 2 * Math.max(0, Math.sqrt((mueff - 1) / (n + 1)) - 1) + cs;
  const chiN = Math.sqrt(n) * (1 - 1 / (4 * n) + 1 / (21 * n * n));
  // B and D are recomputed when C has moved enough (the usual lazy update): every lambda / (c1 + cmu) / n / 10 updates.
  const eigenEvery = lambda / (c1 + cmu) / n / 10;
  return { weights, mueff, cc, cs, c1, cmu, damps, chiN, eigenEvery };
}

/**
 * The update from `parents`, the best samples first (mu = parents.length >= 1), out of `lambda` drawn. The samples
 * may come from an older state of the same distribution (an emitter with several generations in flight): each is
 * taken as the step it makes from this state's mean.
 */
export function tell(s: CmaState, parents: readonly ArrayLike<number>[], lambda: number): CmaState {
  const { n, sigma } = s;
  const mu = parents.length;
  if (mu === 0) return s;
  const p = strategy(n, mu, lambda);
  const old = s.mean;
  const mean = new Float64Array(n);
  for (let i = 0; i < mu; i++) for (let k = 0; k < n; k++) mean[k] = mean[k]! + p.weights[i]! * parents[i]![k]!;
  const yw = new Float64Array(n);
  for (let k = 0; k < n; k++) yw[k] = (mean[k]! - old[k]!) / sigma;
  // C^(-1/2) yw = B D^(-1) B' yw
  const t = new Float64Array(n);
  for (let c = 0; c < n; c++) { let sum = 0; for (let r = 0; r < n; r++) sum += s.B[r * n + c]! * yw[r]!; t[c] = sum / s.D[c]!; }
  const ps = new Float64Array(n);
  const psScale = Math.sqrt(p.cs * (2 - p.cs) * p.mueff);
  let psNorm2 = 0;
  for (let r = 0; r < n; r++) {
    let sum = 0;
    for (let c = 0; c < n; c++) sum += s.B[r * n + c]! * t[c]!;
    ps[r] = (1 - p.cs) * s.ps[r]! + psScale * sum;
    psNorm2 += ps[r]! * ps[r]!;
  }
  const psNorm = Math.sqrt(psNorm2);
  const generation = s.generation + 1;
  const hsig = psNorm / Math.sqrt(1 - (1 - p.cs) ** (2 * generation)) / p.chiN < 1.4 + 2 / (n + 1) ? 1 : 0;
  const pc = new Float64Array(n);
  const pcScale = hsig * Math.sqrt(p.cc * (2 - p.cc) * p.mueff);
  for (let k = 0; k < n; k++) pc[k] = (1 - p.cc) * s.pc[k]! + pcScale * yw[k]!;
  const keep = 1 - p.c1 - p.cmu + (1 - hsig) * p.c1 * p.cc * (2 - p.cc);
  const C = new Float64Array(n * n);
  for (let k = 0; k < n * n; k++) C[k] = keep * s.C[k]!;
  const y = new Float64Array(n);
  for (let i = 0; i < mu; i++) {
    for (let k = 0; k < n; k++) y[k] = (parents[i]![k]! - old[k]!) / sigma;
    const w = p.cmu * p.weights[i]!;
    for (let r = 0; r < n; r++) {
      const wr = w * y[r]!;
      const row = r * n;
      for (let c = 0; c < n; c++) C[row + c] = C[row + c]! + wr * y[c]!;
    }
  }
  for (let r = 0; r < n; r++) {
    const pr = p.c1 * pc[r]!;
    const row = r * n;
    for (let c = 0; c < n; c++) C[row + c] = C[row + c]! + pr * pc[c]!;
  }
  const nextSigma = sigma * Math.exp((p.cs / p.damps) * (psNorm / p.chiN - 1));
  let { B, D, eigenGeneration } = s;
  if (generation - s.eigenGeneration > p.eigenEvery) {
    ({ B, D } = eigenRoots(C, n));
    eigenGeneration = generation;
  }
  return { n, mean, sigma: nextSigma, C, B, D, pc, ps, generation, eigenGeneration };
}

/**
 * Whether the distribution has converged (pyribs' CMA-ES check_stop): a condition number of C above 1e14, a
 * search area sigma * max(D) below 1e-11, or ranking values of the best and worst sample within 1e-12 (a ranker
 * with several values per sample, as two-stage improvement's [status, improvement], gives vectors: their distance).
 */
export function converged(s: CmaState, rankingValues: ReadonlyArray<number | readonly number[]>): string | null {
  let lo = Infinity;
  let hi = 0;
  for (const d of s.D) { lo = Math.min(lo, d); hi = Math.max(hi, d); }
  if ((hi * hi) / (lo * lo) > 1e14) return 'the covariance is ill-conditioned (condition number above 1e14)';
  if (s.sigma * hi < 1e-11) return `the step size has collapsed (sigma ${s.sigma.toExponential(2)})`;
  if (rankingValues.length >= 2 && distance(rankingValues[0]!, rankingValues[rankingValues.length - 1]!) < 1e-12) return 'every sample ranked the same';
  if (!Number.isFinite(s.sigma) || s.mean.some((v) => !Number.isFinite(v))) return 'the distribution is no longer finite';
  return null;
}

function distance(a: number | readonly number[], b: number | readonly number[]): number {
  if (typeof a === 'number' || typeof b === 'number') return Math.abs(Number(a) - Number(b));
  return Math.sqrt(a.reduce((sum, x, k) => sum + (x - b[k]!) ** 2, 0));
}

/**
 * B (eigenvectors as columns) and D (square roots of the eigenvalues) of the symmetric matrix C, by cyclic
 * Jacobi rotations: only +, *, / and sqrt, so the result is the same on every machine.
 */
export function eigenRoots(C: Float64Array, n: number): { B: Float64Array; D: Float64Array } {
  const a = new Float64Array(n * n);
  // Symmetrised: rounding may leave C's halves a few ulps apart.
  for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) a[r * n + c] = (C[r * n + c]! + C[c * n + r]!) / 2;
  const v = new Float64Array(n * n);
  for (let k = 0; k < n; k++) v[k * n + k] = 1;
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0;
    let diag = 0;
    for (let r = 0; r < n; r++) {
      diag += a[r * n + r]! * a[r * n + r]!;
      for (let c = r + 1; c < n; c++) off += a[r * n + c]! * a[r * n + c]!;
    }
    if (off <= 1e-30 * diag) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q]!;
        if (apq === 0) continue;
        const app = a[p * n + p]!;
        const aqq = a[q * n + q]!;
        const theta = (aqq - app) / (2 * apq);
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const cos = 1 / Math.sqrt(t * t + 1);
        const sin = t * cos;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p]!;
          const akq = a[k * n + q]!;
          a[k * n + p] = cos * akp - sin * akq;
          a[k * n + q] = sin * akp + cos * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k]!;
          const aqk = a[q * n + k]!;
          a[p * n + k] = cos * apk - sin * aqk;
          a[q * n + k] = sin * apk + cos * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p]!;
          const vkq = v[k * n + q]!;
          v[k * n + p] = cos * vkp - sin * vkq;
          v[k * n + q] = sin * vkp + cos * vkq;
        }
      }
    }
  }
  const D = new Float64Array(n);
  // Eigenvalues below 1e-20 (rounding on a collapsed axis) are held there, so D never divides by zero.
  for (let k = 0; k < n; k++) D[k] = Math.sqrt(Math.max(a[k * n + k]!, 1e-20));
  return { B: v, D };
}

/** The state as bytes: n, sigma, generation, eigenGeneration, then mean, pc, ps, D, C and B as float64. */
export function encodeState(s: CmaState): Buffer {
  const { n } = s;
  const out = new Float64Array(4 + 4 * n + 2 * n * n);
  out.set([n, s.sigma, s.generation, s.eigenGeneration], 0);
  let at = 4;
  for (const part of [s.mean, s.pc, s.ps, s.D, s.C, s.B]) { out.set(part, at); at += part.length; }
  return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
}

export function decodeState(bytes: Uint8Array): CmaState {
  if (bytes.byteLength % 8 !== 0) throw new RangeError(`a CMA-ES state is float64 values (got ${bytes.byteLength} bytes)`);
  const all = new Float64Array(bytes.byteLength / 8);
  new Uint8Array(all.buffer).set(bytes);
  const n = all[0]!;
  if (!(Number.isInteger(n) && n >= 1 && all.length === 4 + 4 * n + 2 * n * n)) throw new RangeError(`a CMA-ES state of ${all.length} values does not fit n = ${n}`);
  let at = 4;
  const take = (k: number) => { const part = all.slice(at, at + k); at += k; return part; };
  const mean = take(n);
  const pc = take(n);
  const ps = take(n);
  const D = take(n);
  const C = take(n * n);
  const B = take(n * n);
  return { n, sigma: all[1]!, generation: all[2]!, eigenGeneration: all[3]!, mean, pc, ps, D, C, B };
}
