// forkRun: a new run database holding a source run's first N iterations, its archive rebuilt from the log, under the same or a changed config.
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { ArchiveDescription } from '../../archives/archive.js';
import { ConfigError, StorageError } from '../../common/errors.js';
import type { DescriptorSpec, ParamSpace, VariantFiles } from '../../common/types.js';
import type { PromptTemplates } from '../../operators/llm/prompt-template.js';
import { describeArchive, islandsFor, storedArchive } from '../config/archive-setup.js';
import type { ProblemManifest, RunConfig } from '../config/config-schema.js';
import { buildRecord, creditUnitOf, type IterationOutcome } from '../loop/iteration-record.js';
import { loadTemplates, promptsDir, usesLlm } from '../llm/llm-setup.js';
import { loadRunConfig, storedConfig } from '../config/load-config.js';
import { armSpecs, statefulArms } from '../arms/operator-registry.js';
import { OperatorStates } from '../loop/operator-states.js';
import { loadProblem } from '../config/problem.js';
import { removeRun } from './remove-run.js';
import { RunStore } from '../store/run-store.js';
import { ENGINE_VERSION } from './run.js';

export interface ForkOptions {
  /** Keep the source's iterations 0 to at - 1; the fork continues with iteration `at`. */
  at: number;
  /** The new database; must not exist unless `overwrite`. */
  db: string;
  /** A run config for the fork (tunable settings, the archive, ...); default: the source's own. */
  config?: string;
  overwrite?: boolean;
}

export interface ForkResult {
  db: string;
  source: string;
  at: number;
  /** The settings that differ from the source's, one line each ("selection.strategy: uniform -> rank"). */
  changes: string[];
  /** Whether the stored variants were placed into a different archive than the source's. */
  rebinned: boolean;
  cells: number;
}

/**
 * The evaluation log is the source of truth: the fork copies the source's first `at` iterations
 * (variants, evaluations, LLM calls) and commits them again, in order, through the same code as a
 * live run (buildRecord), so the archive, migrations, resets, QD metrics and the bandit's rewards
 * are rebuilt under the fork's config. Nothing is evaluated again and the source is only read.
 * Allowed changes: anything tunable (operators and their weights, budgets, selection, migration,
 * the archive's layout and rule, descriptor ranges and bins); refused, naming the field: a
 * different seed variant, descriptors that differ in name, order or categorical values (stored
 * descriptors could not be re-binned without evaluating again), a different island count, or
 * dropping an operator arm the kept iterations used (keep it with weight 0). The fork's clock starts at
 * zero: a wall-clock budget counts the fork's own sessions only.
 */
