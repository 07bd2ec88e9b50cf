// RunStore: the only module that speaks SQL. One SQLite file per run holds everything a run is.
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import Database from 'better-sqlite3';
import { RunLockedError, StorageError } from '../../common/errors.js';
import type { Evaluation, Variant } from '../../common/types.js';
import { EVALUATION_COLUMNS, evaluationValues, fromEvaluationRow, type EvaluationRow } from './evaluation-row.js';
import { LlmRecords } from './llm-records.js';
import { PromptRecords } from './prompt-records.js';
import { AttemptRecords } from './attempt-records.js';
import { EmitterRecords } from './emitter-records.js';
import { MIGRATIONS, SCHEMA_VERSION } from './store-schema.js';
import { processIsAlive } from './process-alive.js';

export type { ChildRecord, IterationRecord, IterationUsage, LogChild, QdMetricsRow } from './run-records.js';
import type { IterationRecord, IterationUsage, LogChild, QdMetricsRow } from './run-records.js';

export interface StoredEvaluation {
  variantId: string;
  iteration: number;
  evaluation: Evaluation;
}

/**
 * Contract:
 * - create() makes a new file and fails if one exists; open() fails on a missing file, a file
 *   that is not a run, or a newer schema. Older schemas are migrated on open for writing.
 * - A writer takes the run's lock: open({ write: true }) fails with RunLockedError naming the
 *   live process that holds it; a lock left by a dead process is taken over.
 * - commit() writes one iteration atomically: after a crash the file holds every committed
 *   iteration and nothing of the next. Iterations must be committed in increasing order. Inside
 *   batch(), the commits it makes are one transaction: a crash keeps all of them or none.
 * - Only the main thread uses a RunStore; calls are synchronous.
 */
export class RunStore {
  private readonly db: Database.Database;
  private readonly writable: boolean;
  private readonly statements: ReturnType<RunStore['prepare']>;
  // The tables kept by their own modules, sharing this connection; made on first use.
  private llmRecords?: LlmRecords; private promptRecords?: PromptRecords; private attemptRecords?: AttemptRecords; private emitterRecords?: EmitterRecords;

  private constructor(readonly path: string, db: Database.Database, writable: boolean) {
    this.db = db;
    this.writable = writable;
    this.statements = this.prepare();
  }

  static create(path: string, meta: Record<string, unknown>): RunStore {
    if (existsSync(path)) throw new StorageError(`${path} already exists; resume it with \`ouroboros resume ${path}\` or choose another --db`);
    const db = RunStore.connect(path, false);
    RunStore.migrate(db, path);
    const store = new RunStore(path, db, true);
    store.lock();
    const insert = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
    db.transaction(() => { for (const [k, v] of Object.entries(meta)) insert.run(k, JSON.stringify(v)); })();
    return store;
  }

  /** `stealLock` takes over a lock held from another host, whose liveness cannot be checked from here. */
  static open(path: string, options: { write: boolean; stealLock?: boolean }): RunStore {
    if (!existsSync(path)) throw new StorageError(`${path}: no such run database`);
    const db = RunStore.connect(path, !options.write);
    let version: number;
    try {
      version = db.pragma('user_version', { simple: true }) as number;
      const tables = db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'meta'").get() as { n: number };
      if (version === 0 || tables.n === 0) throw new StorageError(`${path} is not an Ouroboros run database`);
    } catch (error) {
      db.close();
      if (error instanceof StorageError) throw error;
      throw new StorageError(`${path} is not a readable SQLite database: ${(error as Error).message}`, { cause: error });
    }
    if (version > SCHEMA_VERSION) {
      db.close();
      throw new StorageError(`${path} has schema version ${version}; this engine reads up to ${SCHEMA_VERSION}: upgrade Ouroboros`);
    }
    if (options.write) RunStore.migrate(db, path);
    const store = new RunStore(path, db, options.write);
    if (options.write) store.lock(options.stealLock ?? false);
    return store;
  }

