// The schemas of run configs and problem manifests, and the translation of their violations into one line each.
import { z } from './zod.js';
import { closest } from './closest-key.js';
import { operatorSchema, weight } from './operator-schema.js';
import { REASONING_EFFORTS, RESERVED_BODY_FIELDS } from '../../operators/llm/model-settings.js';

const positiveInt = z.number().int().min(1);

const paramSpec = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('float'), min: z.number(), max: z.number(), log: z.boolean().optional() }),
  z.strictObject({ type: z.literal('int'), min: z.number().int(), max: z.number().int() }),
  z.strictObject({ type: z.literal('categorical'), values: z.array(z.union([z.string(), z.number(), z.boolean()])).min(1) }),
]);

export const problemSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().default(''),
  /** Evaluator module, relative to the problem folder. */
  evaluator: z.string().min(1),
  /** Folder holding the seed variant's files, relative to the problem folder. */
  seed: z.string().min(1),
  params: z.strictObject({ file: z.string().min(1), space: z.record(z.string(), paramSpec) }).optional(),
  /** Numeric ({name, min, max, bins}) or categorical ({name, values}: the evaluator reports one of the values). */
  descriptors: z.array(z.union([
    z.strictObject({
      name: z.string().min(1),
      min: z.number(),
      max: z.number(),
      bins: positiveInt.max(10_000),
      description: z.string().optional(),
    }),
    z.strictObject({
      name: z.string().min(1),
      values: z.array(z.union([z.string(), z.number()])).min(1).max(10_000),
      description: z.string().optional(),
    }),
  ])).min(1),
  /**
   * Stages run cheap to expensive, each a function the evaluator module exports; a variant stops at
   * the first stage whose fitness is below its threshold. The last stage has no threshold: its result
   * is the evaluation. Without a cascade the module's `evaluate` (or default export) is the one stage.
   */
  cascade: z.array(z.strictObject({
    name: z.string().min(1),
    export: z.string().min(1),
    threshold: z.number().optional(),
  })).min(1).optional(),
});

const llmSchema = z.strictObject({
  /** The endpoint; --base-url wins, OPENAI_BASE_URL is used when both are absent. */
  baseUrl: z.url().optional(),
  /** The environment variable holding the API key; the key itself is never in a config. */
  apiKeyEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name').default('OPENAI_API_KEY'),
  models: z.array(z.strictObject({
    name: z.string().min(1),
    weight: weight.default(1),
    /** US dollars per million tokens, for the ledger and the cost budget. */
    price: z.strictObject({ inputPerMillion: z.number().min(0), outputPerMillion: z.number().min(0) }).optional(),
    /** Sent as max_completion_tokens instead of max_tokens; default for o-series and gpt-5 models: llm.maxTokens. */
    maxCompletionTokens: positiveInt.optional(),
    /** This model's only temperature (one arm per operator); null: none sent (the default of o-series and gpt-5 models). */
    temperature: z.number().min(0).max(2).nullable().optional(),
    reasoningEffort: z.enum(REASONING_EFFORTS).optional(),
    topP: z.number().min(0).max(1).optional(),
    /** Merged into every request body to this model last; the fields the engine sets itself are refused. */
    extraBody: z.record(z.string(), z.unknown()).superRefine((body, ctx) => {
      for (const key of RESERVED_BODY_FIELDS) {
        if (key in body) ctx.addIssue({ code: 'custom', path: [key], message: `set by the engine; extraBody cannot replace it (reserved: ${RESERVED_BODY_FIELDS.join(', ')})` });
      }
    }).optional(),
  })).min(1),
  temperatures: z.array(z.number().min(0).max(2)).min(1).default([0.7]),
  maxTokens: positiveInt.default(4096),
  requestTimeoutMs: positiveInt.default(120_000),
  retries: z.number().int().min(0).max(20).default(4),
  /** HTTP requests in flight at once; pipelineDepth bounds the proposals in flight, so keep it at least this. */
  maxInFlight: positiveInt.max(1024).default(16),
  /** One limit on request starts for the whole run (retries included); none when absent. */
  requestsPerMinute: z.number().gt(0).optional(),
  consecutiveFailureLimit: positiveInt.max(1000).default(8),
  /** Folder of prompt templates overriding configs/prompts/ file by file, relative to the config. */
  prompts: z.string().min(1).optional(),
  /** Operator prompts as genes: each evolving operator keeps a population of prompt variants, chosen by UCB1, bred every interval iterations. */
  promptEvolution: z.strictObject({
    operators: z.array(z.string().min(1)).min(1).optional(),
    interval: positiveInt.max(100_000).default(50),
    population: z.number().int().min(2).max(16).default(4),
    model: z.string().min(1).optional(),
    temperature: z.number().min(0).max(2).default(0.9),
    exploration: z.number().min(0).default(Math.SQRT2),
  }).optional(),
  context: z.strictObject({
    /** Characters of the parent's artifacts and error message shown to the LLM. */
    artifactChars: z.number().int().min(0).default(2000),
    /** Ancestors of the parent listed with their operator, note and fitness. */
    lineage: z.number().int().min(0).max(50).default(4),
    /** Elites shown besides the parent: half the fittest, half the most different from the parent. */
    elites: z.number().int().min(0).max(20).default(2),
    /** Recent children of the parent (then of its island) listed with their outcome: failures with their reason, successes with the fitness change. */
    attempts: z.number().int().min(0).max(20).default(5),
    /** Characters of each such failure's message and output. */
    attemptChars: z.number().int().min(0).max(4000).default(400),
  }).prefault({}),
});

