// The settings `ouroboros tune` may change in a run config, how a value reaches the config, and the
// defaults a search space reads from the base config.
//
// A key is a dotted path into the run config; operators and models are addressed by name
// (`operators.mutate.sigma`, `llm.models.gpt-4o-mini.weight`). The archive, the budget, the problem and
// the evaluation limits are deliberately not tunable: they define what the metric measures, and a
// tuner allowed to change them would game the metric instead of improving the search.
import { fileURLToPath } from 'node:url';
import { check, runConfigSchema, type RunConfig } from '../config/config-schema.js';

export type ParamSpec =
  | { type: 'float'; min: number; max: number; log?: boolean | undefined }
  | { type: 'int'; min: number; max: number }
  | { type: 'categorical'; values: Array<string | number | boolean> };

type Json = Record<string, unknown>;

/** Keys of a selection strategy's or bandit policy's own options, so a value applies only where it means something. */
const SELECTION_OPTIONS: Record<string, string> = { size: 'tournament', exponent: 'rank', sharpness: 'score-children', neighbours: 'novelty' };
const CHOICE_OPTIONS: Record<string, string[]> = { exploration: ['ucb1'], discount: ['ucb1', 'thompson'], credit: ['ucb1', 'thompson'] };
const CMA = ['param-cma-me', 'param-cma-mae'];
const OPERATOR_OPTIONS: Record<string, string[]> = {
  weight: ['param-mutation', 'param-crossover', 'param-iso-line', 'param-cma-me', 'param-cma-mae', 'llm-diff', 'llm-rewrite', 'llm-crossover'],
  sigma0: CMA, emitters: CMA, ranker: CMA, selection: CMA, restart: CMA,
  sigmaIso: ['param-iso-line'], sigmaLine: ['param-iso-line'],
  sigma: ['param-mutation'], rate: ['param-mutation'], blend: ['param-crossover'], parents: ['llm-crossover'],
  temperature: ['llm-diff', 'llm-rewrite', 'llm-crossover'],
};
const FIXED_KEYS = new Set(['pipelineDepth', 'selection.strategy', 'operatorChoice.policy', 'llm.temperature',
  'islands.count', 'islands.migrationInterval', 'islands.migrationRate', 'islands.topology', 'islands.stagnation', 'islands.survivors',
  'evaluation.recheck.count', 'evaluation.recheck.aggregate',
  'llm.context.artifactChars', 'llm.context.lineage', 'llm.context.elites', 'llm.context.attempts', 'llm.context.attemptChars',
  'llm.prompts', 'llm.promptEvolution.interval', 'llm.promptEvolution.population', 'llm.promptEvolution.temperature', 'llm.promptEvolution.exploration']);

/** Every tunable key a config allows, for error messages. */
export function tunableKeys(base: RunConfig): string[] {
  const names = base.operators.map((o) => o.name ?? o.type);
  return [
    ...[...FIXED_KEYS].filter((k) => !k.startsWith('llm.') || base.llm !== undefined),
    ...Object.keys(SELECTION_OPTIONS).map((k) => `selection.${k}`),
    ...Object.keys(CHOICE_OPTIONS).map((k) => `operatorChoice.${k}`),
    ...base.operators.flatMap((o, i) => Object.entries(OPERATOR_OPTIONS).filter(([, types]) => types.includes(o.type)).map(([k]) => `operators.${names[i]}.${k}`)),
    ...(base.llm?.models ?? []).map((m) => `llm.models.${m.name}.weight`),
  ];
}

/** Why `key` is not a tunable setting of `base`, or undefined when it is. */
export function whyNotTunable(key: string, base: RunConfig): string | undefined {
  if (FIXED_KEYS.has(key)) {
    if (key.startsWith('llm.') && base.llm === undefined) return 'the base config has no llm section';
    if (key.startsWith('llm.promptEvolution.') && base.llm?.promptEvolution === undefined) return 'the base config has no llm.promptEvolution section';
    return undefined;
  }
  const [head, ...rest] = key.split('.');
  if (head === 'selection' && rest.length === 1 && SELECTION_OPTIONS[rest[0]!]) return undefined;
  if (head === 'operatorChoice' && rest.length === 1 && CHOICE_OPTIONS[rest[0]!]) return undefined;
  if (head === 'operators' && rest.length === 2) {
    const op = base.operators.find((o) => (o.name ?? o.type) === rest[0]);
    if (!op) return `the base config has no operator named "${rest[0]}" (it has ${base.operators.map((o) => o.name ?? o.type).join(', ')})`;
    const types = OPERATOR_OPTIONS[rest[1]!];
    if (!types) return `operators have no tunable setting "${rest[1]}" (tunable: ${Object.keys(OPERATOR_OPTIONS).join(', ')})`;
    return types.includes(op.type) ? undefined : `a ${op.type} operator has no setting "${rest[1]}"`;
  }
  if (head === 'llm' && rest[0] === 'models' && rest.length === 3 && rest[2] === 'weight') {
    const name = rest[1];
    return base.llm?.models.some((m) => m.name === name) ? undefined : `the base config has no model named "${name}"`;
  }
  const known = tunableKeys(base);
  return `not a tunable setting; tunable here: ${known.join(', ')} (the archive, budget, problem and evaluation limits are fixed: they define the metric)`;
}

