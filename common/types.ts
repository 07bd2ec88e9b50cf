// Shared vocabulary of every layer: variants, evaluations, descriptors, parameter spaces.

/** A variant's content: file name (relative, forward slashes) to text. */
export type VariantFiles = Record<string, string>;

/** Where a variant came from. */
export interface Lineage {
  parentIds: string[];
  operator: string;
  iteration: number;
  island: number;
}

/** One version of the stack: its files plus lineage. `id` is contentId(files). */
export interface Variant {
  id: string;
  files: VariantFiles;
  lineage: Lineage;
}

export type EvaluationStatus = 'ok' | 'failed' | 'timeout' | 'invalid';
/**
 * Why an evaluation has no score. `timeout`: the evaluation's wall-clock limit, or a sandbox's time
 * limit; `out-of-memory`: the worker's or a sandbox's memory limit; `output-too-large`, `crashed`,
 * `syntax`, `no-result`: reported by a sandbox (fitness/sandbox/); `cascade`: a stage's fitness was
 * below its threshold; `not-reproduced`: a new best whose re-check under a fresh seed failed.
 */
export type FailureReason =
  | 'timeout' | 'threw' | 'worker-exit' | 'out-of-memory' | 'output-too-large' | 'crashed' | 'syntax' | 'no-result'
  | 'invalid-output' | 'invalid-params' | 'cascade' | 'not-reproduced';

/** One stage of a cascade (a problem's `cascade` in problem.json), as it ran. */
export interface StageResult {
  name: string;
  /** The stage's fitness, or null when it failed without one. */
  fitness: number | null;
  /** The stage's threshold (none for the last stage). */
  threshold: number | null;
  passed: boolean;
  durationMs: number;
}

/** A new best re-evaluated with fresh seeds (config `evaluation.recheck`): its recorded fitness is `value`. */
export interface RecheckResult {
  /** The first score followed by the re-checks' scores (a failed re-check is left out and counted in `failures`). */
  samples: number[];
  seeds: number[];
  aggregate: 'mean' | 'median' | 'min';
  /** The first score, before the re-checks replaced it by `value`. */
  first: number;
  value: number;
  /** max - min of the samples. */
  spread: number;
  /** Population standard deviation of the samples. */
  std: number;
  failures: string[];
}

/** What an evaluator returns for a candidate, after validation. */
export interface EvaluationOutput {
  fitness: number;
  /** One value per descriptor, in the problem's declared order. */
  descriptors: number[];
  metrics: Record<string, number | string | boolean>;
  artifacts: Record<string, string>;
  /** Held-out results: stored and shown to people, never put in a prompt. Absent when the evaluator returned none. */
  private?: { metrics: Record<string, number | string | boolean>; artifacts: Record<string, string> };
}

/** A stored evaluation: a value, never a disguised score. */
export type Evaluation =
  | ({ status: 'ok'; durationMs: number; seed: number; stages?: StageResult[]; recheck?: RecheckResult } & EvaluationOutput)
  | { status: Exclude<EvaluationStatus, 'ok'>; reason: FailureReason; message: string; durationMs: number; seed: number; stages?: StageResult[]; artifacts?: Record<string, string> };

/** A numeric behaviour dimension: a grid splits [min, max] into `bins` equal bins; a CVT archive uses only the range. */
export interface NumericDescriptorSpec {
  name: string;
  min: number;
  max: number;
  bins: number;
  description?: string;
}

/**
 * A categorical behaviour dimension (model family, prompt style, ...): one grid bin per value. The
 * evaluator reports the value itself; the archive and the database keep its index in `values`.
 */
export interface CategoricalDescriptorSpec {
  name: string;
  values: Array<string | number>;
  description?: string;
}

/** A behaviour dimension of the archive. */
export type DescriptorSpec = NumericDescriptorSpec | CategoricalDescriptorSpec;

export function isCategoricalSpec(d: DescriptorSpec): d is CategoricalDescriptorSpec {
  return 'values' in d;
}

export type ParamSpec =
  | { type: 'float'; min: number; max: number; log?: boolean }
  | { type: 'int'; min: number; max: number }
  | { type: 'categorical'; values: Array<string | number | boolean> };

export type ParamValue = number | string | boolean;
export type ParamSpace = Record<string, ParamSpec>;
export type Params = Record<string, ParamValue>;
