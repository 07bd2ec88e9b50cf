// RunReader: read-only access to a run's database for status, export and show; never takes the write lock.
import { resolve } from 'node:path';
import type { Archive, ArchiveDescription, ArchiveStats } from '../../archives/archive.js';
import { archiveFromDescription } from '../../archives/archive-factory.js';
import { resultDescription } from '../../archives/island-model.js';
import { storedArchive } from '../config/archive-setup.js';
import { contentId } from '../../common/content-id.js';
import type { DescriptorSpec, Evaluation, Variant } from '../../common/types.js';
import type { RunConfig, ProblemManifest } from '../config/config-schema.js';
import { storedConfig } from '../config/load-config.js';
import { Bandit, type ArmStats } from '../arms/bandit.js';
import type { LedgerSummary } from '../store/llm-records.js';
import { armSpecs, policyOf } from '../arms/operator-registry.js';
import { OperatorStates } from '../loop/operator-states.js';
import { creditsOf, creditUnitOf } from '../loop/iteration-record.js';
import type { QueueSnapshot } from '../queue/queue-pool.js';
import { RunStore, type QdMetricsRow } from '../store/run-store.js';

export interface EliteRow {
  island: number;
  cell: number;
  variantId: string;
  fitness: number;
  descriptors: number[];
  metrics: Record<string, number | string | boolean>;
  /** Held-out metrics ({} when none): for people and exports, never for prompts. */
  privateMetrics: Record<string, number | string | boolean>;
  /** Spread (max - min) of the scores of a re-checked elite; null when it was not re-checked. */
  recheckSpread: number | null;
  /** A soft archive's acceptance threshold for the cell; for other archives the elite's fitness (what a challenger must beat). */
  threshold: number;
  parentIds: string[];
  operator: string;
  iteration: number;
}

export interface RunStatus {
  db: string;
  status: string;
  engineVersion: string;
  createdAt: string;
  seed: number;
  iterations: number;
  /** Distinct variants evaluated (each at most once). */
  evaluations: number;
  evaluationsByStatus: Record<string, number>;
  /** Evaluations without a score, by reason (timeout, threw, out-of-memory, cascade, ...). */
  evaluationsByReason: Record<string, number>;
  /** Overall QD metrics at up to 6 evenly spaced stored iterations, the last stored one included. */
  qdTrend: QdMetricsRow[];
  /** Children whose content matched an already evaluated variant and reused its evaluation. */
  cachedChildren: number;
  elapsedMs: number;
  /** kind: "grid", "cvt", or "soft"/"novelty" over one of them, e.g. "soft over cvt". */
  archive: ArchiveStats & { islands: ArchiveStats[]; kind: string };
  /** Islands restarted after stagnating (islands.stagnation). */
  islandResets: number;
  best: { id: string; fitness: number; descriptors: number[]; island: number; cell: number; iteration: number } | null;
  seedVariant: { id: string; fitness: number | null };
  operators: Array<{ operator: string; uses: number; failures: number; children: number; evaluationFailures: number; newCells: number; improvements: number; successRate: number }>;
  budget: RunConfig['budget'];
  /** How arms are chosen, and each arm's record: pulls are committed iterations; mean and score as the policy sees them now. */
  operatorChoice: RunConfig['operatorChoice'];
  arms: ArmStats[];
  /** The LLM ledger: every call made, its tokens and cost. */
  llm: LedgerSummary;
  /** Evolving operator prompts (llm.promptEvolution): each operator's variants, how often they were used and their mean reward. */
  /** Stateful operators (CMA-ES emitters): one line per emitter as the last commit left it. */
  emitters: string[];
  /** A queued run (run --queue): the queue and its workers as the coordinator last wrote them (every 2 s), else null. */
  queue: QueueSnapshot | null;
  prompts: Array<{ operator: string; variants: Array<{ label: string; createdBy: number; status: string; uses: number; meanReward: number | null; note: string | null }> }>;
}

/** Opens a run read-only: safe while another process is writing it (SQLite WAL). */
export class RunReader {
  private constructor(private readonly store: RunStore) {}

  static open(db: string): RunReader {
    return new RunReader(RunStore.open(resolve(db), { write: false }));
  }

  get path(): string {
    return this.store.path;
  }

  config(): RunConfig {
    return storedConfig(this.store.meta('config'), this.store.path);
  }

  problem(): ProblemManifest {
    return this.store.meta<ProblemManifest>('problem')!;
  }

