// Problem: a folder with a manifest, the seed variant's files, an evaluator module, a parameter space and descriptors.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { ConfigError } from '../../common/errors.js';
import type { DescriptorSpec, ParamSpace, VariantFiles } from '../../common/types.js';
import type { StageSpec } from '../../fitness/evaluation-worker.js';
import { checkParams } from '../../operators/param-space.js';
import { checkFile, problemSchema, type ProblemManifest } from './config-schema.js';
import { loadJson } from './load-json.js';

export interface Problem {
  /** Absolute path of the problem folder. */
  dir: string;
  manifest: ProblemManifest;
  evaluatorPath: string;
  descriptors: DescriptorSpec[];
  params: { file: string; space: ParamSpace } | null;
  seedFiles: VariantFiles;
  /** The cascade, cheap to expensive; one stage `evaluate` for a problem without one. */
  stages: StageSpec[];
}

/**
 * Loads and checks a problem folder. Every problem found (schema, ranges, missing files, a seed
 * whose parameters do not fit the space) is reported at once in a ConfigError naming problem.json.
 */
export function loadProblem(dir: string): Problem {
  const absolute = resolve(dir);
  const manifestPath = join(absolute, 'problem.json');
  if (!existsSync(absolute) || !statSync(absolute).isDirectory()) throw new ConfigError(absolute, ['problem folder not found']);
  const checked = checkFile(problemSchema, loadJson(manifestPath));
  if (!checked.ok) throw new ConfigError(manifestPath, checked.problems);
  const manifest = checked.value;
  const problems: string[] = [];

  manifest.descriptors.forEach((d, i) => {
    if (!('values' in d)) {
      if (!(d.max > d.min)) problems.push(`descriptors[${i}].max: must be greater than min (${d.min}), got ${d.max}`);
      return;
    }
    d.values.forEach((v, k) => { if (d.values.indexOf(v) !== k) problems.push(`descriptors[${i}].values[${k}]: ${JSON.stringify(v)} is listed twice`); });
  });
  const names = manifest.descriptors.map((d) => d.name);
  names.forEach((n, i) => { if (names.indexOf(n) !== i) problems.push(`descriptors[${i}].name: "${n}" is declared twice`); });
  for (const [name, spec] of Object.entries(manifest.params?.space ?? {})) {
    if (spec.type !== 'categorical' && !(spec.max > spec.min)) problems.push(`params.space.${name}.max: must be greater than min (${spec.min}), got ${spec.max}`);
    if (spec.type === 'float' && spec.log && spec.min <= 0) problems.push(`params.space.${name}.min: must be positive on a log scale (got ${spec.min})`);
  }

  const stages = stagesOf(manifest);
  stages.forEach((s, k) => {
    const last = k === stages.length - 1;
    if (last && s.threshold !== null) problems.push(`cascade[${k}].threshold: the last stage has no threshold (its result is the evaluation)`);
    if (!last && s.threshold === null) problems.push(`cascade[${k}].threshold: required for every stage but the last (a variant below it stops there)`);
    if (stages.findIndex((o) => o.name === s.name) !== k) problems.push(`cascade[${k}].name: "${s.name}" is declared twice`);
  });
  const evaluatorPath = join(absolute, manifest.evaluator);
  if (!existsSync(evaluatorPath)) problems.push(`evaluator: ${evaluatorPath} not found`);
  const seedDir = join(absolute, manifest.seed);
  let seedFiles: VariantFiles = {};
  if (!existsSync(seedDir) || !statSync(seedDir).isDirectory()) {
    problems.push(`seed: folder ${seedDir} not found`);
  } else {
    seedFiles = readTree(seedDir);
    if (Object.keys(seedFiles).length === 0) problems.push(`seed: folder ${seedDir} holds no files`);
  }
  if (manifest.params && Object.keys(seedFiles).length > 0) {
    const text = seedFiles[manifest.params.file];
    if (text === undefined) {
      problems.push(`params.file: the seed folder has no ${manifest.params.file}`);
    } else {
      let parsed: unknown;
      try { parsed = JSON.parse(text); } catch (error) { problems.push(`params.file: ${manifest.params.file} in the seed is not JSON: ${(error as Error).message}`); }
      if (parsed !== undefined) problems.push(...checkParams(parsed, manifest.params.space).map((p) => `seed ${manifest.params!.file}: ${p}`));
    }
  }
  if (problems.length > 0) throw new ConfigError(manifestPath, problems);
  return {
    dir: absolute,
    manifest,
    evaluatorPath,
    descriptors: manifest.descriptors,
    params: manifest.params ? { file: manifest.params.file, space: manifest.params.space as ParamSpace } : null,
    seedFiles,
    stages,
  };
}

/** The cascade a manifest declares, or the one stage `evaluate`. */
function stagesOf(manifest: ProblemManifest): StageSpec[] {
  return (manifest.cascade ?? [{ name: 'evaluate', export: 'evaluate' }]).map((s) => ({ name: s.name, export: s.export, threshold: s.threshold ?? null }));
}

/** The problem as a run stored it (manifest and seed files kept in the run), with its evaluator in `dir`. */
export function storedProblem(dir: string, manifest: ProblemManifest, seedFiles: VariantFiles): Problem {
  return {
    dir, manifest, evaluatorPath: join(dir, manifest.evaluator), descriptors: manifest.descriptors,
    params: manifest.params ? { file: manifest.params.file, space: manifest.params.space as ParamSpace } : null, seedFiles, stages: stagesOf(manifest),
  };
}

/** Every file under `dir`, by path relative to it with forward slashes, in sorted order. */
function readTree(dir: string): VariantFiles {
  const files: VariantFiles = {};
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) files[relative(dir, full).split(sep).join('/')] = readFileSync(full, 'utf8');
    }
  };
  walk(dir);
  return files;
}
