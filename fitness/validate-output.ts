// Checks what an evaluator returned and turns it into an EvaluationOutput or a reason it is invalid.
import type { DescriptorSpec, EvaluationOutput } from '../common/types.js';

export type Checked = { ok: true; output: EvaluationOutput } | { ok: false; message: string };

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function show(v: unknown): string {
  if (typeof v === 'number') return String(v);
  if (v === undefined) return 'undefined';
  try { return JSON.stringify(v) ?? String(v); } catch { return String(v); }
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
    if (typeof v !== 'number') return { ok: false, message: `descriptor ${name} must be a number (got ${show(v)})` };
    if (!Number.isFinite(v)) return { ok: false, message: `descriptor ${name} must be finite (got ${v})` };
    values.push(v);
  }

  const metrics: EvaluationOutput['metrics'] = {};
  if (raw.metrics !== undefined) {
    if (!isRecord(raw.metrics)) return { ok: false, message: `metrics must be an object (got ${show(raw.metrics)})` };
    for (const [k, v] of Object.entries(raw.metrics)) {
      if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') metrics[k] = v;
      else return { ok: false, message: `metrics.${k} must be a number, string or boolean (got ${show(v)})` };
    }
  }
  const artifacts: Record<string, string> = {};
  if (raw.artifacts !== undefined) {
    if (!isRecord(raw.artifacts)) return { ok: false, message: `artifacts must be an object of strings (got ${show(raw.artifacts)})` };
    for (const [k, v] of Object.entries(raw.artifacts)) {
      if (typeof v !== 'string') return { ok: false, message: `artifacts.${k} must be a string (got ${show(v)})` };
      artifacts[k] = v;
    }
  }
  return { ok: true, output: { fitness, descriptors: values, metrics, artifacts } };
}