/**
 * What one credit of the bandit stands for. `iteration`: each iteration earns one reward (1 if a child filled a new
 * cell, 0.5 if one improved a cell, else 0), whatever number of children it made. `evaluation`: each child earns
 * its own (1, 0.5 or 0) and the iteration counts as that many credits, so an arm is judged per evaluation spent:
 * fair when a CMA emitter's iteration makes 36 children and a mutation's one.
 */
const creditUnit = z.enum(['iteration', 'evaluation']).default('iteration');

const choiceSchema = z.discriminatedUnion('policy', [
  z.strictObject({ policy: z.literal('weights') }),
  z.strictObject({ policy: z.literal('ucb1'), exploration: z.number().min(0).default(Math.SQRT2), discount: z.number().gt(0).max(1).default(1), credit: creditUnit }),
  z.strictObject({ policy: z.literal('thompson'), discount: z.number().gt(0).max(1).default(1), credit: creditUnit }),
]);

export const runConfigSchema = z.strictObject({
  /** Problem folder, relative to the config file. */
  problem: z.string().min(1),
  seed: z.number().int().min(0).max(2 ** 32 - 1).default(0),
  /** Run database, relative to the config file; the CLI's --db wins. */
  db: z.string().min(1).optional(),
  /** Worker threads; defaults to the number of cores. Does not change the result. */
  workers: positiveInt.max(256).optional(),
  /** Iteration i chooses parents from the archive as committed up to i - pipelineDepth. Changes the result; more keeps more workers busy. */
  pipelineDepth: positiveInt.max(1024).default(8),
  budget: z.strictObject({
    iterations: positiveInt.optional(),
    evaluations: positiveInt.optional(),
    wallClockSeconds: z.number().gt(0).optional(),
    targetFitness: z.number().optional(),
    /** LLM tokens (in and out); the run stops launching once spent tokens plus a reserve for the calls in flight reach it. */
    tokens: positiveInt.optional(),
    /** LLM cost in US dollars from the models' prices, stopping like `tokens`. */
    costUsd: z.number().gt(0).optional(),
  }),
  evaluation: z.strictObject({
    timeoutMs: positiveInt.default(30_000),
    memoryLimitMb: positiveInt.min(16).default(2048),
    /**
     * A child that would become the run's best is evaluated `count` more times with fresh seeds before
     * it is committed; its recorded fitness is the aggregate and the spread is stored. 0 turns it off.
     */
    recheck: z.strictObject({
      count: z.number().int().min(0).max(64).default(0),
      aggregate: z.enum(['mean', 'median', 'min']).default('mean'),
    }).prefault({}),
    /** Send evaluations to `ouroboros worker` processes through BullMQ on Redis (docs/distributed.md); --queue wins. */
    queue: z.strictObject({ url: z.string().min(1), name: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - only').default('ouroboros'), localWorkers: z.number().int().min(0).max(1024).default(0) }).optional(),
  }).prefault({}),
  operators: z.array(operatorSchema).min(1),
  selection: z.discriminatedUnion('strategy', [
    z.strictObject({ strategy: z.literal('uniform') }),
    z.strictObject({ strategy: z.literal('tournament'), size: z.number().int().min(2).max(64).default(3) }),
    z.strictObject({ strategy: z.literal('fitness-proportional') }),
    z.strictObject({ strategy: z.literal('rank'), exponent: z.number().min(0).max(20).default(1) }),
    z.strictObject({ strategy: z.literal('score-children'), sharpness: z.number().gt(0).max(1000).default(10) }),
    z.strictObject({ strategy: z.literal('novelty'), neighbours: positiveInt.max(1000).default(5) }),
  ]).prefault({ strategy: 'uniform' }),
  islands: z.strictObject({
    count: positiveInt.max(64).default(1),
    /** Every this many iterations each island copies its `migrationRate` best elites to its neighbours. */
    migrationInterval: positiveInt.default(50),
    migrationRate: positiveInt.max(1000).default(1),
    /** ring: to the next island; full: to every other island. */
    topology: z.enum(['ring', 'full']).default('ring'),
    /**
     * An island whose last this-many own iterations (one in `count`) filled or improved no cell is
     * emptied and restarted from the `survivors` best elites of all islands. 0: never.
     */
    stagnation: z.number().int().min(0).default(0),
    survivors: positiveInt.max(1000).default(4),
  }).prefault({}),
  archive: z.strictObject({
    /** How the descriptor space is cut into cells: the problem's grid, or `cvt.cells` Voronoi cells (numeric descriptors only). */
    layout: z.enum(['grid', 'cvt']).default('grid'),
    cvt: z.strictObject({
      cells: positiveInt.max(100_000).default(1000),
      /** k-means samples (default max(10 x cells, 1000)) and Lloyd iterations, drawn from the run's seed. */
      samples: positiveInt.max(10_000_000).optional(),
      iterations: z.number().int().min(0).max(1000).default(20),
      /** A JSON file (relative to the config) holding the centroids, one array of numbers per cell, instead of k-means. */
      centroids: z.string().min(1).optional(),
      /** Clip out-of-range descriptors to the box before the nearest-centroid lookup (false: raw descriptors, pyribs' rule). */
      clip: z.boolean().default(false),
    }).prefault({}),
    /** How a cell accepts a child: elitist (MAP-Elites), soft (CMA-MAE thresholds) or novelty (k-NN novelty in descriptor space). */
    rule: z.enum(['elitist', 'soft', 'novelty']).default('elitist'),
    soft: z.strictObject({
      learningRate: z.number().min(0).max(1).default(0.1),
      /** Every cell's threshold starts here; required when learningRate is below 1. */
      thresholdMin: z.number().optional(),
    }).prefault({}),
    novelty: z.strictObject({
      neighbours: positiveInt.max(1000).default(15),
      /** A child is kept as a point of the novelty archive when its novelty (in [0, 1]-normalised descriptor space) is at least this. */
      threshold: z.number().min(0).default(0.05),
    }).prefault({}),
    /**
     * A child must beat a cell's elite by more than this to replace it (elitist rule): an acceptance
     * margin on fitness. Not pyribs' `epsilon`, which nudges measures when computing grid indices.
     */
    epsilon: z.number().min(0).default(0),
    qdOffset: z.number().default(0),
    /** Every this many iterations the run stores its QD metrics (per island and overall), for curves and trends. */
    metricsInterval: positiveInt.max(1_000_000).default(10),
  }).prefault({}),
  llm: llmSchema.optional(),
  /** How each iteration's arm (operator, model, temperature) is chosen: by fixed weights, or by a bandit credited by the archive. */
  operatorChoice: choiceSchema.prefault({ policy: 'weights' }),
});

/** A problem of a tune config: its folder, or the folder and the archive's qdOffset for it (default: the base config's). */
const tuneProblem = z.union([z.string().min(1), z.strictObject({ problem: z.string().min(1), qdOffset: z.number().optional() })]);

/** `ouroboros tune`: a search one level up, whose variants are run configs (engine/tune/). */
export const tuneConfigSchema = z.strictObject({
  /** The run config whose settings are tuned, relative to this file. */
  base: z.string().min(1),
  /** Seed of the tune run itself. */
  seed: z.number().int().min(0).max(2 ** 32 - 1).default(0),
  problems: z.strictObject({ train: z.array(tuneProblem).min(1), heldOut: z.array(tuneProblem).min(1) }),
  /** Inner searches per training problem and trial, on seeds 1..seeds, the same for every trial. */
  seeds: z.number().int().min(1).max(100).default(3),
  /** Each inner search's budget; replaces the base config's. */
  budget: z.strictObject({ iterations: positiveInt.optional(), evaluations: positiveInt.optional(), tokens: positiveInt.optional() }),
  /** qd: normalised QD score at the end; qd-area: its mean over the run (area under the curve); best: best fitness. */
  metric: z.enum(['qd', 'qd-area', 'best']).default('qd'),
  /** Tunable settings of the base config, declared like a problem's params (see engine/tune/tune-space.ts). */
  space: z.record(z.string(), paramSpec),
  /** Trials (iterations of the tune run); --max-trials wins. */
  trials: positiveInt.max(100_000).default(60),
  trialTimeoutSeconds: z.number().gt(0).default(3600),
  /** The tune run's pipelineDepth: part of its result, like any run's. */
  pipelineDepth: positiveInt.max(64).default(4),
  validation: z.strictObject({
    /** Fresh seeds per held-out problem, paired between the tuned and the base config. */
    seeds: z.number().int().min(2).max(1000).default(10),
    /** The best configs by training score re-run on the held-out problems. */
    top: positiveInt.max(20).default(3),
  }).prefault({}),
});

export type TuneConfig = z.infer<typeof tuneConfigSchema>;
export type TuneProblem = z.infer<typeof tuneProblem>;

export type ProblemManifest = z.infer<typeof problemSchema>;
export type RunConfig = z.infer<typeof runConfigSchema>;
export type OperatorConfig = RunConfig['operators'][number];
export type LlmConfig = NonNullable<RunConfig['llm']>;
export type OperatorChoice = RunConfig['operatorChoice'];

/**
 * Parses a config file's content: like check(), except that a top-level "$schema" (the path or URL of
 * the JSON Schema an editor reads, see jsonSchemaOf) is allowed and dropped, so it is never stored.
 */
export function checkFile<T>(schema: z.ZodType<T>, value: unknown): { ok: true; value: T } | { ok: false; problems: string[] } {
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && Object.hasOwn(value, '$schema')) {
    const { $schema, ...rest } = value as Record<string, unknown>;
    if (typeof $schema !== 'string') return { ok: false, problems: [`$schema: must be a string (the path or URL of the config's JSON Schema), got ${JSON.stringify($schema)}`] };
    return check(schema, rest);
  }
  return check(schema, value);
}

export type SchemaKind = 'run-config' | 'problem' | 'tune';
const SCHEMAS = { 'run-config': [() => runConfigSchema, 'Ouroboros run config'], problem: [() => problemSchema, 'Ouroboros problem manifest (problem.json)'], tune: [() => tuneConfigSchema, 'Ouroboros tune config'] } as const;

/**
 * The JSON Schema (draft 2020-12) of a config file as written: fields with defaults are optional and
 * show their default, unknown keys are refused, as the engine refuses them. Generated from the zod
 * schema above, so it cannot drift from what the loader accepts; cross-field rules (load-config.ts,
 * problem.ts) are not expressible in it and are checked only when the file is loaded.
 */
export function jsonSchemaOf(kind: SchemaKind): Record<string, unknown> {
  const [schema, title] = SCHEMAS[kind];
  const generated = z.toJSONSchema(schema(), { io: 'input' }) as Record<string, unknown>;
  const { $schema: draft, properties, ...rest } = generated;
  return {
    $schema: draft,
    title,
    description: `Generated by \`ouroboros schema ${kind}\` from the engine's own schema; see docs/configuration.md.`,
    ...rest,
    properties: { $schema: { type: 'string', description: 'the path or URL of this JSON Schema, for editors; ignored by the engine' }, ...(properties as object) },
  };
}

/** Parses `value`; returns the typed result or every problem, one line each, with its path. */
export function check<T>(schema: z.ZodType<T>, value: unknown): { ok: true; value: T } | { ok: false; problems: string[] } {
  const result = schema.safeParse(value);
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, problems: result.error.issues.flatMap((issue) => describeIssue(issue, schema, value)) };
}

