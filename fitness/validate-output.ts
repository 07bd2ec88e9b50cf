// Checks what an evaluator returned and turns it into an EvaluationOutput or a reason it is invalid.
import type { DescriptorSpec, EvaluationOutput } from '../common/types.js';

export type Checked = { ok: true; output: EvaluationOutput } | { ok: false; message: string };

/*
 * Caps on everything an evaluation carries into the host, applied where it enters (the worker
 * before its reply, the pool before the evaluation is stored): a message, an output or an artifact
 * may hold text a candidate shaped (an exception's message, what it printed), and a sandbox's own
 * caps are not the host's.
 */
/** Longest failure message kept, in characters. */
export const MAX_MESSAGE_CHARS = 2000;
/** Longest artifact (the `output` of a failure included) or string metric kept, in characters. */
export const MAX_ARTIFACT_CHARS = 64 * 1024;
/** Most metrics, and most artifacts, one evaluation may report (public and private each). */
export const MAX_ENTRIES = 256;
/** Longest name of a metric or an artifact. */
export const MAX_NAME_CHARS = 200;

/** `text` cut to `max` characters (never inside a surrogate pair), saying how long it was. */
export function capText(text: string, max: number): string {
  if (text.length <= max) return text;
  const end = /[\uD800-\uDBFF]/.test(text.charAt(max - 1)) ? max - 1 : max;
  return `${text.slice(0, end)}… [cut: ${text.length} characters in all]`;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** A value as a message shows it: short, whatever its size. */
function show(v: unknown): string {
  if (typeof v === 'number') return String(v);
  if (v === undefined) return 'undefined';
  let text: string;
  try { text = JSON.stringify(v) ?? String(v); } catch { text = String(v); }
  return capText(text, 200);
}

/**
 * A missing or non-finite fitness, a missing descriptor or a non-finite one, or metrics and
 * artifacts of the wrong types make the output invalid: an invalid evaluation is recorded with
 * this message, never scored as 0.
 */
export function validateOutput(raw: unknown, descriptors: readonly DescriptorSpec[]): Checked {
  if (!isRecord(raw)) return { ok: false, message: `the evaluator returned ${show(raw)}, not an object with fitness and descriptors` };
  const { fitness } = raw;
  if (typeof fitness !== 'number') return { ok: false, message: `fitness must be a number (got ${show(fitness)})` };
  if (!Number.isFinite(fitness)) return { ok: false, message: `fitness must be finite (got ${fitness})` };

  const values: number[] = [];
  const given = raw.descriptors;
  if (Array.isArray(given)) {
    if (given.length !== descriptors.length) return { ok: false, message: `descriptors must have ${descriptors.length} values (got ${given.length})` };
  } else if (!isRecord(given)) {
    return { ok: false, message: `descriptors must be an array or an object keyed by name (got ${show(given)})` };
  }
  for (let i = 0; i < descriptors.length; i++) {
    const name = descriptors[i]!.name;
    const v = Array.isArray(given) ? given[i] : (given as Record<string, unknown>)[name];
    const spec = descriptors[i]!;
    if ('values' in spec) {
      // A categorical descriptor is reported as its value and kept as the value's index.
      const index = spec.values.indexOf(v as string | number);
      if (index < 0) return { ok: false, message: `descriptor ${name} must be one of ${spec.values.map((x) => JSON.stringify(x)).join(', ')} (got ${show(v)})` };
      values.push(index);
      continue;
    }
    if (typeof v !== 'number') return { ok: false, message: `descriptor ${name} must be a number (got ${show(v)})` };
    if (!Number.isFinite(v)) return { ok: false, message: `descriptor ${name} must be finite (got ${v})` };
    values.push(v);
  }

  const metrics = checkMetrics(raw.metrics, 'metrics');
  if (typeof metrics === 'string') return { ok: false, message: metrics };
  const artifacts = checkArtifacts(raw.artifacts, 'artifacts');
  if (typeof artifacts === 'string') return { ok: false, message: artifacts };
  const output: EvaluationOutput = { fitness, descriptors: values, metrics, artifacts };
  if (raw.private !== undefined) {
    if (!isRecord(raw.private)) return { ok: false, message: `private must be an object with metrics and artifacts (got ${show(raw.private)})` };
    const unknown = Object.keys(raw.private).filter((k) => k !== 'metrics' && k !== 'artifacts');
    if (unknown.length > 0) return { ok: false, message: `private.${unknown[0]}: unknown key (expected metrics, artifacts)` };
    const hiddenMetrics = checkMetrics(raw.private.metrics, 'private.metrics');
    if (typeof hiddenMetrics === 'string') return { ok: false, message: hiddenMetrics };
    const hiddenArtifacts = checkArtifacts(raw.private.artifacts, 'private.artifacts');
    if (typeof hiddenArtifacts === 'string') return { ok: false, message: hiddenArtifacts };
    output.private = { metrics: hiddenMetrics, artifacts: hiddenArtifacts };
  }
  return { ok: true, output };
}

/** The metrics, or the message saying why they are invalid. */
function checkMetrics(given: unknown, where: string): EvaluationOutput['metrics'] | string {
  const metrics: EvaluationOutput['metrics'] = {};
  if (given === undefined) return metrics;
  if (!isRecord(given)) return `${where} must be an object (got ${show(given)})`;
  const entries = Object.entries(given);
  const bad = badEntries(entries, where);
  if (bad !== undefined) return bad;
  for (const [k, v] of entries) {
    if (typeof v === 'string') metrics[k] = capText(v, MAX_ARTIFACT_CHARS);
    else if (typeof v === 'number' || typeof v === 'boolean') metrics[k] = v;
    else return `${where}.${k} must be a number, string or boolean (got ${show(v)})`;
  }
  return metrics;
}

/** The artifacts, or the message saying why they are invalid. */
function checkArtifacts(given: unknown, where: string): Record<string, string> | string {
  const artifacts: Record<string, string> = {};
  if (given === undefined) return artifacts;
  if (!isRecord(given)) return `${where} must be an object of strings (got ${show(given)})`;
  const entries = Object.entries(given);
  const bad = badEntries(entries, where);
  if (bad !== undefined) return bad;
  for (const [k, v] of entries) {
    if (typeof v !== 'string') return `${where}.${k} must be a string (got ${show(v)})`;
    artifacts[k] = capText(v, MAX_ARTIFACT_CHARS);
  }
  return artifacts;
}

/** Why these metrics or artifacts are too many, or one's name too long; undefined when they are fine. */
function badEntries(entries: ReadonlyArray<[string, unknown]>, where: string): string | undefined {
  if (entries.length > MAX_ENTRIES) return `${where} has ${entries.length} entries, more than the ${MAX_ENTRIES} allowed`;
  const long = entries.find(([k]) => k.length > MAX_NAME_CHARS);
  if (long !== undefined) return `${where}: the name ${show(long[0])} is longer than ${MAX_NAME_CHARS} characters`;
  return undefined;
}

/**
 * Adds what the cascade's earlier stages reported to the last stage's output, each key prefixed
 * with its stage's name (`smoke.fitness`, `smoke.passRate`); entries that are not valid are left out.
 */
export function withEarlierStages(output: EvaluationOutput, names: readonly string[], earlier: readonly unknown[]): EvaluationOutput {
  const metrics = { ...output.metrics };
  const artifacts = { ...output.artifacts };
  const hidden = { metrics: { ...output.private?.metrics }, artifacts: { ...output.private?.artifacts } };
  earlier.forEach((raw, k) => {
    if (!isRecord(raw)) return;
    const name = names[k]!;
    if (typeof raw.fitness === 'number') metrics[`${name}.fitness`] = raw.fitness;
    const m = checkMetrics(raw.metrics, 'metrics');
    if (typeof m !== 'string') for (const [key, v] of Object.entries(m)) metrics[`${name}.${key}`] = v;
    const a = checkArtifacts(raw.artifacts, 'artifacts');
    if (typeof a !== 'string') for (const [key, v] of Object.entries(a)) artifacts[`${name}.${key}`] = v;
    if (isRecord(raw.private)) {
      const pm = checkMetrics(raw.private.metrics, 'metrics');
      if (typeof pm !== 'string') for (const [key, v] of Object.entries(pm)) hidden.metrics[`${name}.${key}`] = v;
      const pa = checkArtifacts(raw.private.artifacts, 'artifacts');
      if (typeof pa !== 'string') for (const [key, v] of Object.entries(pa)) hidden.artifacts[`${name}.${key}`] = v;
    }
  });
  const anyHidden = Object.keys(hidden.metrics).length + Object.keys(hidden.artifacts).length > 0;
  return { ...output, metrics, artifacts, ...(output.private !== undefined || anyHidden ? { private: hidden } : {}) };
}
