// The error hierarchy: one root class with a stable `code`, one subclass per domain.
import { hostname } from 'node:os';

/** Root of every error Ouroboros throws on purpose. `code` is stable and meant for programs. */
export class OuroborosError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Bad input: a config, a problem manifest, a CLI argument. `problems` lists every issue found, one line each. */
export class ConfigError extends OuroborosError {
  readonly problems: string[];
  constructor(file: string, problems: string[], options?: { cause?: unknown }) {
    super('E_CONFIG', problems.map((p) => `${file}: ${p}`).join('\n'), options);
    this.problems = problems;
  }
}

/** The run database could not be opened, read or written. */
export class StorageError extends OuroborosError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_STORAGE', message, options);
  }
}

/** Another live process is writing the run database. */
export class RunLockedError extends OuroborosError {
  readonly pid: number;
  constructor(dbPath: string, pid: number, host: string, since: string) {
    super('E_RUN_LOCKED', `${dbPath} is being written by process ${pid} on ${host} (since ${since}); stop it first or wait for it to finish` +
      (host === hostname() ? '' : `; if that host's process is gone, \`ouroboros resume ${dbPath} --steal-lock\` takes the lock over`));
    this.pid = pid;
  }
}

/** The evaluator could not be loaded or the pool could not run it at all (not a single failed evaluation). */
export class EvaluatorError extends OuroborosError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_EVALUATOR', message, options);
  }
}

/** A signal stopped the command before a run started or resumed; nothing was changed. */
export class InterruptedError extends OuroborosError {
  constructor(message: string) {
    super('E_INTERRUPTED', message);
  }
}

/** Something the engine itself got wrong: a bug, never the user's input. */
export class InternalError extends OuroborosError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_INTERNAL', message, options);
  }
}
