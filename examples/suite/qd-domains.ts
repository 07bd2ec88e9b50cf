// The standard quality-diversity benchmark domains of the CMA-ME and CMA-MAE papers and the pyribs
// tutorials, as pure functions of a solution vector:
// - linear projection (Fontaine et al. 2020, "Covariance Matrix Adaptation for the Rapid Illumination of
//   Behavior Space"; Fontaine & Nikolaidis 2023, "Covariance Matrix Adaptation MAP-Annealing"): the
//   sphere or Rastrigin objective shifted by 5.12 * 0.4 and scaled to [0, 100]; the measures are the
//   sums of the first and the second half of the solution, each coordinate x outside [-5.12, 5.12]
//   replaced by 5.12 / x first;
// - the planar robotic arm (Cully et al. 2015; CMA-ME paper): n unit links, joint angles in [-pi, pi];
//   the objective is minus the variance of the angles, the measures are the end effector's x and y.

export const BOUND = 5.12;
export const SHIFT = BOUND * 0.4;

/** Sphere: 100 * (raw - worst) / (best - worst), raw = sum (x - shift)^2, best 0, worst (-5.12 - shift)^2 * n. */
export function sphere(x: readonly number[]): number {
  let raw = 0;
  for (const v of x) raw += (v - SHIFT) ** 2;
  const worst = (-BOUND - SHIFT) ** 2 * x.length;
  return ((raw - worst) / (0 - worst)) * 100;
}

/** One coordinate's Rastrigin term, shifted: (x - s)^2 - 10 cos(2 pi (x - s)) + 10. */
function rastriginTerm(v: number): number {
  const d = v - SHIFT;
  return d * d - 10 * Math.cos(2 * Math.PI * d) + 10;
}

/**
 * The largest Rastrigin term on [-5.12, 5.12], found once by a dense grid (as the reference
 * implementations find it) and refined by golden-section search around the best grid point.
 */
export const RASTRIGIN_WORST_TERM = (() => {
  const steps = 200_000;
  let bestX = -BOUND;
  for (let i = 0; i <= steps; i++) {
    const v = -BOUND + (2 * BOUND * i) / steps;
    if (rastriginTerm(v) > rastriginTerm(bestX)) bestX = v;
  }
  let lo = Math.max(-BOUND, bestX - (2 * BOUND) / steps);
  let hi = Math.min(BOUND, bestX + (2 * BOUND) / steps);
  for (let i = 0; i < 100; i++) {
    const a = lo + (hi - lo) * 0.382;
    const b = lo + (hi - lo) * 0.618;
    if (rastriginTerm(a) > rastriginTerm(b)) hi = b;
    else lo = a;
  }
  return Math.max(rastriginTerm((lo + hi) / 2), rastriginTerm(bestX));
})();

/** Rastrigin: 100 * (raw - worst) / (best - worst), raw = 10 n + sum ((x - s)^2 - 10 cos(2 pi (x - s))), best 0. */
export function rastrigin(x: readonly number[]): number {
  let raw = 0;
  for (const v of x) raw += rastriginTerm(v);
  const worst = RASTRIGIN_WORST_TERM * x.length;
  return ((raw - worst) / (0 - worst)) * 100;
}

/** Linear-projection measures: sums of the two halves, a coordinate outside [-5.12, 5.12] counted as 5.12 / x. */
export function linearProjection(x: readonly number[]): [number, number] {
  const half = Math.floor(x.length / 2);
  let first = 0;
  let second = 0;
  x.forEach((v, i) => {
    const clipped = v < -BOUND || v > BOUND ? BOUND / v : v;
    if (i < half) first += clipped;
    else second += clipped;
  });
  return [first, second];
}

/** Arm repertoire: objective -Var(theta) (population variance); measures the end effector (x, y) of unit links. */
export function arm(theta: readonly number[]): { objective: number; measures: [number, number] } {
  const n = theta.length;
  const mean = theta.reduce((a, b) => a + b, 0) / n;
  const variance = theta.reduce((a, b) => a + (b - mean) ** 2, 0) / n;
  let angle = 0;
  let x = 0;
  let y = 0;
  for (const t of theta) {
    angle += t;
    x += Math.cos(angle);
    y += Math.sin(angle);
  }
  return { objective: 0 - variance, measures: [x, y] }; // 0 - v, not -v: no -0 for a straight arm
}

/** The solution vector of a params object whose keys are x0 .. x(n-1). */
export function vectorOf(params: Record<string, unknown>): number[] {
  const n = Object.keys(params).length;
  return Array.from({ length: n }, (_, i) => {
    const v = params[`x${i}`];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`params.x${i}: expected a finite number (got ${JSON.stringify(v)})`);
    return v;
  });
}
