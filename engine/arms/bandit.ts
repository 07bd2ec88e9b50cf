// Adaptive choice among arms (operator, model, temperature combinations): fixed weights, discounted UCB1 or discounted Thompson sampling.
import type { Rng } from '../../common/rng.js';

/**
 * How a Bandit chooses.
 * - `weights`: with probability proportional to weight, from one uniform draw; rewards are recorded but ignored.
 * - `ucb1`: every untried arm first, then the arm with the largest mean + exploration * sqrt(ln N / n_i).
 * - `thompson`: the arm whose draw from its Beta(1 + s_i, 1 + n_i - s_i) posterior is largest.
 * For `ucb1` and `thompson` a weight only says whether an arm may be chosen (weight > 0) or never (weight 0);
 * its size does not matter. `discount` (gamma in (0, 1]) fades old rewards so the choice can follow a
 * best arm that changes: 1 keeps every reward at full strength, 0.95 remembers roughly the last 20 credits.
 * Discounted counts stay near 1 / (1 - gamma), so the UCB1 exploration term stays large: at gamma 0.95,
 * c = sqrt(2) gives the best of three arms only about half the choices, where c = 0.5 gives it about 70%.
 */
export type BanditPolicy =
  | { kind: 'weights' }
  | { kind: 'ucb1'; exploration: number; discount: number }
  | { kind: 'thompson'; discount: number };

/** The exploration constant c of textbook UCB1, the value a config should default to. */
export const DEFAULT_EXPLORATION = Math.SQRT2;

/** What a Bandit remembers of one arm; the counters a resumed run needs to continue identically. */
export interface ArmState {
  label: string;
  /** Times choose() returned this arm. */
  pulls: number;
  /** Rewards received for this arm. */
  credits: number;
  /** Credits, each faded by gamma at every later credit to any arm. */
  discountedCount: number;
  /** Rewards, faded like discountedCount; never more than discountedCount. */
  discountedReward: number;
}

/** A Bandit's state as plain JSON: arms in the order of the labels it was built with. */
export interface BanditState {
  arms: ArmState[];
}

/** One arm as shown to a person. */
export interface ArmStats extends ArmState {
  weight: number;
  /** discountedReward / discountedCount; null before the first credit. */
  mean: number | null;
  /**
   * What the policy ranks by: the UCB index for `ucb1` (null while the arm is untried), the posterior
   * mean for `thompson`, the choice probability for `weights`.
   */
  score: number | null;
}

/** Only uniform draws are used, so any source of them will do. */
export type UniformSource = Pick<Rng, 'next'>;

/**
 * Chooses arms and learns from their rewards. Choices and credits need not alternate: the engine chooses
 * for later iterations before earlier ones are credited, and credits arrive in any order. A choice is a
 * pure function of the state and the draws of the rng it is given, so the same calls give the same
 * choices, bit for bit, and toJSON()/restore() resumes a run exactly.
 */
export class Bandit {
  private readonly labels: readonly string[];
  private readonly weights: readonly number[];
  private readonly policy: BanditPolicy;
  private readonly discount: number;
  private readonly pulls: number[];
  private readonly credits: number[];
  private readonly count: number[];
  private readonly reward: number[];

  /** Throws an Error naming every problem with the labels, weights and policy at once. */
  constructor(labels: readonly string[], weights: readonly number[], policy: BanditPolicy) {
    const problems = validate(labels, weights, policy);
    if (problems.length > 0) throw new Error(`invalid bandit: ${problems.join('; ')}`);
    this.labels = [...labels];
    this.weights = [...weights];
    this.policy = { ...policy };
    this.discount = policy.kind === 'weights' ? 1 : policy.discount;
    this.pulls = labels.map(() => 0);
    this.credits = labels.map(() => 0);
    this.count = labels.map(() => 0);
    this.reward = labels.map(() => 0);
  }

  /**
   * A bandit with the counters of `state`, as toJSON() returned them for the same labels. Throws an Error
   * naming the arms whose labels differ (the config changed since the state was saved) or the malformed field.
   */
  static restore(labels: readonly string[], weights: readonly number[], policy: BanditPolicy, state: BanditState): Bandit {
    const bandit = new Bandit(labels, weights, policy);
    const arms: unknown = (state as { arms?: unknown } | null)?.arms;
    if (!Array.isArray(arms)) throw new Error('invalid bandit state: arms must be an array');
    const saved = arms.map((arm: unknown) => (arm as { label?: unknown } | null)?.label);
    const differences = labelDifferences(saved, labels);
    if (differences.length > 0) {
      throw new Error(`bandit state does not match the configured arms: ${differences.join('; ')}`);
    }
    const problems = (arms as unknown[]).flatMap((arm, i) => stateProblems(arm as Record<string, unknown>, `arms[${i}]`));
    if (problems.length > 0) throw new Error(`invalid bandit state: ${problems.join('; ')}`);
    (arms as ArmState[]).forEach((arm, i) => {
      bandit.pulls[i] = arm.pulls;
      bandit.credits[i] = arm.credits;
      bandit.count[i] = arm.discountedCount;
      bandit.reward[i] = arm.discountedReward;
    });
    return bandit;
  }

