// ParamMutationOperator: perturbs a parent's parameters within their space, no LLM needed.
import type { Rng } from '../common/rng.js';
import type { ParamSpec, ParamValue, Params } from '../common/types.js';
import type { Operator, OperatorContext, OperatorResult } from './operator.js';
import { clamp, formatParams, parseParams, roundFloat } from './param-space.js';

export interface ParamMutationOptions {
  /** Standard deviation of the Gaussian step as a fraction of the range (of log-range on log scales). */
  sigma?: number;
  /** Probability that each parameter changes; at least one always does. */
  rate?: number;
}

/**
 * Gaussian steps on floats (in log space where the spec says `log`), a rounded Gaussian step of
 * at least one on ints, a resample to a different value on categoricals; every value clamped
 * into its bounds.
 */
export class ParamMutationOperator implements Operator {
  readonly name: string;
  readonly parentCount = 1;
  private readonly sigma: number;
  private readonly rate: number;

  constructor(options: ParamMutationOptions = {}, name = 'param-mutation') {
    this.name = name;
    this.sigma = options.sigma ?? 0.15;
    this.rate = options.rate ?? 0.3;
  }

  async propose({ parents, rng, params }: OperatorContext): Promise<OperatorResult> {
    if (params === null) return { ok: false, reason: 'the problem declares no parameter space' };
    const parent = parents[0]!;
    const text = parent.files[params.file];
    if (text === undefined) return { ok: false, reason: `parent ${parent.id} has no ${params.file}` };
    const values: Params = parseParams(text);
    const names = Object.keys(params.space).sort();
    const forced = names[rng.int(names.length)]!;
    const changed: string[] = [];
    for (const name of names) {
      // Draw for every name, used or not, so one parameter's choice never shifts another's randomness.
      const draw = rng.next();
      if (name !== forced && draw >= this.rate) continue;
      const next = mutateValue(values[name]!, params.space[name]!, this.sigma, rng);
      if (next !== values[name]) changed.push(`${name}: ${JSON.stringify(values[name])} -> ${JSON.stringify(next)}`);
      values[name] = next;
    }
    if (changed.length === 0) return { ok: false, reason: 'the mutation changed no parameter (every draw hit a bound)' };
    return { ok: true, children: [{ files: { ...parent.files, [params.file]: formatParams(values) }, note: changed.join('; ') }] };
  }
}

export function mutateValue(value: ParamValue, spec: ParamSpec, sigma: number, rng: Rng): ParamValue {
  if (spec.type === 'categorical') {
    const others = spec.values.filter((v) => v !== value);
    return others.length === 0 ? value : others[rng.int(others.length)]!;
  }
  const x = value as number;
  if (spec.type === 'int') {
    const span = spec.max - spec.min;
    let step = Math.round(rng.normal() * sigma * span);
    if (step === 0) step = rng.next() < 0.5 ? -1 : 1;
    return clamp(x + step, spec.min, spec.max);
  }
  if (spec.log) {
    const lo = Math.log(spec.min);
    const hi = Math.log(spec.max);
    return clamp(roundFloat(Math.exp(Math.log(x) + rng.normal() * sigma * (hi - lo))), spec.min, spec.max);
  }
  return clamp(roundFloat(x + rng.normal() * sigma * (spec.max - spec.min)), spec.min, spec.max);
}
