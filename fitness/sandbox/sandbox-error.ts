// What a sandbox throws when the candidate it ran was stopped or misbehaved; the pool records its reason.

/**
 * Why a sandboxed candidate did not give a result. Each maps to how the evaluation is recorded
 * (see fitness/evaluation-pool.ts): `time-limit` becomes status `timeout`; the rest status `failed`
 * with the reason of the same name (`threw` for a candidate that threw or exited non-zero).
 */
export type SandboxReason =
  | 'time-limit'
  | 'out-of-memory'
  | 'output-too-large'
  | 'threw'
  | 'crashed'
  | 'syntax'
  | 'no-result';

export const SANDBOX_REASONS: readonly SandboxReason[] = ['time-limit', 'out-of-memory', 'output-too-large', 'threw', 'crashed', 'syntax', 'no-result'];

/**
 * Thrown by the JS isolate and the subprocess sandboxes. An evaluator may let it propagate: the
 * worker recognises it by `name === 'SandboxError'` and a known `reason` (not by class identity,
 * since an evaluator may load this module from source while the engine runs compiled code), and
 * the evaluation is recorded with that reason and `message`. `output` keeps what the candidate
 * printed (capped), for the artifacts.
 */
export class SandboxError extends Error {
  override readonly name = 'SandboxError';
  constructor(readonly reason: SandboxReason, message: string, readonly output: string = '') {
    super(message);
  }
}

/** True for a SandboxError from any copy of this module. */
export function isSandboxError(e: unknown): e is SandboxError {
  return e instanceof Error && e.name === 'SandboxError' && SANDBOX_REASONS.includes((e as { reason?: unknown }).reason as SandboxReason);
}
