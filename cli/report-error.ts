// The one place where errors become messages and exit codes.
import { ConfigError, EvaluatorError, OuroborosError, RunLockedError, StorageError } from '../common/errors.js';

export const EXIT = { ok: 0, internal: 1, badInput: 2, storage: 3, evaluator: 4, interrupted: 130 } as const;

/** Prints one line per problem (a stack trace only with --debug or for a genuine internal error) and returns the exit code. */
export function reportError(error: unknown, debug: boolean): number {
  const out = process.stderr;
  if (error instanceof ConfigError) {
    out.write(`error: invalid input\n${error.message.split('\n').map((l) => `  ${l}`).join('\n')}\n`);
    if (debug) out.write(`${error.stack}\n`);
    return EXIT.badInput;
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
  if (error instanceof OuroborosError && !debug) {
    out.write(`error: ${error.message}\n`);
    return EXIT.internal;
  }
  out.write(`internal error (please report it): ${error instanceof Error ? error.stack : String(error)}\n`);
  return EXIT.internal;
}
