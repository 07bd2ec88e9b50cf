// How an Evaluation is laid out in the evaluations table, both ways.
import type { Evaluation } from '../../common/types.js';

/** The columns of one evaluations row, in INSERT order after variant_id and iteration. */
export const EVALUATION_COLUMNS = ['status', 'reason', 'message', 'fitness', 'descriptors', 'metrics', 'artifacts', 'seed', 'duration_ms', 'stages', 'private', 'recheck'] as const;

export interface EvaluationRow {
  variant_id: string; iteration: number; status: Evaluation['status']; reason: string | null; message: string | null;
  fitness: number | null; descriptors: string | null; metrics: string | null; artifacts: string | null; seed: number; duration_ms: number;
  /** Added by schema 3; null in older rows. */
  stages?: string | null; private?: string | null; recheck?: string | null;
}

const json = (v: unknown): string | null => (v === undefined ? null : JSON.stringify(v));

/** The values of EVALUATION_COLUMNS for `e`. */
export function evaluationValues(e: Evaluation): Array<string | number | null> {
  if (e.status === 'ok') {
    return [e.status, null, null, e.fitness, JSON.stringify(e.descriptors), JSON.stringify(e.metrics), JSON.stringify(e.artifacts), e.seed, e.durationMs,
      json(e.stages), json(e.private), json(e.recheck)];
  }
  const artifacts = e.artifacts !== undefined && Object.keys(e.artifacts).length > 0 ? JSON.stringify(e.artifacts) : null;
  return [e.status, e.reason, e.message, null, null, null, artifacts, e.seed, e.durationMs, json(e.stages), null, null];
}

export function fromEvaluationRow(row: EvaluationRow): Evaluation {
  const common = { durationMs: row.duration_ms, seed: row.seed, ...(row.stages ? { stages: JSON.parse(row.stages) as NonNullable<Evaluation['stages']> } : {}) };
  if (row.status === 'ok') {
    return {
      status: 'ok', fitness: row.fitness!, descriptors: JSON.parse(row.descriptors!) as number[], metrics: JSON.parse(row.metrics!) as Record<string, number>,
      artifacts: JSON.parse(row.artifacts!) as Record<string, string>, ...common,
      ...(row.private ? { private: JSON.parse(row.private) as NonNullable<Extract<Evaluation, { status: 'ok' }>['private']> } : {}),
      ...(row.recheck ? { recheck: JSON.parse(row.recheck) as NonNullable<Extract<Evaluation, { status: 'ok' }>['recheck']> } : {}),
    };
  }
  return {
    status: row.status, reason: row.reason as 'threw', message: row.message ?? '', ...common,
    ...(row.artifacts ? { artifacts: JSON.parse(row.artifacts) as Record<string, string> } : {}),
  };
}