  descriptors(): DescriptorSpec[] {
    return this.problem().descriptors;
  }

  /** The run's archive, as stored when it started (for a CVT, its centroids). */
  archiveDescription(): ArchiveDescription {
    return storedArchive(this.store.meta<ArchiveDescription>('archive'), this.config(), this.descriptors());
  }

  meta<T>(key: string): T | undefined {
    return this.store.meta<T>(key);
  }

  /** Stored QD metrics of one island (-1: all islands together), in iteration order. */
  qdMetrics(island: number): QdMetricsRow[] {
    return this.store.qdMetrics(island);
  }

  /** Each operator's counts and total improvement credited. */
  operatorTotals(): ReturnType<RunStore['operatorStats']> {
    return this.store.operatorStats();
  }

  /** LLM usage of each iteration that made calls. */
  llmUsage(): ReturnType<RunStore['llmUsage']> {
    return this.hasTable('llm_calls') ? this.store.llmUsage() : [];
  }

  /** A variant and its first-parent ancestors, newest first. */
  ancestors(id: string, limit = 50): ReturnType<RunStore['ancestors']> {
    return this.store.ancestors(id, limit);
  }

  variantFiles(id: string): Record<string, string> | undefined {
    return this.store.getVariant(id)?.files;
  }

  /** Runs `read` against one consistent state of the run (a read transaction), e.g. everything a report shows. */
  snapshot<T>(read: () => T): T {
    return this.store.snapshot(read);
  }

  /** Changes whenever the run commits or changes state: a cheap test of whether a view is stale. */
  progressKey(): string {
    return `${this.store.committedIterations()}/${this.store.meta<string>('status') ?? ''}/${this.store.meta<number>('elapsedMs') ?? 0}`;
  }

  /** Islands restarted after stagnating. */
  islandResets(): ReturnType<RunStore['islandResets']> {
    return this.store.islandResets();
  }

  /** Elites of every island, by island then cell, with their evaluation and lineage. */
  elites(): EliteRow[] {
    return this.store.eliteRows().map(({ threshold, ...r }) => ({ ...r, threshold: threshold ?? r.fitness }));
  }

  /** The (result) archive of one island, or of all islands together, rebuilt from the stored cells. */
  archive(island?: number, cells = this.store.archiveCells(), description = this.archiveDescription()): Archive {
    const archive = archiveFromDescription(resultDescription(description));
    for (const c of cells) {
      if (island === undefined || c.island === island) archive.add({ variantId: c.variantId, fitness: c.fitness, descriptors: c.descriptors, iteration: c.iteration });
    }
    return archive;
  }

  variant(idOrPrefix: string): { variant: Variant & { note: string | null }; evaluation: Evaluation | null; lineage: ReturnType<RunStore['ancestors']> } | { error: string } {
    const matches = this.store.findVariants(idOrPrefix, 2);
    if (matches.length === 0) return { error: `no variant ${idOrPrefix} in ${this.path}` };
    if (matches.length > 1 && !matches.includes(idOrPrefix)) return { error: `${idOrPrefix} is ambiguous: ${matches.join(', ')}, ...` };
    const id = matches.includes(idOrPrefix) ? idOrPrefix : matches[0]!;
    const variant = this.store.getVariant(id)!;
    return { variant, evaluation: this.store.getEvaluation(id)?.evaluation ?? null, lineage: this.store.ancestors(id) };
  }

