// EmitterRecords: the states of stateful operators (CMA-ES emitters) as each commit left them (table
// emitter_states), next to RunStore and sharing its connection.
import type { Connection } from './llm-records.js';
import { statementCache, type Statement } from './statement-cache.js';

export interface EmitterStateRow { operator: string; part: number; iteration: number; state: Buffer }

/**
 * A part's state is written in the transaction of the iteration whose commit changed it. A resume needs
 * each part as it was after every commit from (committed - pipelineDepth) on, so older rows are pruned
 * down to the newest one before that point: a run keeps a few rows per part, however long it is.
 */
export class EmitterRecords {
  /** Statements prepared once: these tables are written at every commit. */
  private readonly statement: (sql: string) => Statement;

  constructor(db: Connection, private readonly writable: boolean) {
    this.statement = statementCache(db);
  }

  /** Saves a part's state after iteration `iteration`, and prunes the rows no resume can need once `oldestNeeded` is committed. */
  save(row: EmitterStateRow, oldestNeeded: number): void {
    if (!this.writable) throw new Error('the run store was opened read-only');
    this.statement('INSERT OR REPLACE INTO emitter_states (operator, part, iteration, state) VALUES (?, ?, ?, ?)').run(row.operator, row.part, row.iteration, row.state);
    this.statement(`DELETE FROM emitter_states WHERE operator = ? AND part = ? AND iteration < (
      SELECT max(iteration) FROM emitter_states WHERE operator = ? AND part = ? AND iteration <= ?)`).run(row.operator, row.part, row.operator, row.part, oldestNeeded);
  }

  /** Every stored row, by operator, part and iteration. */
  all(): EmitterStateRow[] {
    return this.statement('SELECT operator, part, iteration, state FROM emitter_states ORDER BY operator, part, iteration').all() as EmitterStateRow[];
  }
}