/** The value the base config (with its defaults filled in) has for a tunable key. */
export function baseValue(key: string, base: RunConfig): unknown {
  const [head, ...rest] = key.split('.');
  if (head === 'operators') {
    const op = base.operators.find((o) => (o.name ?? o.type) === rest[0]) as Json;
    if (rest[1] === 'temperature') return ((op.temperatures as number[] | undefined) ?? base.llm?.temperatures)?.[0];
    return op[rest[1]!] ?? OPERATOR_DEFAULTS[rest[1]!];
  }
  if (key === 'llm.temperature') return base.llm?.temperatures[0];
  // The prompt folder: the base config's (made absolute when the tune config was loaded), else the engine's own.
  if (key === 'llm.prompts') return base.llm?.prompts ?? DEFAULT_PROMPTS_DIR;
  if (head === 'llm' && rest[0] === 'models') return base.llm?.models.find((m) => m.name === rest[1])?.weight;
  if (head === 'selection' && rest[0] !== 'strategy') return (base.selection as Json)[rest[0]!] ?? defaultsOf('selection', SELECTION_OPTIONS[rest[0]!]!)[rest[0]!];
  if (head === 'operatorChoice' && rest[0] !== 'policy') return (base.operatorChoice as Json)[rest[0]!] ?? defaultsOf('operatorChoice', CHOICE_OPTIONS[rest[0]!]![0]!)[rest[0]!];
  let v: unknown = base;
  for (const k of key.split('.')) v = (v as Json | undefined)?.[k];
  return v;
}

/** The engine's own prompt templates (configs/prompts/), for a base config that names no prompt folder. */
export const DEFAULT_PROMPTS_DIR = fileURLToPath(new URL(import.meta.url.includes('/dist/') ? '../../../configs/prompts' : '../../configs/prompts', import.meta.url));

/** The operators' own defaults (param-mutation's sigma and rate, param-crossover's blend), as the operators apply them. */
const OPERATOR_DEFAULTS: Record<string, number> = { sigma: 0.15, rate: 0.3, blend: 0.3, parents: 2, sigmaIso: 0.01, sigmaLine: 0.2 };

function defaultsOf(section: 'selection' | 'operatorChoice', kind: string): Json {
  const field = section === 'selection' ? 'strategy' : 'policy';
  const parsed = check(runConfigSchema, { problem: 'x', budget: { iterations: 1 }, operators: [{ type: 'param-mutation', weight: 1 }], [section]: { [field]: kind } });
  return parsed.ok ? (parsed.value[section] as Json) : {};
}

/**
 * A copy of `base` with `values` applied. A selection option applies only when the selection strategy
 * (tuned or not) is the one it belongs to, and a bandit option only under its policies; otherwise it
 * is left out, so every point of a space is a valid config.
 */
export function applySettings(base: RunConfig, values: Record<string, unknown>): RunConfig {
  const config = structuredClone(base) as RunConfig & Json;
  const set = (path: string[], value: unknown) => {
    let node = config as Json;
    for (const k of path.slice(0, -1)) node = (node[k] ??= {}) as Json;
    node[path.at(-1)!] = value;
  };
  if (values['selection.strategy'] !== undefined) config.selection = { strategy: values['selection.strategy'] } as RunConfig['selection'];
  if (values['operatorChoice.policy'] !== undefined) config.operatorChoice = { policy: values['operatorChoice.policy'] } as RunConfig['operatorChoice'];
  for (const [key, value] of Object.entries(values)) {
    const [head, ...rest] = key.split('.');
    if (key === 'selection.strategy' || key === 'operatorChoice.policy') continue;
    if (head === 'selection') {
      if (config.selection.strategy === SELECTION_OPTIONS[rest[0]!]) set(['selection', rest[0]!], value);
    } else if (head === 'operatorChoice') {
      if (CHOICE_OPTIONS[rest[0]!]!.includes(config.operatorChoice.policy)) set(['operatorChoice', rest[0]!], value);
    } else if (head === 'operators') {
      const op = config.operators.find((o) => (o.name ?? o.type) === rest[0]) as Json;
      if (rest[1] === 'temperature') op.temperatures = [value];
      else op[rest[1]!] = value;
    } else if (key === 'llm.temperature') {
      config.llm!.temperatures = [value as number];
    } else if (head === 'llm' && rest[0] === 'models') {
      config.llm!.models.find((m) => m.name === rest[1])!.weight = value as number;
    } else {
      set(key.split('.'), value);
    }
  }
  return config;
}

