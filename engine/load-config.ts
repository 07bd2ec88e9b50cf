// Loads a run config file: JSON, schema, and the checks that need more than one field.
import { dirname, resolve } from 'node:path';
import { ConfigError } from '../common/errors.js';
import { check, runConfigSchema, type RunConfig } from './config-schema.js';
import { loadJson } from './load-json.js';

export interface LoadedConfig {
  /** Absolute path of the config file. */
  path: string;
  config: RunConfig;
  /** Absolute path of the problem folder (resolved against the config's folder). */
  problemDir: string;
}

/** Throws ConfigError listing every problem of the file, each with its field path. */
export function loadRunConfig(file: string): LoadedConfig {
  const path = resolve(file);
  const checked = check(runConfigSchema, loadJson(path));
  if (!checked.ok) throw new ConfigError(path, checked.problems);
  const config = checked.value;
  const problems: string[] = [];
  const b = config.budget;
  if (b.iterations === undefined && b.evaluations === undefined && b.wallClockSeconds === undefined) {
    problems.push('budget: needs at least one of iterations, evaluations, wallClockSeconds (a targetFitness alone may never be reached)');
  }
  if (config.operators.every((o) => o.weight === 0)) problems.push('operators: at least one operator needs a weight above 0');
  if (problems.length > 0) throw new ConfigError(path, problems);
  return { path, config, problemDir: resolve(dirname(path), config.problem) };
}
