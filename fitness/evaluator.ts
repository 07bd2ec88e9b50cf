// The evaluator contract: what a problem's evaluator module exports, receives and returns.
import type { Params, VariantFiles } from '../common/types.js';

/**
 * What one evaluation receives. Everything is plain data copied into the worker thread;
 * the evaluator never sees the population, the database or the engine.
 */
export interface EvaluationInput {
  /** Content id of the variant being scored. */
  variantId: string;
  /** The variant's files, by relative name. */
  files: VariantFiles;
  /** The parsed parameter file, when the problem declares a parameter space; otherwise {}. */
  params: Params;
  /**
   * Derived from the run's seed and the iteration (see common/rng.ts). An evaluator must take
   * all of its randomness from this seed, so that the same run gives the same scores.
   */
  seed: number;
  /** The iteration that asked for this evaluation. */
  iteration: number;
  /** Absolute path of the problem folder, for data files the problem ships. */
  problemDir: string;
}

/**
 * What an evaluator returns. `descriptors` is either an array in the problem's declared order
 * or an object keyed by descriptor name. Anything else, a NaN or an Infinity, is recorded as an
 * `invalid` evaluation with the reason, never as a score.
 */
export interface EvaluatorResult {
  fitness: number;
  descriptors: number[] | Record<string, number>;
  metrics?: Record<string, number | string | boolean>;
  /** Text feedback (errors, failing cases) kept with the evaluation, for people and for later prompts. */
  artifacts?: Record<string, string>;
}

/**
 * An evaluator module exports `evaluate` (or a default export) of this type. It runs in a
 * Piscina worker thread; it may be synchronous or async, TypeScript or JavaScript. Throwing
 * records the evaluation as `failed` with reason `threw`; running past the timeout gets the
 * worker terminated and the evaluation recorded as `timeout`.
 */
export type Evaluate = (input: EvaluationInput) => EvaluatorResult | Promise<EvaluatorResult>;
