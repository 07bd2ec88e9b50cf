// ParamCrossoverOperator: mixes two parents' parameters, no LLM needed.
import type { Params } from '../common/types.js';
import type { Operator, OperatorContext, OperatorResult } from './operator.js';
import { clamp, formatParams, parseParams, roundFloat } from './param-space.js';

/**
 * Uniform crossover: each parameter comes from one parent or the other with equal chance; with
 * probability `blend` a float is instead a random point between the two parents' values
 * (geometric on log scales). The child keeps the first parent's other files.
 */
export class ParamCrossoverOperator implements Operator {
  readonly name: string;
  readonly parentCount = 2;
  private readonly blend: number;

  constructor(options: { blend?: number } = {}, name = 'param-crossover') {
    this.name = name;
    this.blend = options.blend ?? 0.3;
  }

  async propose({ parents, rng, params }: OperatorContext): Promise<OperatorResult> {
    if (params === null) return { ok: false, reason: 'the problem declares no parameter space' };
    const [a, b] = parents as [typeof parents[0], typeof parents[0]];
    if (a.id === b.id) return { ok: false, reason: 'both parents are the same variant' };
    const textA = a.files[params.file];
    const textB = b.files[params.file];
    if (textA === undefined || textB === undefined) return { ok: false, reason: `a parent has no ${params.file}` };
    const pa = parseParams(textA);
    const pb = parseParams(textB);
    const child: Params = {};
    for (const name of Object.keys(params.space).sort()) {
      const spec = params.space[name]!;
      const fromB = rng.next() < 0.5;
      const blendDraw = rng.next();
      const t = rng.next();
      const va = pa[name]!;
      const vb = pb[name]!;
      if (spec.type === 'float' && blendDraw < this.blend) {
        const x = va as number;
        const y = vb as number;
        // Rounding may step past a bound with more than six significant digits: clamp after it.
        child[name] = clamp(roundFloat(spec.log ? Math.exp(Math.log(x) + t * (Math.log(y) - Math.log(x))) : x + t * (y - x)), spec.min, spec.max);
      } else {
        child[name] = fromB ? vb : va;
      }
    }
    return { ok: true, children: [{ files: { ...a.files, [params.file]: formatParams(child) }, note: `crossover of ${a.id} and ${b.id}` }] };
  }
}