export function forkRun(sourceFile: string, options: ForkOptions): ForkResult {
  const sourcePath = resolve(sourceFile);
  const target = resolve(options.db);
  if (target === sourcePath) throw new ConfigError('--db', ['the fork needs a new database, not the source itself']);
  const source = RunStore.open(sourcePath, { write: false });
  try {
    if (!source.hasTable('llm_calls')) throw new StorageError(`${sourcePath} was written by an older engine (before LLM operators): resume it once with this engine, which brings it up to date, then fork it`);
    const committed = source.committedIterations();
    if (!(Number.isInteger(options.at) && options.at >= 1 && options.at <= committed)) {
      throw new ConfigError('--at', [`must be an integer from 1 to ${committed}: ${sourcePath} has ${committed} committed iterations, and --at N keeps iterations 0 to N-1 (got ${options.at})`]);
    }
    const old = {
      config: storedConfig(source.meta('config'), sourcePath),
      manifest: source.meta<ProblemManifest>('problem')!,
      seedFiles: source.meta<VariantFiles>('seedFiles')!,
      problemDir: source.meta<string>('problemDir')!,
      configPath: source.meta<string>('configPath') ?? sourcePath,
    };
    const oldArchive = storedArchive(source.meta<ArchiveDescription>('archive'), old.config, old.manifest.descriptors);
    let next = { ...old, archive: oldArchive, prompts: source.meta<PromptTemplates>('prompts') };
    if (options.config !== undefined) {
      const loaded = loadRunConfig(options.config);
      const problem = loadProblem(loaded.problemDir);
      const manifestPath = join(problem.dir, 'problem.json');
      if (JSON.stringify(problem.seedFiles) !== JSON.stringify(old.seedFiles)) {
        throw new ConfigError(manifestPath, ['seed: the seed variant differs from the source run\'s; a fork continues the source\'s log, which starts from its seed (start a new run instead)']);
      }
      const descriptorProblems = rebinProblems(old.manifest.descriptors, problem.descriptors);
      if (descriptorProblems.length > 0) throw new ConfigError(manifestPath, descriptorProblems);
      if (loaded.config.islands.count !== old.config.islands.count) {
        throw new ConfigError(loaded.path, [`islands.count: ${loaded.config.islands.count} differs from the source's ${old.config.islands.count}; the kept iterations belong to islands 0 to ${old.config.islands.count - 1} (start a new run to change it)`]);
      }
      const arms = new Set(armSpecs(loaded.config).map((a) => a.label));
      const missing = [...new Set([...source.iterations(options.at)].map((r) => r.arm).filter((a): a is string => a !== null && a !== 'seed' && !arms.has(a)))];
      if (missing.length > 0) throw new ConfigError(loaded.path, missing.map((a) => `operators: the kept iterations used the arm "${a}", which this config lacks; keep it (weight 0 stops choosing it)`));
      const sameSpace = JSON.stringify(spaceOf(loaded.config)) === JSON.stringify(spaceOf(old.config)) && JSON.stringify(problem.descriptors) === JSON.stringify(old.manifest.descriptors);
      next = {
        config: loaded.config, manifest: problem.manifest, seedFiles: old.seedFiles, problemDir: problem.dir, configPath: loaded.path,
        // An unchanged space keeps the source's archive as stored (CVT centroids included) rather than recomputing it.
        archive: sameSpace ? oldArchive : describeArchive(loaded.config, problem.descriptors, loaded.path),
        prompts: usesLlm(loaded.config) ? loadTemplates(promptsDir(loaded.config.llm, dirname(loaded.path)), loaded.path) : undefined,
      };
    }
    const oldPrompts = (source.meta<Record<string, string>>('prompts') ?? {}) as Record<string, string>;
    const newPrompts = (next.prompts ?? {}) as Record<string, string>;
    const changedPrompts = [...new Set([...Object.keys(oldPrompts), ...Object.keys(newPrompts)])].filter((k) => oldPrompts[k] !== newPrompts[k]).sort();
    const changes = [
      ...configChanges(old.config, next.config), ...configChanges(old.manifest.descriptors, next.manifest.descriptors, 'problem.descriptors'),
      ...(changedPrompts.length > 0 ? [`prompts: ${changedPrompts.join(', ')} changed`] : []),
    ];
    const rebinned = JSON.stringify(next.archive) !== JSON.stringify(oldArchive);
    if (existsSync(target)) {
      if (!options.overwrite) throw new StorageError(`${target} already exists; choose another --db or pass --overwrite`);
      removeRun(target);
    }
    mkdirSync(dirname(target), { recursive: true });
    const store = RunStore.create(target, {
      engineVersion: ENGINE_VERSION, createdAt: new Date().toISOString(), configPath: next.configPath, config: next.config,
      problemDir: next.problemDir, problem: next.manifest, seedFiles: next.seedFiles, archive: next.archive,
      ...(next.prompts !== undefined ? { prompts: next.prompts } : {}),
      ...(source.meta('baseUrl') !== undefined ? { baseUrl: source.meta('baseUrl') } : {}),
      forkOf: { source: sourcePath, at: options.at, changes, rebinned }, status: 'stopped', elapsedMs: 0,
    });
    try {
      copyIterations(source, store, next.config, next.archive, options.at, changes.length === 0, next.manifest.params ?? null);
      return { db: target, source: sourcePath, at: options.at, changes, rebinned, cells: store.archiveCells().length };
    } catch (error) {
      store.close();
      removeRun(target);
      throw error;
    } finally {
      if (existsSync(target)) store.close();
    }
  } finally {
    source.close();
  }
}

