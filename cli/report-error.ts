// The one place where errors become messages and exit codes.
import { ConfigError, EvaluatorError, InterruptedError, OuroborosError, RunLockedError, StorageError } from '../common/errors.js';

export const EXIT = { ok: 0, internal: 1, badInput: 2, storage: 3, evaluator: 4, llm: 5, interrupted: 130 } as const;

/** Prints one line per problem (a stack trace only with --debug or for a genuine internal error) and returns the exit code. */
export function reportError(error: unknown, debug: boolean): number {
  const out = process.stderr;
  if (error instanceof ConfigError) {
    out.write(`error: invalid input\n${error.message.split('\n').map((l) => `  ${l}`).join('\n')}\n`);
    if (debug) out.write(`${error.stack}\n`);
    return EXIT.badInput;
  }
  if (error instanceof InterruptedError) {
    out.write(`${error.message}\n`);
    return EXIT.interrupted;
  }
  if (error instanceof RunLockedError || error instanceof StorageError) {
    out.write(`error: ${error.message}\n`);
    if (debug) out.write(`${error.stack}\n`);
    return EXIT.storage;
  }
  if (error instanceof EvaluatorError) {
    out.write(`error: ${error.message}\n`);
    if (debug) out.write(`${error.stack}\n`);
    return EXIT.evaluator;
  }
  if (error instanceof OuroborosError && (error.code === 'E_LLM_ENDPOINT' || error.code === 'E_REPLAY')) {
    out.write(`error: ${error.message}\n`);
    if (error.code === 'E_LLM_ENDPOINT') out.write('every committed iteration is kept; resume the run once the endpoint works again\n');
    if (debug) out.write(`${error.stack}\n`);
    return EXIT.llm;
  }
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code) && 'syscall' in (error as object)) {
    // A file-system error (no such folder, permission denied, disk full): the user's to fix.
    out.write(`error: ${(error as Error).message}\n`);
    if (debug) out.write(`${(error as Error).stack}\n`);
    return EXIT.storage;
  }
  if (error instanceof OuroborosError && !debug) {
    out.write(`error: ${error.message}\n`);
    return EXIT.internal;
  }
  out.write(`internal error (please report it): ${error instanceof Error ? error.stack : String(error)}\n`);
  return EXIT.internal;
}