  private static connect(path: string, readonly: boolean): Database.Database {
    try {
      const db = new Database(path, { readonly, fileMustExist: readonly });
      if (!readonly) {
        db.pragma('journal_mode = WAL');
        // NORMAL in WAL mode keeps every commit atomic and consistent after a crash of the process.
        db.pragma('synchronous = NORMAL');
        // A checkpoint (which syncs) every 10,000 pages (40 MB of WAL) rather than 1,000: a commit writes a
        // dozen pages, and each checkpoint cost about 80 µs per commit at the default (bench/engine-overhead.ts).
        db.pragma('wal_autocheckpoint = 10000');
      }
      db.pragma('busy_timeout = 5000');
      return db;
    } catch (error) {
      throw new StorageError(`${path}: cannot open: ${(error as Error).message}`, { cause: error });
    }
  }

  private static migrate(db: Database.Database, path: string): void {
    const from = db.pragma('user_version', { simple: true }) as number;
    for (let v = from; v < SCHEMA_VERSION; v++) {
      try {
        db.transaction(() => { db.exec(MIGRATIONS[v]!); db.pragma(`user_version = ${v + 1}`); })();
      } catch (error) {
        throw new StorageError(`${path}: migration to schema ${v + 1} failed: ${(error as Error).message}`, { cause: error });
      }
    }
  }

  private lock(stealForeign = false): void {
    const host = hostname();
    const held = (): void => {
      const row = this.db.prepare('SELECT pid, host, since FROM lock WHERE id = 1').get() as { pid: number; host: string; since: string } | undefined;
      if (row && row.pid !== process.pid && (row.host !== host ? !stealForeign : processIsAlive(row.pid))) throw new RunLockedError(this.path, row.pid, row.host, row.since);
    };
    held(); // refused first without the write lock, so a resume or --overwrite aimed at a live run never holds up its writer
    this.db.transaction(() => { held(); this.db.prepare('INSERT OR REPLACE INTO lock (id, pid, host, since) VALUES (1, ?, ?, ?)').run(process.pid, host, new Date().toISOString()); }).immediate();
  }

  private prepare() {
    const db = this.db;
    const w = this.writable;
    return {
      insertVariant: w ? db.prepare('INSERT OR IGNORE INTO variants (id, files, parent_ids, operator, iteration, island, note) VALUES (?, ?, ?, ?, ?, ?, ?)') : null,
      insertEvaluation: w ? db.prepare(`INSERT INTO evaluations (variant_id, iteration, ${EVALUATION_COLUMNS.join(', ')}) VALUES (?, ?, ${EVALUATION_COLUMNS.map(() => '?').join(', ')})`) : null,
      insertIteration: w ? db.prepare(`INSERT INTO iterations (iteration, island, operator, parent_ids, status, reason, committed_at, arm, reward, llm_calls, llm_tokens, llm_cost)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`) : null,
      insertChild: w ? db.prepare('INSERT INTO children (iteration, child_index, variant_id, cached, add_status, cell, improvement, clipped, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)') : null,
      // Upserts update the row in place; INSERT OR REPLACE deletes it and appends a new one, which writes more pages per commit.
      upsertCell: w ? db.prepare(`INSERT INTO archive_cells (island, cell, variant_id, fitness, descriptors, iteration, threshold) VALUES (?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT(island, cell) DO UPDATE SET variant_id = excluded.variant_id, fitness = excluded.fitness, descriptors = excluded.descriptors,
          iteration = excluded.iteration, threshold = excluded.threshold`) : null,
      clearIsland: w ? db.prepare('DELETE FROM archive_cells WHERE island = ?') : null,
      insertReset: w ? db.prepare('INSERT INTO island_resets (iteration, island, survivors) VALUES (?, ?, ?)') : null,
      insertQd: w ? db.prepare(`INSERT INTO qd_metrics (iteration, island, filled_cells, coverage, qd_score, normalized_qd_score, best_fitness, mean_fitness)
        VALUES (@iteration, @island, @filledCells, @coverage, @qdScore, @normalizedQdScore, @bestFitness, @meanFitness)`) : null,
      insertMigration: w ? db.prepare('INSERT INTO migrations (iteration, from_island, to_island, variant_id, add_status) VALUES (?, ?, ?, ?, ?)') : null,
      upsertOperator: w ? db.prepare(`INSERT INTO operator_stats (operator, uses, failures, children, evaluation_failures, new_cells, improvements, total_improvement)
        VALUES (@operator, 1, @failures, @children, @evaluationFailures, @newCells, @improvements, @improvement)
        ON CONFLICT(operator) DO UPDATE SET uses = uses + 1, failures = failures + @failures, children = children + @children,
          evaluation_failures = evaluation_failures + @evaluationFailures, new_cells = new_cells + @newCells,
          improvements = improvements + @improvements, total_improvement = total_improvement + @improvement`) : null,
      setMeta: w ? db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value') : null,
      getMeta: db.prepare('SELECT value FROM meta WHERE key = ?'),
      getVariant: db.prepare('SELECT id, files, parent_ids, operator, iteration, island, note FROM variants WHERE id = ?'),
      getEvaluation: db.prepare('SELECT * FROM evaluations WHERE variant_id = ?'),
      hasEvaluation: db.prepare('SELECT 1 FROM evaluations WHERE variant_id = ?').pluck(),
      lastIteration: db.prepare('SELECT max(iteration) FROM iterations').pluck(),
      countEvaluations: db.prepare('SELECT count(*) FROM evaluations').pluck(),
    };
  }

