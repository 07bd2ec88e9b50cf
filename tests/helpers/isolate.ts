// Shared by the isolate sandbox tests: a call with a default CPU limit, and a call that must fail with a given reason.
import type { ExecutionContext } from 'ava';
import { runInIsolate, type IsolateOptions } from '../../fitness/sandbox/js-isolate.js';
import { isSandboxError, type SandboxReason } from '../../fitness/sandbox/sandbox-error.js';

/** Runs `code`'s f() with a 1 s CPU limit unless the options say otherwise. */
export function run(code: string, options: Partial<IsolateOptions> = {}) {
  return runInIsolate({ code, entry: 'f', cpuTimeMs: 1000, ...options });
}

/** Runs `code` and returns the SandboxError it must end with. */
export async function failure(t: ExecutionContext, code: string, reason: SandboxReason, options: Partial<IsolateOptions> = {}) {
  const error = await t.throwsAsync(run(code, options));
  t.true(isSandboxError(error), `not a SandboxError: ${error?.name}: ${error?.message}`);
  t.is((error as { reason?: string }).reason, reason, error?.message);
  return error as Error & { reason: SandboxReason; output: string };
}
