// ParamIsoLineOperator: the Iso+LineDD variation of Vassiliades & Mouret (GECCO 2018), no LLM needed.
import type { Params } from '../common/types.js';
import type { Operator, OperatorContext, OperatorResult } from './operator.js';
import { clamp, formatParams, parseParams, roundFloat } from './param-space.js';

/**
 * child = x + sigmaIso * N(0, I) + sigmaLine * N(0, 1) * (y - x), for two elites x (the first parent) and
 * y: an isotropic Gaussian step plus a step along the line between them, which follows the direction in
 * which elites are correlated. One line draw is shared by every parameter. Numeric parameters are
 * worked in units of their range (of the log range for `log` floats), so sigmaIso is a fraction of the
 * range like param-mutation's sigma; ints are rounded; categoricals come from the first parent. Values
 * are clamped to their range.
 */
export class ParamIsoLineOperator implements Operator {
  readonly name: string;
  readonly parentCount = 2;
  private readonly sigmaIso: number;
  private readonly sigmaLine: number;

  constructor(options: { sigmaIso?: number; sigmaLine?: number } = {}, name = 'param-iso-line') {
    this.name = name;
    this.sigmaIso = options.sigmaIso ?? 0.01;
    this.sigmaLine = options.sigmaLine ?? 0.2;
  }

  async propose({ parents, rng, params }: OperatorContext): Promise<OperatorResult> {
    if (params === null) return { ok: false, reason: 'the problem declares no parameter space' };
    const [a, b] = parents as [typeof parents[0], typeof parents[0]];
    const textA = a.files[params.file];
    const textB = b.files[params.file];
    if (textA === undefined || textB === undefined) return { ok: false, reason: `a parent has no ${params.file}` };
    const pa = parseParams(textA);
    const pb = parseParams(textB);
    const line = rng.normal() * this.sigmaLine;
    const child: Params = {};
    for (const name of Object.keys(params.space).sort()) {
      const spec = params.space[name]!;
      // Drawn for every name, used or not, so one parameter's kind never shifts another's randomness.
      const iso = rng.normal() * this.sigmaIso;
      if (spec.type === 'categorical') { child[name] = pa[name]!; continue; }
      const log = spec.type === 'float' && spec.log === true;
      const lo = log ? Math.log(spec.min) : spec.min;
      const span = (log ? Math.log(spec.max) : spec.max) - lo;
      const unit = (v: number) => ((log ? Math.log(v) : v) - lo) / span;
      const x = unit(pa[name] as number);
      const y = unit(pb[name] as number);
      const u = x + iso + line * (y - x);
      const raw = lo + u * span;
      const value = log ? Math.exp(raw) : raw;
      child[name] = spec.type === 'int' ? clamp(Math.round(value), spec.min, spec.max) : clamp(roundFloat(value), spec.min, spec.max);
    }
    const text = formatParams(child);
    if (text === textA) return { ok: false, reason: 'the step changed no parameter (too small, or every value hit a bound)' };
    return { ok: true, children: [{ files: { ...a.files, [params.file]: text }, note: `iso+line from ${a.id} towards ${b.id} (line step ${line.toFixed(3)})` }] };
  }
}
