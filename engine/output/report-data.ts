// reportData: everything the HTML report and the live dashboard draw, read from a run's database as plain JSON.
import type { ArchiveDescription } from '../../archives/archive.js';
import { resultDescription } from '../../archives/island-model.js';
import type { DescriptorSpec } from '../../common/types.js';
import { archiveKind, type RunReader, type RunStatus } from './run-reader.js';
import type { QdMetricsRow } from '../store/run-records.js';
import { diffVariants, type FileDiff } from './variant-diff.js';

export interface ReportElite {
  island: number;
  cell: number;
  variantId: string;
  fitness: number;
  descriptors: number[];
  operator: string;
  iteration: number;
  /** The variant's parameters (the problem's params file), when the problem declares a parameter space. */
  params?: Record<string, unknown>;
}

export interface ReportData {
  generatedAt: string;
  run: { db: string; status: string; engineVersion: string; createdAt: string; seed: number; iterations: number; elapsedMs: number; problem: string; forkOf: unknown };
  archive: {
    kind: string;
    /** The layout the heatmap draws: the result archive's description (grid dimensions, or CVT ranges and centroids). */
    layout: ArchiveDescription;
    descriptors: DescriptorSpec[];
    stats: RunStatus['archive'];
    /** The union of the islands' result archives: per cell the best elite of any island (what the heatmap draws). */
    elites: ReportElite[];
    islands: number;
  };
  best: RunStatus['best'];
  seedFitness: number | null;
  /** Stored QD metrics, overall (island -1) then per island, each in iteration order. */
  curves: { overall: QdMetricsRow[]; islands: QdMetricsRow[][] };
  operators: Array<RunStatus['operators'][number] & { improvementCredited: number; llmCalls: number; tokens: number; cost: number }>;
  arms: RunStatus['arms'];
  operatorChoice: RunStatus['operatorChoice'];
  outcomes: { evaluationsByStatus: Record<string, number>; failuresByReason: Record<string, number>; rejectedBeforeEvaluation: number; operatorFailures: number };
  /** The best variant and its ancestors (first parents), oldest first, each with the diff from its parent. */
  lineage: Array<{ id: string; operator: string; iteration: number; fitness: number | null; status: string | null; diff: FileDiff[] }>;
  /** Cumulative LLM calls, tokens and cost after each iteration that made calls. */
  llm: { points: Array<{ iteration: number; calls: number; tokens: number; cost: number }>; ledger: RunStatus['llm'] };
  /** A tune run's held-out comparison (stored by `ouroboros tune` once it validated), else null. */
  tune: TuneComparison | null;
  /** A queued run's queue and remote workers (status.queue), else null. */
  queue: RunStatus['queue'];
}

/** What the report shows of a tune run's held-out comparison (written by engine/tune/tune-validate.ts). */
export interface TuneComparison {
  metric: string;
  seeds: number[];
  verdict: string;
  tunedFile: string;
  configs: Array<{
    rank: number; variantId: string; trainingScore: number; values: Record<string, unknown>;
    heldOut: Array<{ problem: string; base: number[]; tuned: number[]; meanRatio: number; interval: [number, number]; wins: number }>;
  }>;
}

/** Reads everything from a read-only RunReader in one read transaction: consistent while a search writes the database. */
export function reportData(reader: RunReader): ReportData {
  return reader.snapshot(() => readAll(reader));
}

function readAll(reader: RunReader): ReportData {
  const status = reader.status();
  const config = reader.config();
  const description = reader.archiveDescription();
  const union = reader.archive();
  const rows = reader.elites();
  const byVariant = new Map(rows.map((r) => [r.variantId, r]));
  const paramsFile = reader.problem().params?.file;
  const paramsOf = (id: string): Record<string, unknown> | undefined => {
    if (paramsFile === undefined) return undefined;
    try {
      return JSON.parse(reader.variantFiles(id)?.[paramsFile] ?? 'null') ?? undefined;
    } catch {
      return undefined; // an elite's params file is valid JSON (it was evaluated); be safe anyway
    }
  };
  const elites: ReportElite[] = union.elites().map((e) => {
    const row = byVariant.get(e.variantId);
    const params = paramsOf(e.variantId);
    return { island: row?.island ?? 0, cell: e.cell, variantId: e.variantId, fitness: e.fitness, descriptors: e.descriptors, operator: row?.operator ?? '?', iteration: row?.iteration ?? e.iteration, ...(params ? { params } : {}) };
  });
  const opStats = new Map(reader.operatorTotals().map((o) => [o.operator, o.totalImprovement]));
  const llmByOperator = new Map(status.llm.byOperator.map((o) => [o.operator, o]));
  let calls = 0;
  let tokens = 0;
  let cost = 0;
  return {
    generatedAt: new Date().toISOString(),
    run: {
      db: status.db, status: status.status, engineVersion: status.engineVersion, createdAt: status.createdAt, seed: status.seed, iterations: status.iterations,
      elapsedMs: status.elapsedMs, problem: reader.problem().name, forkOf: reader.meta('forkOf') ?? null,
    },
    archive: { kind: archiveKind(description), layout: resultDescription(description), descriptors: reader.descriptors(), stats: status.archive, elites, islands: config.islands.count },
    best: status.best,
    seedFitness: status.seedVariant.fitness,
    curves: { overall: reader.qdMetrics(-1), islands: Array.from({ length: config.islands.count }, (_, k) => reader.qdMetrics(k)) },
    operators: status.operators.map((o) => {
      const l = llmByOperator.get(o.operator);
      return { ...o, improvementCredited: opStats.get(o.operator) ?? 0, llmCalls: l?.calls ?? 0, tokens: l?.tokens ?? 0, cost: l?.cost ?? 0 };
    }),
    arms: status.arms,
    operatorChoice: status.operatorChoice,
    outcomes: {
      evaluationsByStatus: status.evaluationsByStatus, failuresByReason: status.evaluationsByReason, rejectedBeforeEvaluation: status.cachedChildren,
      operatorFailures: status.operators.reduce((n, o) => n + o.failures, 0),
    },
    lineage: status.best === null ? [] : lineageOf(reader, status.best.id),
    llm: {
      points: reader.llmUsage().map((u) => ({ iteration: u.iteration, calls: (calls += u.calls), tokens: (tokens += u.tokens), cost: (cost += u.cost) })),
      ledger: status.llm,
    },
    tune: reader.meta<TuneComparison>('tuneValidation') ?? null,
    queue: status.queue,
  };
}

function lineageOf(reader: RunReader, id: string): ReportData['lineage'] {
  const chain = reader.ancestors(id, 200).reverse();
  return chain.map((step, k) => {
    const files = reader.variantFiles(step.id);
    const parent = k > 0 ? reader.variantFiles(chain[k - 1]!.id) : undefined;
    return { ...step, diff: parent === undefined || files === undefined ? [] : diffVariants(parent, files) };
  });
}