  status(): RunStatus {
    const config = this.config();
    const cells = this.store.archiveCells();
    const description = this.archiveDescription();
    const combined = this.archive(undefined, cells, description);
    const islands = Array.from({ length: config.islands.count }, (_, k) => this.archive(k, cells, description).stats());
    const best = combined.best();
    const bestRow = best ? cells.find((c) => c.variantId === best.variantId && c.cell === best.cell) : undefined;
    const seedId = contentId(this.store.meta<Record<string, string>>('seedFiles')!);
    const seedEval = this.store.getEvaluation(seedId)?.evaluation;
    const byStatus = this.store.evaluationsByStatus();
    return {
      db: this.path,
      status: this.state(),
      engineVersion: this.store.meta<string>('engineVersion') ?? '?',
      createdAt: this.store.meta<string>('createdAt') ?? '?',
      seed: config.seed,
      iterations: this.store.committedIterations(),
      evaluations: Object.values(byStatus).reduce((a, b) => a + b, 0),
      evaluationsByStatus: byStatus,
      evaluationsByReason: this.store.evaluationsByReason(),
      qdTrend: evenlySpaced(this.store.qdMetrics(), 6),
      cachedChildren: this.store.cachedChildren(),
      elapsedMs: this.store.meta<number>('elapsedMs') ?? 0,
      archive: { ...combined.stats(), islands, kind: archiveKind(description) },
      islandResets: this.store.islandResets().length,
      best: best ? { id: best.variantId, fitness: best.fitness, descriptors: best.descriptors, island: bestRow?.island ?? 0, cell: best.cell, iteration: best.iteration } : null,
      seedVariant: { id: seedId, fitness: seedEval?.status === 'ok' ? seedEval.fitness : null },
      operators: this.store.operatorStats().map((o) => ({
        operator: o.operator, uses: o.uses, failures: o.failures, children: o.children, evaluationFailures: o.evaluationFailures,
        newCells: o.newCells, improvements: o.improvements, successRate: o.children === 0 ? 0 : (o.newCells + o.improvements) / o.children,
      })),
      budget: config.budget,
      operatorChoice: config.operatorChoice,
      arms: this.arms(config),
      llm: this.ledger(),
      prompts: this.prompts(),
      emitters: this.hasTable('emitter_states') ? OperatorStates.describeStored(config, this.store) : [],
      queue: this.store.meta<QueueSnapshot>('queue') ?? null,
    };
  }

  private prompts(): RunStatus['prompts'] {
    if (!this.hasTable('prompt_variants')) return [];
    const byOperator = new Map<string, RunStatus['prompts'][number]['variants']>();
    for (const v of this.store.prompts().summary()) {
      byOperator.set(v.operator, [...(byOperator.get(v.operator) ?? []), { label: `${v.operator}#${v.idx}`, createdBy: v.createdBy, status: v.status, uses: v.uses, meanReward: v.meanReward, note: v.note }]);
    }
    return [...byOperator].map(([operator, variants]) => ({ operator, variants }));
  }

  /** The bandit rebuilt from the committed iterations' arms and rewards, as a resume would rebuild it. */
  private arms(config: RunConfig): ArmStats[] {
    const specs = armSpecs(config);
    const bandit = new Bandit(specs.map((a) => a.label), specs.map((a) => a.weight), policyOf(config));
    const index = new Map(specs.map((a, k) => [a.label, k]));
    const pulls = specs.map(() => 0);
    const unit = creditUnitOf(config.operatorChoice);
    for (const row of this.hasTable('llm_calls') ? this.store.armCredits() : []) {
      const k = row.arm === null ? undefined : index.get(row.arm);
      if (k === undefined || row.reward === null) continue;
      pulls[k]!++;
      bandit.credit(k, row.reward, creditsOf(row.children, unit));
    }
    return bandit.stats().map((a, k) => ({ ...a, pulls: pulls[k]! }));
  }

  private ledger(): LedgerSummary {
    if (!this.hasTable('llm_calls')) return { calls: 0, tokensIn: 0, tokensOut: 0, cost: 0, byOutcome: {}, byModel: [], byOperator: [] };
    return this.store.llm().summary();
  }

  /** A run written by an older engine and not resumed since has an older schema (read-only opens do not migrate). */
  private hasTable(name: string): boolean {
    return this.store.hasTable(name);
  }

  /** finished, stopped (interrupted), running (a live process holds the lock) or killed (it holds it no more). */
  private state(): string {
    const stored = this.store.meta<string>('status') ?? 'running';
    if (stored !== 'running') return stored;
    const holder = this.store.lockHolder();
    return holder?.alive ? `running (process ${holder.pid} on ${holder.host})` : 'killed (resume it)';
  }

  close(): void {
    this.store.close();
  }
}

/** Up to `k` items of `rows`, evenly spaced, the first and the last included. */
function evenlySpaced<T>(rows: readonly T[], k: number): T[] {
  if (rows.length <= k) return [...rows];
  return Array.from({ length: k }, (_, j) => rows[Math.round((j * (rows.length - 1)) / (k - 1))]!);
}

/** How people name an archive: grid, cvt, "soft over grid", "novelty over cvt". */
export function archiveKind(d: ArchiveDescription): string {
  return d.kind === 'soft' || d.kind === 'novelty' ? `${d.kind} over ${d.result.kind}` : d.kind;
}