function describeIssue(issue: z.core.$ZodIssue, schema: z.ZodType, root: unknown): string[] {
  const path = issue.path.map(String);
  const where = (p: string[]) => (p.length === 0 ? '(top level)' : p.reduce((s, k) => (/^\d+$/.test(k) ? `${s}[${k}]` : s ? `${s}.${k}` : k), ''));
  const value = valueAt(root, path);
  switch (issue.code) {
    case 'unrecognized_keys': {
      const known = knownKeys(schema, root, path);
      return issue.keys.map((key) => {
        const guess = closest(key, known);
        return `${where([...path, key])}: unknown key${guess ? ` (did you mean "${guess}"?)` : known.length ? ` (expected one of ${known.join(', ')})` : ''}`;
      });
    }
    case 'invalid_type':
      return [`${where(path)}: ${value === undefined ? `required (${article(issue.expected)})` : `must be ${article(issue.expected)} (got ${show(value)})`}`];
    case 'too_small':
      if (issue.origin === 'array') return [`${where(path)}: must have at least ${issue.minimum} item(s)`];
      if (issue.origin === 'string') return [`${where(path)}: must not be empty`];
      return [`${where(path)}: must be ${issue.inclusive === false ? 'greater than' : 'at least'} ${issue.minimum} (got ${show(value)})`];
    case 'too_big':
      return [`${where(path)}: must be ${issue.inclusive === false ? 'less than' : 'at most'} ${issue.maximum} (got ${show(value)})`];
    case 'invalid_union':
      if (issue.discriminator !== undefined && 'options' in issue && issue.options) {
        const inside = path[path.length - 1] === issue.discriminator;
        const got = inside ? value : valueAt(value, [issue.discriminator]);
        return [`${where(inside ? path : [...path, issue.discriminator])}: must be one of ${issue.options.map((o: unknown) => JSON.stringify(o)).join(', ')} (got ${show(got)})`];
      }
      return [`${where(path)}: ${issue.message} (got ${show(value)})`];
    case 'invalid_value': {
      const values = issue.values.map((v) => JSON.stringify(v));
      return [`${where(path)}: must be ${values.length > 2 ? `one of ${values.join(', ')}` : values.join(' or ')} (got ${show(value)})`];
    }
    default:
      return [`${where(path)}: ${issue.message}`];
  }
}

