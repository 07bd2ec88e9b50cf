// The Operator contract: how children are made from parents.
import type { Rng } from '../common/rng.js';
import type { ParamSpace, Variant, VariantFiles } from '../common/types.js';

/** What the engine hands an operator for one iteration. */
export interface OperatorContext {
  /** Exactly `parentCount` parents, with their files, chosen by the engine. */
  parents: Variant[];
  /**
   * The operator's only source of randomness: rngFor(runSeed, iteration, 'operator').
   * An operator that uses anything else (Math.random, the clock) breaks reproducibility.
   */
  rng: Rng;
  iteration: number;
  /** The problem's parameter file and space, for operators that edit parameters. */
  params: { file: string; space: ParamSpace } | null;
  /** Aborted when the run is stopping; long operators (LLM calls) should give up promptly. */
  signal: AbortSignal;
}

/** A child's files, with an optional note on what the operator changed (kept in the log). */
export interface Proposal {
  files: VariantFiles;
  note?: string;
}

/** Children, or a failure with its reason. A failure is recorded and the iteration goes on; it never throws. */
export type OperatorResult =
  | { ok: true; children: Proposal[] }
  | { ok: false; reason: string };

/**
 * Makes children from parents. propose() is async so that operators may call an LLM; it may
 * return several children, which the engine evaluates and inserts in the order given.
 * Given the same parents and rng it must return the same children: determinism of a run
 * depends on it (LLM operators get there through the run's answer cache).
 */
export interface Operator {
  /** Stable name, stored in the log and in operator statistics. */
  readonly name: string;
  /** How many parents propose() needs. */
  readonly parentCount: number;
  propose(context: OperatorContext): Promise<OperatorResult>;
}
