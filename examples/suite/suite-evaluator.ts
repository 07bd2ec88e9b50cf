// The evaluator the problems of the suite share: the solution is the params file's x0 .. x(n-1).
import type { EvaluationInput, EvaluatorResult } from '../../fitness/evaluator.js';
import { arm, linearProjection, rastrigin, sphere, vectorOf } from './qd-domains.js';

export type Domain = 'sphere' | 'rastrigin' | 'arm';

/** The evaluate function of one domain; each problem folder's evaluator.ts exports evaluatorFor(its domain). */
export function evaluatorFor(domain: Domain): (input: EvaluationInput) => EvaluatorResult {
  return (input) => {
    const x = vectorOf(input.params);
    if (domain === 'arm') {
      const { objective, measures } = arm(x);
      return { fitness: objective, descriptors: measures, metrics: { variance: -objective, reach: Math.hypot(...measures) } };
    }
    return { fitness: domain === 'sphere' ? sphere(x) : rastrigin(x), descriptors: linearProjection(x) };
  };
}