/**
 * Commits the source's iterations below `at` into the new store, as a live run would have under `config`
 * and `archive`. The LLM calls of those iterations come along; with unchanged settings the later ones do
 * too, so the fork asks the endpoint nothing the source already asked and ends exactly as the source
 * (with changed settings they would only sit in the fork's ledger as calls it did not make).
 */
function copyIterations(source: RunStore, store: RunStore, config: RunConfig, archive: ArchiveDescription, at: number, unchanged: boolean, params: { file: string; space: ParamSpace } | null): void {
  const islands = islandsFor(config, archive);
  // Stateful operators (CMA-ES emitters) learn again from the kept iterations, as the live run did, and store their states.
  const states = OperatorStates.create(statefulArms(config), store, params, config.pipelineDepth);
  for (const call of source.llm().all()) if (unchanged || call.iteration < at) store.llm().record(call);
  for (const row of source.iterations(at)) {
    const outcome: IterationOutcome = {
      island: row.island, arm: -1, operator: row.operator, parentIds: row.parentIds, failure: row.status === 'operator-failed' ? row.reason ?? 'the operator failed' : null,
      children: row.children.map((id) => {
        const variant = source.getVariant(id);
        if (variant === undefined) throw new StorageError(`${source.path}: iteration ${row.iteration} names variant ${id}, which is not stored`);
        const { note, ...rest } = variant;
        const stored = source.getEvaluation(id);
        // The child's own evaluation when this iteration made it; otherwise buildRecord finds the earlier one in the new store.
        return { variant: { ...rest, ...(note !== null ? { note } : {}) }, evaluation: stored?.iteration === row.iteration ? stored.evaluation : null };
      }),
    };
    const record = buildRecord(row.iteration, outcome, store, islands, { elapsedMs: 0, arm: row.arm ?? 'seed', llm: row.llm, metricsInterval: config.archive.metricsInterval, creditUnit: creditUnitOf(config.operatorChoice) });
    store.commit(record);
    states?.commit(row.iteration, row.arm ?? 'seed', row.parentIds, record);
  }
  // Evolving prompts: the variants bred and chosen by the kept iterations (a fork whose config evolves no prompts ignores them).
  for (const variant of source.prompts().variants(at)) store.prompts().addVariant(variant);
  for (const choice of source.prompts().choices(at)) store.prompts().addChoice(choice);
}

/** What decides where a stored variant lands: the archive section without its reporting interval. */
function spaceOf(config: RunConfig): unknown {
  const { metricsInterval: _unused, ...space } = config.archive;
  return space;
}

/** Why the fork's descriptors cannot take the stored descriptor values (same names, order and categorical values needed). */
function rebinProblems(old: readonly DescriptorSpec[], next: readonly DescriptorSpec[]): string[] {
  const why = 'stored descriptors cannot be re-binned into it without evaluating every variant again; start a new run instead';
  if (old.length !== next.length || old.some((d, k) => d.name !== next[k]!.name)) {
    return [`descriptors: [${next.map((d) => d.name).join(', ')}] differs from the source's [${old.map((d) => d.name).join(', ')}]; ${why}`];
  }
  return old.flatMap((d, k) => {
    const n = next[k]!;
    if ('values' in d !== 'values' in n) return [`descriptors[${k}] (${d.name}): changes between numeric and categorical; ${why}`];
    if ('values' in d && 'values' in n && JSON.stringify(d.values) !== JSON.stringify(n.values)) return [`descriptors[${k}].values: differ from the source's ${JSON.stringify(d.values)}; ${why}`];
    return [];
  });
}

/** Every leaf that differs between two JSON values, as "path: old -> new". */
export function configChanges(a: unknown, b: unknown, path = ''): string[] {
  const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (isObject(a) && isObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => configChanges(a[k], b[k], path ? `${path}.${k}` : k));
  }
  if (JSON.stringify(a) === JSON.stringify(b)) return [];
  const show = (v: unknown) => (v === undefined ? '(unset)' : JSON.stringify(v));
  return [`${path}: ${show(a)} -> ${show(b)}`];
}
