// The schema of a run config's operators: one entry per operator type, each with its own settings.
import { z } from './zod.js';

export const weight = z.number().min(0);
/** LLM operators make one arm per (model, temperature); `models` and `temperatures` narrow the llm section's lists. */
const llmArms = {
  name: z.string().min(1).optional(),
  weight,
  models: z.array(z.string().min(1)).min(1).optional(),
  temperatures: z.array(z.number().min(0).max(2)).min(1).optional(),
};


/**
 * CMA-ES emitters (operators/cma/): `param-cma-me` defaults to CMA-ME's rules (two-stage improvement ranking, the
 * children the archive took as parents, a restart when none was taken), `param-cma-mae` to CMA-MAE's (ranking by
 * improvement over the soft archive's thresholds, the better half as parents, a restart only on convergence).
 */
const cmaEmitter = {
  name: z.string().min(1).optional(),
  weight,
  emitters: z.number().int().min(1).max(1000).default(5),
  batchSize: z.number().int().min(2).max(10_000).optional(),
  sigma0: z.number().gt(0).max(1).default(0.05),
};

export const operatorSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('param-mutation'), name: z.string().min(1).optional(), weight, sigma: z.number().gt(0).max(1).optional(), rate: z.number().min(0).max(1).optional() }),
  z.strictObject({ type: z.literal('param-crossover'), name: z.string().min(1).optional(), weight, blend: z.number().min(0).max(1).optional() }),
  z.strictObject({ type: z.literal('param-iso-line'), name: z.string().min(1).optional(), weight, sigmaIso: z.number().min(0).max(1).optional(), sigmaLine: z.number().min(0).max(10).optional() }),
  z.strictObject({ type: z.literal('param-cma-me'), ...cmaEmitter, ranker: z.enum(['two-stage-improvement', 'improvement']).default('two-stage-improvement'),
    selection: z.enum(['filter', 'mu']).default('filter'), restart: z.enum(['basic', 'no-improvement']).default('no-improvement') }),
  z.strictObject({ type: z.literal('param-cma-mae'), ...cmaEmitter, ranker: z.enum(['two-stage-improvement', 'improvement']).default('improvement'),
    selection: z.enum(['filter', 'mu']).default('mu'), restart: z.enum(['basic', 'no-improvement']).default('basic') }),
  z.strictObject({ type: z.literal('llm-diff'), ...llmArms, repair: z.boolean().default(true), files: z.array(z.string().min(1)).min(1).optional() }),
  z.strictObject({ type: z.literal('llm-rewrite'), ...llmArms, repair: z.boolean().default(true), files: z.array(z.string().min(1)).min(1).optional() }),
  z.strictObject({ type: z.literal('llm-crossover'), ...llmArms, repair: z.boolean().default(true), files: z.array(z.string().min(1)).min(1).optional(), parents: z.number().int().min(2).max(4).default(2) }),
]);

