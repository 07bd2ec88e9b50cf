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
export type FailureReason = 'timeout' | 'threw' | 'worker-exit' | 'invalid-output' | 'invalid-params';

/** What an evaluator returns for a candidate, after validation. */
export interface EvaluationOutput {
  fitness: number;
  /** One value per descriptor, in the problem's declared order. */
  descriptors: number[];
  metrics: Record<string, number | string | boolean>;
  artifacts: Record<string, string>;
}

/** A stored evaluation: a value, never a disguised score. */
export type Evaluation =
  | ({ status: 'ok'; durationMs: number; seed: number } & EvaluationOutput)
  | { status: Exclude<EvaluationStatus, 'ok'>; reason: FailureReason; message: string; durationMs: number; seed: number };

/** A behaviour dimension of the archive. */
export interface DescriptorSpec {
  name: string;
  min: number;
  max: number;
  bins: number;
  description?: string;
}

export type ParamSpec =
  | { type: 'float'; min: number; max: number; log?: boolean }
  | { type: 'int'; min: number; max: number }
  | { type: 'categorical'; values: Array<string | number | boolean> };

export type ParamValue = number | string | boolean;
export type ParamSpace = Record<string, ParamSpec>;
export type Params = Record<string, ParamValue>;