function article(expected: string): string {
  return expected === 'int' ? 'an integer' : /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function valueAt(root: unknown, path: string[]): unknown {
  let v = root;
  for (const k of path) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
  return v;
}

/** The keys the schema allows for the object at `path`, walking unions by the value's discriminator. */
function knownKeys(schema: z.ZodType, root: unknown, path: string[]): string[] {
  let node: unknown = schema;
  let value = root;
  const step = (n: unknown): unknown => {
    const def = (n as { _zod: { def: Record<string, unknown> } })._zod.def;
    if (['optional', 'default', 'prefault', 'nullable'].includes(def.type as string)) return step(def.innerType);
    if (def.type === 'union') {
      const options = def.options as unknown[];
      const disc = def.discriminator as string | undefined;
      const match = options.find((o) => {
        const shape = (step(o) as { _zod: { def: { shape?: Record<string, z.ZodType> } } })._zod.def.shape;
        if (!shape || disc === undefined) return false;
        const lit = (shape[disc] as unknown as { _zod: { def: { values?: unknown[] } } })?._zod.def.values;
        return lit?.includes((value as Record<string, unknown> | undefined)?.[disc]) ?? false;
      });
      return match === undefined ? n : step(match);
    }
    return n;
  };
  for (const key of path) {
    const def = (step(node) as { _zod: { def: Record<string, unknown> } })._zod.def;
    if (def.type === 'object') node = (def.shape as Record<string, unknown>)[key];
    else if (def.type === 'array') node = def.element;
    else if (def.type === 'record') node = def.valueType;
    else return [];
    value = valueAt(value, [key]);
    if (node === undefined) return [];
  }
  const def = (step(node) as { _zod: { def: Record<string, unknown> } })._zod.def;
  return def.type === 'object' ? Object.keys(def.shape as object) : [];
}