  /** Who holds the write lock, and whether that process is alive (always assumed so for another host). */
  lockHolder(): { pid: number; host: string; since: string; alive: boolean } | null {
    const row = this.db.prepare('SELECT pid, host, since FROM lock WHERE id = 1').get() as { pid: number; host: string; since: string } | undefined;
    if (row === undefined) return null;
    return { ...row, alive: row.host !== hostname() || processIsAlive(row.pid) };
  }

  /** A value stored at creation (config, problem, seed, ...) or by setMeta(). */
  meta<T>(key: string): T | undefined {
    const row = this.statements.getMeta.get(key) as { value: string } | undefined;
    return row === undefined ? undefined : (JSON.parse(row.value) as T);
  }

  setMeta(key: string, value: unknown): void {
    this.statements.setMeta!.run(key, JSON.stringify(value));
  }

  /** Number of committed iterations; the next one to run has this number. */
  committedIterations(): number {
    const last = this.statements.lastIteration.get() as number | null;
    return last === null ? 0 : last + 1;
  }

  /** Number of stored evaluations (each variant is evaluated at most once). */
  evaluationCount(): number {
    return this.statements.countEvaluations.get() as number;
  }

  hasEvaluation(variantId: string): boolean {
    return this.statements.hasEvaluation.get(variantId) !== undefined;
  }

  getVariant(id: string): (Variant & { note: string | null }) | undefined {
    const row = this.statements.getVariant.get(id) as { id: string; files: string; parent_ids: string; operator: string; iteration: number; island: number; note: string | null } | undefined;
    if (row === undefined) return undefined;
    return {
      id: row.id,
      files: JSON.parse(row.files) as Record<string, string>,
      lineage: { parentIds: JSON.parse(row.parent_ids) as string[], operator: row.operator, iteration: row.iteration, island: row.island },
      note: row.note,
    };
  }

  getEvaluation(variantId: string): StoredEvaluation | undefined {
    const row = this.statements.getEvaluation.get(variantId) as EvaluationRow | undefined;
    return row === undefined ? undefined : { variantId: row.variant_id, iteration: row.iteration, evaluation: fromEvaluationRow(row) };
  }

  /** Variant ids starting with `prefix` (for the CLI's short ids), at most `limit`. */
  findVariants(prefix: string, limit = 2): string[] {
    return this.db.prepare('SELECT id FROM variants WHERE id LIKE ? ORDER BY id LIMIT ?').pluck().all(`${prefix.replace(/[%_]/g, '')}%`, limit) as string[];
  }