  /** The arm to use next, counted as a pull. Never an arm of weight 0. */
  choose(rng: UniformSource): number {
    const arm = this.policy.kind === 'weights' ? chooseWeighted(this.weights, rng.next())
      : this.policy.kind === 'ucb1' ? this.chooseUcb(this.policy.exploration)
      : this.chooseThompson(rng);
    this.pulls[arm]! += 1;
    return arm;
  }

  /**
   * Records a reward for `arm`, clamped to [0, 1], `times` times over (a positive integer: one credit per
   * evaluation of an iteration credited per evaluation). For each credit, every arm's discounted count and
   * reward are first multiplied by gamma, then the arm gets one count and the reward. Throws on NaN, an
   * unknown arm or a bad `times`.
   */
  credit(arm: number, reward: number, times = 1): void {
    this.checkArm(arm);
    if (typeof reward !== 'number' || Number.isNaN(reward)) {
      throw new Error(`reward for arm ${arm} ("${this.labels[arm]}") must be a number in [0, 1] (got ${String(reward)})`);
    }
    if (!(Number.isInteger(times) && times >= 1)) throw new Error(`credits for arm ${arm} ("${this.labels[arm]}") must be a positive integer (got ${String(times)})`);
    const r = Math.min(1, Math.max(0, reward));
    for (let t = 0; t < times; t++) {
      if (this.discount !== 1) {
        for (let i = 0; i < this.count.length; i++) {
          this.count[i]! *= this.discount;
          this.reward[i]! *= this.discount;
        }
      }
      this.credits[arm]! += 1;
      this.count[arm]! += 1;
      this.reward[arm]! += r;
    }
  }

  /** Every arm's counters, mean and score, in label order. */
  stats(): ArmStats[] {
    const total = this.weights.reduce((a, b) => a + b, 0);
    const logN = Math.log(sum(this.count));
    return this.labels.map((label, i) => {
      const n = this.count[i]!;
      const s = this.reward[i]!;
      const mean = n > 0 ? s / n : null;
      let score: number | null;
      switch (this.policy.kind) {
        case 'weights': score = this.weights[i]! / total; break;
        case 'ucb1': score = mean === null ? null : ucbIndex(mean, n, logN, this.policy.exploration); break;
        case 'thompson': score = (1 + s) / (2 + n); break;
      }
      return { ...this.armState(i), label, weight: this.weights[i]!, mean, score: Number.isFinite(score) ? score : null };
    });
  }

  /** The state to save; JSON.stringify/parse of it restores exactly (all numbers are finite). */
  toJSON(): BanditState {
    return { arms: this.labels.map((_, i) => this.armState(i)) };
  }

  private armState(i: number): ArmState {
    return {
      label: this.labels[i]!,
      pulls: this.pulls[i]!,
      credits: this.credits[i]!,
      discountedCount: this.count[i]!,
      discountedReward: this.reward[i]!,
    };
  }

  private chooseUcb(exploration: number): number {
    // Untried arms come first. Among them the one chosen least, then the lowest index: with credits
    // pending, this spreads the first choices over the untried arms instead of repeating the first.
    let untried = -1;
    for (let i = 0; i < this.count.length; i++) {
      if (this.weights[i]! > 0 && this.count[i] === 0 && (untried < 0 || this.pulls[i]! < this.pulls[untried]!)) untried = i;
    }
    if (untried >= 0) return untried;
    // Some arm has count >= 1 here (the last one credited), so N >= 1 and ln N >= 0.
    const logN = Math.log(sum(this.count));
    let best = -1;
    let bestIndex = -Infinity;
    for (let i = 0; i < this.count.length; i++) {
      if (!(this.weights[i]! > 0)) continue;
      const n = this.count[i]!;
      const index = ucbIndex(this.reward[i]! / n, n, logN, exploration);
      // Strictly greater: ties go to the lowest index. A count faded to a denormal gives Infinity, still ordered.
      if (best < 0 || index > bestIndex) { best = i; bestIndex = index; }
    }
    return best;
  }

  private chooseThompson(rng: UniformSource): number {
    let best = -1;
    let bestDraw = -Infinity;
    for (let i = 0; i < this.count.length; i++) {
      if (!(this.weights[i]! > 0)) continue;
      const n = this.count[i]!;
      const s = this.reward[i]!;
      const draw = sampleBeta(1 + s, 1 + Math.max(0, n - s), rng);
      if (best < 0 || draw > bestDraw) { best = i; bestDraw = draw; }
    }
    return best;
  }

  private checkArm(arm: number): void {
    if (!Number.isInteger(arm) || arm < 0 || arm >= this.labels.length) {
      throw new Error(`arm must be an integer from 0 to ${this.labels.length - 1} (got ${arm})`);
    }
  }
}

