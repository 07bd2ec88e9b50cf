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
  /** Aborted when the run gives up the work in flight (a second Ctrl-C, an endpoint that keeps failing); long operators (LLM calls) should then stop promptly. A first Ctrl-C lets them finish. */
  signal: AbortSignal;
  /** The model and temperature of the arm the engine chose, for operators that call an LLM. */
  arm?: { model: string; temperature: number };
  /** What an LLM needs to know, built by the engine from the archive as of the iteration's basis (so it is deterministic). */
  context?: VariationContext;
  /** An evolved variant of the operator's prompt (llm.promptEvolution), chosen by the engine; the operator's own templates when absent. */
  prompt?: { system: string; template: string };
}

/** A parent as the LLM is shown it. */
export interface ParentContext {
  id: string;
  files: VariantFiles;
  /** Its evaluation in a few lines: fitness, descriptors and metrics, or the failure and its message. */
  evaluation: string;
  /** Artifacts (errors, failing cases), already capped in size; empty when there are none. */
  artifacts: string;
  /** Nearest ancestor first: how it came about and how each step scored. */
  lineage: Array<{ id: string; operator: string; iteration: number; fitness: number | null; note: string | null }>;
}

export interface VariationContext {
  /** The problem's description: what the variants are for and how they are scored. */
  task: string;
  /** Descriptor names and what they measure, one line each. */
  descriptors: string;
  /** Same order as OperatorContext.parents. */
  parents: ParentContext[];
  /** A few other elites: some of the fittest, some far from the parent in descriptor space. */
  /** Descriptors as values: a categorical one is its value ("terse"), not the index the archive keeps. */
  elites: Array<{ id: string; fitness: number; descriptors: Array<number | string>; files: VariantFiles }>;
  /** Recent children of the first parent, newest first, then of its island from other parents; absent or empty: none to show. */
  attempts?: AttemptContext[];
}

/** One earlier attempt (an iteration's child, or its operator's failure), as committed by the iteration's basis. */
export interface AttemptContext {
  iteration: number;
  operator: string;
  /** Made from the same first parent as this iteration's (else from another variant of the island). */
  sameParent: boolean;
  /** An evaluation status; 'operator-failed' when no child was made (an answer that did not apply); 'duplicate' for a variant already evaluated. */
  outcome: 'ok' | 'failed' | 'timeout' | 'invalid' | 'operator-failed' | 'duplicate';
  /** A failed evaluation's reason (threw, timeout, ...); null otherwise. */
  reason: string | null;
  /** What went wrong, with a failure's public output, already capped; '' for a success. */
  message: string;
  /** For 'ok': its fitness, the change from its parent's (null when the parent has none), and what the archive did with it. */
  fitness: number | null;
  change: number | null;
  archive: 'new' | 'improved' | 'rejected' | null;
  /** The operator's note on what it changed. */
  note: string | null;
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
  /** True for operators that call an LLM: the engine then passes `arm` and builds `context`. */
  readonly usesLlm?: boolean;
  propose(context: OperatorContext): Promise<OperatorResult>;
}

/** A child as a stateful operator is told of it when its iteration commits, in the order it was proposed. */
export interface ToldChild {
  files: VariantFiles;
  /**
   * What the iteration's archive did with it: its status there, and the improvement it made or missed (fitness
   * minus the cell's elite or threshold before the iteration; minus the QD offset or minimum threshold for an
   * empty cell). null: not ranked (a duplicate of an existing variant, or a failed evaluation).
   */
  outcome: { status: 'new' | 'improved' | 'rejected'; value: number } | null;
}

/**
 * An operator with state of its own that learns from what its children did (CMA-ES emitters). The engine keeps
 * it deterministic: prepare() at launch, right after the basis commit, fixes what propose() samples from; tell()
 * at the iteration's commit, in iteration order, returns the part of the state it changed, which the engine
 * stores in the same transaction; restore() puts stored parts back (resume).
 */
export interface StatefulOperator extends Operator {
  readonly stateful: true;
  prepare(iteration: number): void;
  tell(iteration: number, told: { params: { file: string; space: ParamSpace }; parent: VariantFiles; children: ToldChild[] }): { part: number; state: Buffer } | null;
  /** Sets one part from stored bytes, or back to its start (null). */
  restore(part: number, state: Buffer | null): void;
  /** A line per part for `status`. */
  describeState(): string[];
}

export function isStateful(operator: Operator): operator is StatefulOperator {
  return (operator as Partial<StatefulOperator>).stateful === true;
}