  commit(record: IterationRecord): void {
    const s = this.statements;
    const now = new Date().toISOString();
    const write = (): void => {
      s.insertIteration!.run(record.iteration, record.island, record.operator, JSON.stringify(record.parentIds), record.status, record.reason, now,
        record.arm, record.reward, record.llm.calls, record.llm.tokens, record.llm.cost);
      let evaluationFailures = 0;
      let newCells = 0;
      let improvements = 0;
      let improvement = 0;
      record.children.forEach((child, index) => {
        const v = child.variant;
        s.insertVariant!.run(v.id, JSON.stringify(v.files), JSON.stringify(v.lineage.parentIds), v.lineage.operator, v.lineage.iteration, v.lineage.island, v.note ?? null);
        const e = child.evaluation;
        if (e !== null) {
          s.insertEvaluation!.run(v.id, record.iteration, ...evaluationValues(e));
          if (e.status !== 'ok') evaluationFailures++;
        }
        s.insertChild!.run(record.iteration, index, v.id, e === null ? 1 : 0, child.addStatus, child.cell, child.improvement, child.clipped ? 1 : 0, child.reason);
        if (child.addStatus === 'new') newCells++;
        if (child.addStatus === 'improved') improvements++;
        if (child.addStatus !== 'rejected') improvement += child.improvement ?? 0;
      });
      for (const r of record.resets ?? []) {
        s.clearIsland!.run(r.island);
        s.insertReset!.run(record.iteration, r.island, JSON.stringify(r.survivors));
      }
      for (const c of record.cells) {
        s.upsertCell!.run(c.island, c.cell, c.elite.variantId, c.elite.fitness, JSON.stringify(c.elite.descriptors), c.elite.iteration, c.threshold ?? null);
      }
      for (const m of record.migrations) s.insertMigration!.run(record.iteration, m.from, m.to, m.variantId, m.addStatus);
      for (const q of record.qdMetrics ?? []) s.insertQd!.run(q);
      s.upsertOperator!.run({
        operator: record.operator, failures: record.status === 'operator-failed' ? 1 : 0, children: record.children.length,
        evaluationFailures, newCells, improvements, improvement,
      });
      s.setMeta!.run('elapsedMs', JSON.stringify(record.elapsedMs));
    };
    try {
      // Inside batch() the batch's transaction holds it (a savepoint of its own would cost more than the inserts).
      if (this.db.inTransaction) write();
      else this.db.transaction(write).immediate();
    } catch (error) {
      // The transaction rolled back: the file holds every earlier iteration and nothing of this one
      // (inside batch(), the error leaves the batch, which rolls back all of it).
      throw new StorageError(`${this.path}: could not commit iteration ${record.iteration}: ${(error as Error).message}`, { cause: error });
    }
  }