function ucbIndex(mean: number, n: number, logN: number, exploration: number): number {
  return mean + exploration * Math.sqrt(logN / n);
}

function sum(values: readonly number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}

function validate(labels: readonly string[], weights: readonly number[], policy: BanditPolicy): string[] {
  const problems: string[] = [];
  if (labels.length === 0) problems.push('labels: must name at least one arm');
  if (labels.length !== weights.length) problems.push(`labels and weights must have the same length (got ${labels.length} and ${weights.length})`);
  labels.forEach((label, i) => { if (typeof label !== 'string') problems.push(`labels[${i}]: must be a string`); });
  weights.forEach((w, i) => {
    if (typeof w !== 'number' || !Number.isFinite(w) || w < 0) problems.push(`weights[${i}]: must be a finite number >= 0 (got ${String(w)})`);
  });
  if (weights.length > 0 && !weights.some((w) => w > 0)) problems.push('weights: at least one must be positive');
  const p = policy as { kind?: unknown; discount?: unknown; exploration?: unknown };
  if (p.kind === 'ucb1' || p.kind === 'thompson') {
    if (typeof p.discount !== 'number' || !(p.discount > 0 && p.discount <= 1)) {
      problems.push(`policy.discount: must be in (0, 1] (got ${String(p.discount)})`);
    }
    if (p.kind === 'ucb1' && (typeof p.exploration !== 'number' || !Number.isFinite(p.exploration) || p.exploration < 0)) {
      problems.push(`policy.exploration: must be a finite number >= 0 (got ${String(p.exploration)})`);
    }
  } else if (p.kind !== 'weights') {
    problems.push(`policy.kind: must be "weights", "ucb1" or "thompson" (got ${JSON.stringify(p.kind)})`);
  }
  return problems;
}

/** Each position whose label differs between a saved state and the config, in words. */
function labelDifferences(saved: readonly unknown[], labels: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < Math.max(saved.length, labels.length); i++) {
    const was = saved[i];
    const is = labels[i];
    if (i >= saved.length) out.push(`arm ${i} "${is}" is in the config but not in the saved state`);
    else if (i >= labels.length) out.push(`arm ${i} ${JSON.stringify(was)} is in the saved state but not in the config`);
    else if (was !== is) out.push(`arm ${i} is ${JSON.stringify(was)} in the saved state but "${is}" in the config`);
  }
  return out;
}

function stateProblems(arm: Record<string, unknown>, path: string): string[] {
  if (typeof arm !== 'object' || arm === null) return [`${path}: must be an object`];
  const problems: string[] = [];
  for (const key of ['pulls', 'credits', 'discountedCount', 'discountedReward']) {
    const v = arm[key];
    const integer = key === 'pulls' || key === 'credits';
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (integer && !Number.isInteger(v))) {
      problems.push(`${path}.${key}: must be a finite ${integer ? 'integer' : 'number'} >= 0 (got ${String(v)})`);
    }
  }
  if (problems.length === 0 && (arm.discountedReward as number) > (arm.discountedCount as number)) {
    problems.push(`${path}.discountedReward: must not exceed discountedCount`);
  }
  return problems;
}

/** A standard normal by Box–Muller from two uniform draws; the second normal is dropped so no state is kept. */
function normal(rng: UniformSource): number {
  const u = 1 - rng.next(); // in (0, 1], so the log is finite
  const v = rng.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** A Gamma(shape, 1) draw by Marsaglia–Tsang; shape < 1 uses Gamma(shape + 1) * U^(1 / shape). */
export function sampleGamma(shape: number, rng: UniformSource): number {
  if (!(shape > 0) || !Number.isFinite(shape)) throw new Error(`gamma shape must be a finite number > 0 (got ${shape})`);
  if (shape < 1) return sampleGamma(shape + 1, rng) * Math.pow(1 - rng.next(), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = normal(rng);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = rng.next();
    if (u < 1 - 0.0331 * x * x * x * x) return d * v;
    if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** A Beta(a, b) draw as X / (X + Y) with X ~ Gamma(a), Y ~ Gamma(b); the mean a / (a + b) if both underflow to 0. */
export function sampleBeta(a: number, b: number, rng: UniformSource): number {
  const x = sampleGamma(a, rng);
  const y = sampleGamma(b, rng);
  return x + y > 0 ? x / (x + y) : a / (a + b);
}

/** Index chosen with probability proportional to weight, from one uniform draw in [0, 1). */
export function chooseWeighted(weights: readonly number[], draw: number): number {
  const total = weights.reduce((a, b) => a + b, 0);
  let x = draw * total;
  for (let i = 0; i < weights.length; i++) {
    x -= weights[i]!;
    if (x < 0 && weights[i]! > 0) return i;
  }
  return weights.findLastIndex((w) => w > 0);
}
