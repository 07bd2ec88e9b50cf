// Builds the operators a run config names, with their weights.
import type { Operator } from '../operators/operator.js';
import { ParamCrossoverOperator } from '../operators/param-crossover-operator.js';
import { ParamMutationOperator } from '../operators/param-mutation-operator.js';
import type { OperatorConfig } from './config-schema.js';

export interface WeightedOperator {
  operator: Operator;
  weight: number;
}

export function createOperators(configs: readonly OperatorConfig[]): WeightedOperator[] {
  return configs.map((c) => {
    switch (c.type) {
      case 'param-mutation': return { operator: new ParamMutationOperator({ sigma: c.sigma, rate: c.rate }), weight: c.weight };
      case 'param-crossover': return { operator: new ParamCrossoverOperator({ blend: c.blend }), weight: c.weight };
    }
  });
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