/** Problems with a space over `base`, one line each naming the key: untunable keys, invalid ranges, a base value outside its range. */
export function checkSpace(space: Record<string, ParamSpec>, base: RunConfig, where: string): string[] {
  const problems: string[] = [];
  for (const [key, spec] of Object.entries(space)) {
    const at = `${where}.${key}`;
    const why = whyNotTunable(key, base);
    if (why) { problems.push(`${at}: ${why}`); continue; }
    if (spec.type !== 'categorical' && !(spec.max > spec.min)) { problems.push(`${at}: max must be greater than min`); continue; }
    if (spec.type === 'float' && spec.log && !(spec.min > 0)) { problems.push(`${at}: a log range needs min > 0`); continue; }
    const value = baseValue(key, base);
    const fits = spec.type === 'categorical' ? spec.values.includes(value as string) : typeof value === 'number' && value >= spec.min && value <= spec.max && (spec.type === 'float' || Number.isInteger(value));
    if (!fits) problems.push(`${at}: the base config's value ${JSON.stringify(value) ?? '(none)'} is outside the space (${spec.type === 'categorical' ? spec.values.map((v) => JSON.stringify(v)).join(', ') : `${spec.type} ${spec.min}..${spec.max}`}); widen the space or change the base`);
    // Every extreme of the range must give a valid config.
    const extremes = spec.type === 'categorical' ? spec.values : [spec.min, spec.max];
    for (const v of extremes) {
      const candidate = applySettings(base, forceOwner(key, v, base));
      const parsed = check(runConfigSchema, candidate);
      if (!parsed.ok) problems.push(`${at}: the value ${JSON.stringify(v)} gives an invalid run config: ${parsed.problems.join('; ')}`);
    }
  }
  return problems;
}

/** `key = value`, plus the strategy or policy the key belongs to, so the value is really applied when checked. */
function forceOwner(key: string, value: unknown, base: RunConfig): Record<string, unknown> {
  const [head, option] = key.split('.');
  if (head === 'selection' && option !== 'strategy' && base.selection.strategy !== SELECTION_OPTIONS[option!]) return { 'selection.strategy': SELECTION_OPTIONS[option!], [key]: value };
  if (head === 'operatorChoice' && option !== 'policy' && !CHOICE_OPTIONS[option!]!.includes(base.operatorChoice.policy)) return { 'operatorChoice.policy': CHOICE_OPTIONS[option!]![0], [key]: value };
  return { [key]: value };
}

/** The seed point of a space: each key's base value. */
export function seedPoint(space: Record<string, ParamSpec>, base: RunConfig): Record<string, unknown> {
  return Object.fromEntries(Object.keys(space).map((k) => [k, baseValue(k, base)]));
}

/**
 * Descriptors of a config for the tune archive: the share of operator weight on mutation (rather than
 * crossover) operators, and the exploration strength (the weight-averaged step size: sigma for
 * param-mutation, blend for param-crossover, temperature / 2 for LLM operators), both in [0, 1].
 */
export function configDescriptors(config: RunConfig): { mutationShare: number; exploration: number; llmShare: number } {
  const weighted = config.operators.filter((o) => o.weight > 0);
  const total = weighted.reduce((s, o) => s + o.weight, 0);
  const share = (pred: (o: RunConfig['operators'][number]) => boolean) => weighted.filter(pred).reduce((s, o) => s + o.weight, 0) / total;
  const step = (o: RunConfig['operators'][number]): number => {
    if (o.type === 'param-mutation') return o.sigma ?? OPERATOR_DEFAULTS.sigma!;
    if (o.type === 'param-crossover') return o.blend ?? OPERATOR_DEFAULTS.blend!;
    if (o.type === 'param-cma-me' || o.type === 'param-cma-mae') return o.sigma0;
    if (o.type === 'param-iso-line') return Math.min(1, (o.sigmaIso ?? OPERATOR_DEFAULTS.sigmaIso!) + (o.sigmaLine ?? OPERATOR_DEFAULTS.sigmaLine!) / 2);
    const temps = o.temperatures ?? config.llm?.temperatures ?? [0.7];
    return Math.min(1, temps.reduce((a, b) => a + b, 0) / temps.length / 2);
  };
  return {
    mutationShare: share((o) => o.type === 'param-mutation' || o.type === 'param-iso-line' || o.type === 'param-cma-me' || o.type === 'param-cma-mae' || o.type === 'llm-diff' || o.type === 'llm-rewrite'),
    exploration: weighted.reduce((s, o) => s + o.weight * step(o), 0) / total,
    llmShare: share((o) => o.type.startsWith('llm-')),
  };
}
