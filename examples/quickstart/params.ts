// Reads the variant's parameters into a typed stack configuration, rejecting anything outside the declared space.
import { FEATURE_TRANSFORMS, type FeatureTransform } from './features.js';
import { ACTIVATIONS, type Activation } from './mlp.js';

export interface StackConfig {
  hiddenWidth: number;
  hiddenLayers: number;
  activation: Activation;
  learningRate: number;
  epochs: number;
  l2: number;
  features: FeatureTransform;
  trainFraction: number;
  batchSize: number;
}

/** Mirrors problem.json; the evaluator re-checks because a variant's params.json may have been edited by hand or by an LLM. */
const BATCH_SIZES = [8, 16, 32, 64] as const;

function number(params: Record<string, unknown>, name: string, min: number, max: number, integer: boolean): number {
  const value = params[name];
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new Error(`params.${name}: must be a finite number (got ${JSON.stringify(value)})`);
  }
  if (integer && !Number.isInteger(value)) throw new Error(`params.${name}: must be an integer (got ${value})`);
  if (value < min || value > max) throw new Error(`params.${name}: must be between ${min} and ${max} (got ${value})`);
  return value;
}

function choice<T extends string | number>(params: Record<string, unknown>, name: string, values: readonly T[]): T {
  const value = params[name];
  const found = values.find((v) => v === value);
  if (found === undefined) {
    throw new Error(`params.${name}: must be one of ${values.join(', ')} (got ${JSON.stringify(value)})`);
  }
  return found;
}

/** Throws one message naming the first bad parameter; the engine records it as a failed evaluation. */
export function readConfig(params: Record<string, unknown>): StackConfig {
  return {
    hiddenWidth: number(params, 'hiddenWidth', 2, 32, true),
    hiddenLayers: number(params, 'hiddenLayers', 1, 3, true),
    activation: choice(params, 'activation', ACTIVATIONS),
    learningRate: number(params, 'learningRate', 1e-3, 0.5, false),
    epochs: number(params, 'epochs', 15, 60, true),
    l2: number(params, 'l2', 1e-6, 1e-1, false),
    features: choice(params, 'features', FEATURE_TRANSFORMS),
    trainFraction: number(params, 'trainFraction', 0.4, 1, false),
    batchSize: choice(params, 'batchSize', BATCH_SIZES),
  };
}