  /**
   * Runs `fn` (synchronous: nothing may await inside) in one transaction, so that the iterations it
   * commits share one write of the pages they touch; what it reads includes what it wrote.
   */
  batch<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate(); // the write lock first (waiting busy_timeout): no stale-snapshot failure part-way
  }

  /** The evaluation log in commit order, one row per child (operator failures give a row with nulls). Streams; memory stays flat. */
  *log(): Generator<LogChild> {
    const rows = this.db.prepare(`SELECT i.iteration, i.island, i.parent_ids AS parentIds, c.variant_id AS variantId, e.iteration AS evaluatedAt, c.cached, e.status, e.fitness, e.descriptors,
        i.arm, i.reward, i.llm_calls AS calls, i.llm_tokens AS tokens, i.llm_cost AS cost
      FROM iterations i LEFT JOIN children c ON c.iteration = i.iteration LEFT JOIN evaluations e ON e.variant_id = c.variant_id
      ORDER BY i.iteration, c.child_index`).iterate() as IterableIterator<Omit<LogChild, 'descriptors' | 'cached' | 'llm' | 'parentIds'> & { descriptors: string | null; cached: number | null; parentIds: string } & IterationUsage>;
    // Built as literals, field by field: a resume reads one row per child of the whole run (spreading each row costs twice as much).
    for (const r of rows) {
      yield {
        iteration: r.iteration, island: r.island, variantId: r.variantId, evaluatedAt: r.evaluatedAt, cached: r.cached === null ? null : r.cached === 1,
        status: r.status, fitness: r.fitness, descriptors: r.descriptors === null ? null : (JSON.parse(r.descriptors) as number[]),
        parentIds: JSON.parse(r.parentIds) as string[], arm: r.arm, reward: r.reward, llm: { calls: r.calls, tokens: r.tokens, cost: r.cost },
      };
    }
  }

  /** The committed iterations below `below` as they were written, with their children's variant ids in order (for a fork). */
  *iterations(below: number): Generator<{ iteration: number; island: number; operator: string; parentIds: string[]; status: 'evaluated' | 'operator-failed'; reason: string | null; arm: string | null; llm: IterationUsage; children: string[] }> {
    const children = this.db.prepare('SELECT variant_id FROM children WHERE iteration = ? ORDER BY child_index').pluck();
    const rows = this.db.prepare(`SELECT iteration, island, operator, parent_ids AS parentIds, status, reason, arm, llm_calls AS calls, llm_tokens AS tokens, llm_cost AS cost
      FROM iterations WHERE iteration < ? ORDER BY iteration`).all(below) as Array<{ iteration: number; island: number; operator: string; parentIds: string; status: 'evaluated' | 'operator-failed'; reason: string | null; arm: string | null } & IterationUsage>;
    for (const { calls, tokens, cost, ...r } of rows) yield { ...r, parentIds: JSON.parse(r.parentIds) as string[], llm: { calls, tokens, cost }, children: children.all(r.iteration) as string[] };
  }

  /** Current elites of every island, by island then cell. */
  archiveCells(): Array<{ island: number; cell: number; variantId: string; fitness: number; descriptors: number[]; iteration: number; threshold: number | null }> {
    // A run written before schema 5 and opened read-only has no threshold column.
    const threshold = this.hasColumn('archive_cells', 'threshold') ? 'threshold' : 'NULL AS threshold';
    const rows = this.db.prepare(`SELECT island, cell, variant_id AS variantId, fitness, descriptors, iteration, ${threshold} FROM archive_cells ORDER BY island, cell`).all() as Array<{ island: number; cell: number; variantId: string; fitness: number; descriptors: string; iteration: number; threshold: number | null }>;
    return rows.map((r) => ({ ...r, descriptors: JSON.parse(r.descriptors) as number[] }));
  }

  /**
   * The stored elites with what readers show beside them (lineage, metrics, re-check spread), in one
   * query that never reads the variants' files: `status`, `export` and the live dashboard call it often.
   */
  eliteRows(): Array<{ island: number; cell: number; variantId: string; fitness: number; descriptors: number[]; threshold: number | null; parentIds: string[]; operator: string; iteration: number;
    metrics: Record<string, number | string | boolean>; privateMetrics: Record<string, number | string | boolean>; recheckSpread: number | null }> {
    const threshold = this.hasColumn('archive_cells', 'threshold') ? 'a.threshold' : 'NULL';
    const extra = this.hasColumn('evaluations', 'private') ? 'e.private, e.recheck' : 'NULL AS private, NULL AS recheck';
    const rows = this.db.prepare(`SELECT a.island, a.cell, a.variant_id AS variantId, a.fitness, a.descriptors, ${threshold} AS threshold, v.parent_ids AS parentIds, v.operator, v.iteration,
        e.status, e.metrics, ${extra} FROM archive_cells a JOIN variants v ON v.id = a.variant_id LEFT JOIN evaluations e ON e.variant_id = a.variant_id ORDER BY a.island, a.cell`)
      .all() as Array<{ island: number; cell: number; variantId: string; fitness: number; descriptors: string; threshold: number | null; parentIds: string; operator: string; iteration: number;
        status: string | null; metrics: string | null; private: string | null; recheck: string | null }>;
    return rows.map(({ status, metrics, private: hidden, recheck, ...r }) => ({
      ...r, descriptors: JSON.parse(r.descriptors) as number[], parentIds: JSON.parse(r.parentIds) as string[],
      metrics: status === 'ok' && metrics ? JSON.parse(metrics) as Record<string, number | string | boolean> : {},
      privateMetrics: status === 'ok' && hidden ? (JSON.parse(hidden) as { metrics?: Record<string, number | string | boolean> }).metrics ?? {} : {},
      recheckSpread: status === 'ok' && recheck ? (JSON.parse(recheck) as { spread: number }).spread : null,
    }));
  }

  /** Islands restarted after stagnating, in commit order. */
  islandResets(): Array<{ iteration: number; island: number; survivors: string[] }> {
    if (!this.hasTable('island_resets')) return [];
    const rows = this.db.prepare('SELECT iteration, island, survivors FROM island_resets ORDER BY iteration, island').all() as Array<{ iteration: number; island: number; survivors: string }>;
    return rows.map((r) => ({ ...r, survivors: JSON.parse(r.survivors) as string[] }));
  }

  private hasColumn(table: string, column: string): boolean {
    return (this.db.prepare(`SELECT count(*) FROM pragma_table_info(?) WHERE name = ?`).pluck().get(table, column) as number) > 0;
  }

  operatorStats(): Array<{ operator: string; uses: number; failures: number; children: number; evaluationFailures: number; newCells: number; improvements: number; totalImprovement: number }> {
    return this.db.prepare(`SELECT operator, uses, failures, children, evaluation_failures AS evaluationFailures, new_cells AS newCells,
      improvements, total_improvement AS totalImprovement FROM operator_stats ORDER BY operator`).all() as ReturnType<RunStore['operatorStats']>;
  }

  evaluationsByStatus(): Record<string, number> {
    const rows = this.db.prepare('SELECT status, count(*) AS n FROM evaluations GROUP BY status ORDER BY status').all() as Array<{ status: string; n: number }>;
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  }

  /** The stored QD metrics, in iteration order, for one island or (island -1) for all together. */
  qdMetrics(island = -1): QdMetricsRow[] {
    if (!this.hasTable('qd_metrics')) return [];
    return this.db.prepare(`SELECT iteration, island, filled_cells AS filledCells, coverage, qd_score AS qdScore, normalized_qd_score AS normalizedQdScore,
      best_fitness AS bestFitness, mean_fitness AS meanFitness FROM qd_metrics WHERE island = ? ORDER BY iteration`).all(island) as QdMetricsRow[];
  }

  /** Runs `read` in one read transaction: every query in it sees the same committed state, even while a search writes. */
  snapshot<T>(read: () => T): T {
    return this.db.transaction(read)();
  }

  /** LLM calls, tokens and cost of each iteration that made any, in iteration order. */
  llmUsage(): Array<{ iteration: number } & IterationUsage> {
    return this.db.prepare('SELECT iteration, llm_calls AS calls, llm_tokens AS tokens, llm_cost AS cost FROM iterations WHERE llm_calls > 0 ORDER BY iteration').all() as Array<{ iteration: number } & IterationUsage>;
  }

  /** Failed, timed-out and invalid evaluations by reason. */
  evaluationsByReason(): Record<string, number> {
    const rows = this.db.prepare('SELECT reason, count(*) AS n FROM evaluations WHERE status != \'ok\' GROUP BY reason ORDER BY n DESC, reason').all() as Array<{ reason: string; n: number }>;
    return Object.fromEntries(rows.map((r) => [r.reason, r.n]));
  }

  /** Children that reused a stored evaluation instead of evaluating again. */
  cachedChildren(): number {
    return this.db.prepare('SELECT count(*) FROM children WHERE cached = 1').pluck().get() as number;
  }

  /** Lineage of a variant, nearest first: each ancestor through its first parent. */
  ancestors(id: string, limit = 50): Array<{ id: string; operator: string; iteration: number; fitness: number | null; status: string | null }> {
    const out: Array<{ id: string; operator: string; iteration: number; fitness: number | null; status: string | null }> = [];
    let current = this.getVariant(id);
    while (current !== undefined && out.length < limit) {
      const e = this.getEvaluation(current.id)?.evaluation;
      out.push({ id: current.id, operator: current.lineage.operator, iteration: current.lineage.iteration, fitness: e?.status === 'ok' ? e.fitness : null, status: e?.status ?? null });
      const parent = current.lineage.parentIds[0];
      current = parent === undefined ? undefined : this.getVariant(parent);
    }
    return out;
  }

  hasTable(name: string): boolean { return this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined; }

  /** The LLM ledger and answer cache; the evolving prompts (prompt-records.ts); the recent attempts that prompts show (attempt-records.ts); stateful operators' states (emitter-records.ts). */
  llm(): LlmRecords { return (this.llmRecords ??= new LlmRecords(this.db, this.writable)); }
  prompts(): PromptRecords { return (this.promptRecords ??= new PromptRecords(this.db, this.writable)); }
  attempts(): AttemptRecords { return (this.attemptRecords ??= new AttemptRecords(this.db)); } emitters(): EmitterRecords { return (this.emitterRecords ??= new EmitterRecords(this.db, this.writable)); }

  /** Arm and reward of every committed iteration, in order: what the bandit was credited with. */
  armCredits(): Array<{ iteration: number; arm: string | null; reward: number | null; children: number }> {
    return this.db.prepare('SELECT i.iteration, i.arm, i.reward, (SELECT count(*) FROM children c WHERE c.iteration = i.iteration) AS children FROM iterations i ORDER BY i.iteration').all() as ReturnType<RunStore['armCredits']>;
  }

  /** Releases the lock (if held) and closes the file. Safe to call twice. */
  close(): void {
    if (!this.db.open) return;
    if (this.writable) {
      try { this.db.prepare('DELETE FROM lock WHERE id = 1 AND pid = ?').run(process.pid); } catch { /* closing anyway */ }
    }
    this.db.close();
  }
}
