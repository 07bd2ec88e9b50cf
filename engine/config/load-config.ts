// Loads a run config file: JSON, schema, and the checks that need more than one field.
import { dirname, resolve } from 'node:path';
import { ConfigError, StorageError } from '../../common/errors.js';
import { check, checkFile, runConfigSchema, type RunConfig } from './config-schema.js';
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
  const checked = checkFile(runConfigSchema, loadJson(path));
  if (!checked.ok) throw new ConfigError(path, checked.problems);
  const config = checked.value;
  const problems: string[] = [];
  const b = config.budget;
  if (b.iterations === undefined && b.evaluations === undefined && b.wallClockSeconds === undefined) {
    problems.push('budget: needs at least one of iterations, evaluations, wallClockSeconds (a targetFitness alone may never be reached)');
  }
  if (config.operators.every((o) => o.weight === 0)) problems.push('operators: at least one operator needs a weight above 0');
  problems.push(...crossChecks(config));
  if (problems.length > 0) throw new ConfigError(path, problems);
  return { path, config, problemDir: resolve(dirname(path), config.problem) };
}

/** The rules that relate fields to each other: names, the llm section and the budgets that need it. */
export function crossChecks(config: RunConfig): string[] {
  const problems: string[] = [];
  const seen = new Map<string, number>();
  config.operators.forEach((o, k) => {
    const name = o.name ?? o.type;
    if (seen.has(name)) problems.push(`operators[${k}]: name "${name}" is also operators[${seen.get(name)}]'s; give one of them a distinct "name"`);
    seen.set(name, k);
    if (o.type === 'param-cma-mae' && config.archive.rule !== 'soft') {
      problems.push(`operators[${k}]: param-cma-mae ranks children against the soft archive's thresholds; set archive.rule to "soft" (CMA-MAE), or use param-cma-me on this "${config.archive.rule}" archive`);
    }
  });
  const queueUrl = config.evaluation.queue?.url;
  if (queueUrl !== undefined && /^\w+:\/\/[^/@]*:[^/@]*@/.test(queueUrl)) {
    problems.push('evaluation.queue.url: holds a password, which would be stored in the run; put it in OUROBOROS_REDIS_PASSWORD, or pass the URL with --queue');
  }
  if (queueUrl !== undefined && !/^rediss?:\/\//.test(queueUrl)) problems.push(`evaluation.queue.url: must start with redis:// or rediss:// (got ${JSON.stringify(queueUrl.replace(/\/\/.*@/, '//***@'))})`);
  const llm = config.llm;
  const usesLlm = config.operators.some((o) => o.type.startsWith('llm-'));
  if (usesLlm && llm === undefined) problems.push('llm: required, since operators include LLM operators (it names the models; see docs/llm.md, "Endpoints")');
  if (!usesLlm && (config.budget.tokens !== undefined || config.budget.costUsd !== undefined)) problems.push('budget: tokens and costUsd need an LLM operator');
  if (llm !== undefined) {
    const names = llm.models.map((m) => m.name);
    names.forEach((n, k) => { if (names.indexOf(n) !== k) problems.push(`llm.models[${k}].name: "${n}" is listed twice`); });
    if (llm.models.every((m) => m.weight === 0)) problems.push('llm.models: at least one model needs a weight above 0');
    config.operators.forEach((o, k) => {
      if (!('models' in o) || o.models === undefined) return;
      for (const m of o.models) if (!names.includes(m)) problems.push(`operators[${k}].models: "${m}" is not in llm.models (${names.join(', ')})`);
    });
    if (config.budget.costUsd !== undefined) {
      llm.models.forEach((m, k) => { if (m.price === undefined) problems.push(`llm.models[${k}].price: required by budget.costUsd (inputPerMillion and outputPerMillion, in US dollars)`); });
    }
    const evolve = llm.promptEvolution;
    if (evolve !== undefined) {
      const llmOperators = config.operators.filter((o) => o.type.startsWith('llm-')).map((o) => o.name ?? o.type);
      for (const name of evolve.operators ?? []) if (!llmOperators.includes(name)) problems.push(`llm.promptEvolution.operators: "${name}" is not an LLM operator of this config (${llmOperators.join(', ') || 'none'})`);
      if (evolve.model !== undefined && !names.includes(evolve.model)) problems.push(`llm.promptEvolution.model: "${evolve.model}" is not in llm.models (${names.join(', ')})`);
    }
  }
  if (llm?.promptEvolution !== undefined && !usesLlm) problems.push('llm.promptEvolution: needs an LLM operator whose prompts can evolve');
  return problems;
}

/**
 * A config as a run stored it, with the defaults of this engine filled in: a run written by an
 * older engine lacks the fields added since (such as evaluation.recheck), which then take their
 * defaults, so the run goes on as it was configured.
 */
export function storedConfig(value: unknown, dbPath: string): RunConfig {
  if (value === undefined) throw new StorageError(`${dbPath}: the run has no stored config`);
  const checked = check(runConfigSchema, value);
  if (!checked.ok) throw new StorageError(`${dbPath}: the stored config does not validate with this engine:\n${checked.problems.join('\n')}`);
  return checked.value;
}
