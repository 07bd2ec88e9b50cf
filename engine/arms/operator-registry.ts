// Builds the arms a run config names: each parameter operator is one arm, each LLM operator one arm per (model, temperature), one per model that has a temperature of its own.
import { InternalError } from '../../common/errors.js';
import { CmaEmitterOperator } from '../../operators/cma/cma-emitter-operator.js';
import { LlmOperator } from '../../operators/llm/llm-operator.js';
import { fixedTemperature } from '../../operators/llm/model-settings.js';
import type { LlmService } from '../../operators/llm/llm-service.js';
import type { PromptTemplates } from '../../operators/llm/prompt-template.js';
import { isStateful, type Operator } from '../../operators/operator.js';
import { ParamCrossoverOperator } from '../../operators/param-crossover-operator.js';
import { ParamIsoLineOperator } from '../../operators/param-iso-line-operator.js';
import { ParamMutationOperator } from '../../operators/param-mutation-operator.js';
import type { BanditPolicy } from './bandit.js';
import type { RunConfig } from '../config/config-schema.js';

/** What the engine chooses among for each iteration. `label` is stored with the iteration and names the arm in status. */
export interface Arm {
  label: string;
  operator: Operator;
  /** The fixed-weights policy's weight: the operator's, split over its models by their weights and evenly over temperatures. */
  weight: number;
  llm: { model: string; temperature: number } | null;
}

export interface LlmDeps {
  service: LlmService;
  templates: PromptTemplates;
}

/** An arm without its operator: all that status needs, and all that choosing needs besides the operator. */
export interface ArmSpec {
  label: string;
  weight: number;
  llm: { model: string; temperature: number } | null;
  /** Index in config.operators. */
  operatorIndex: number;
}

export function armSpecs(config: RunConfig): ArmSpec[] {
  return config.operators.flatMap((c, operatorIndex): ArmSpec[] => {
    const name = c.name ?? c.type;
    if ((c.type !== 'llm-diff' && c.type !== 'llm-rewrite' && c.type !== 'llm-crossover') || config.llm === undefined) return [{ label: name, weight: c.weight, llm: null, operatorIndex }];
    const models = config.llm.models.filter((m) => c.models === undefined || c.models.includes(m.name));
    const totalWeight = models.reduce((s, m) => s + m.weight, 0);
    return models.flatMap((m) => {
      // A model with a temperature of its own (its config's, or none for o-series and gpt-5 models) is one arm per
      // operator: arms that differ only in a temperature never sent would be the same request under two names.
      const fixed = fixedTemperature(m.name, m);
      const temperatures = fixed === undefined ? c.temperatures ?? config.llm!.temperatures : [fixed];
      return temperatures.map((temperature) => ({
        label: `${name}|${m.name}|t=${temperature ?? 'default'}`,
        weight: totalWeight === 0 ? 0 : (c.weight * m.weight) / totalWeight / temperatures.length,
        // NaN stands for "none sent": the gateway takes the temperature from the model's settings then, never from here.
        llm: { model: m.name, temperature: temperature ?? Number.NaN },
        operatorIndex,
      }));
    });
  });
}

export function createArms(config: RunConfig, llm: LlmDeps | null): Arm[] {
  const operators = config.operators.map((c): Operator => {
    const name = c.name ?? c.type;
    switch (c.type) {
      case 'param-mutation': return new ParamMutationOperator({ sigma: c.sigma, rate: c.rate }, name);
      case 'param-crossover': return new ParamCrossoverOperator({ blend: c.blend }, name);
      case 'param-iso-line': return new ParamIsoLineOperator({ sigmaIso: c.sigmaIso, sigmaLine: c.sigmaLine }, name);
      case 'param-cma-me':
      case 'param-cma-mae':
        return new CmaEmitterOperator({ emitters: c.emitters, sigma0: c.sigma0, ranker: c.ranker, selection: c.selection, restart: c.restart, ...(c.batchSize ? { batchSize: c.batchSize } : {}) }, name);
      case 'llm-diff':
      case 'llm-rewrite':
      case 'llm-crossover': {
        if (llm === null) throw new InternalError(`operator ${name} needs the LLM service`);
        const mode = c.type === 'llm-diff' ? 'diff' : c.type === 'llm-rewrite' ? 'rewrite' : 'crossover';
        return new LlmOperator({
          name, mode, service: llm.service, templates: llm.templates, repair: c.repair,
          ...(c.files ? { files: c.files } : {}), ...(c.type === 'llm-crossover' ? { parents: c.parents } : {}),
        });
      }
    }
  });
  return armSpecs(config).map((spec) => ({ label: spec.label, weight: spec.weight, llm: spec.llm, operator: operators[spec.operatorIndex]! }));
}

/** The arms whose operator keeps state (CMA-ES emitters), made without the LLM service: what a fork replays. */
export function statefulArms(config: RunConfig): Array<{ label: string; operator: Operator }> {
  const stateful = { ...config, operators: config.operators.map((c) => (c.type === 'param-cma-me' || c.type === 'param-cma-mae' ? c : { type: 'param-mutation' as const, weight: 0, name: c.name ?? c.type })) };
  return createArms(stateful, null).filter((arm) => isStateful(arm.operator));
}

export function policyOf(config: RunConfig): BanditPolicy {
  const c = config.operatorChoice;
  return c.policy === 'weights' ? { kind: 'weights' } : c.policy === 'ucb1' ? { kind: 'ucb1', exploration: c.exploration, discount: c.discount } : { kind: 'thompson', discount: c.discount };
}
