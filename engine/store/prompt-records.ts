// PromptRecords: the prompt variants of a run's evolving operators and the variant each iteration used
// (tables prompt_variants and prompt_choices), next to RunStore and sharing its connection.

import type { Connection } from './llm-records.js';
import { statementCache, type Statement } from './statement-cache.js';

export interface PromptVariantRow {
  operator: string;
  /** 0: the operator's own templates; 1, 2, ...: bred in that order. */
  idx: number;
  /** The iteration whose launch bred it (0 for index 0). */
  createdBy: number;
  /** The variant it was bred from. */
  parent: number | null;
  /** invalid: the meta-operator's answer did not make a usable prompt; the variant is its parent's text and is retired. */
  status: 'ok' | 'invalid';
  system: string;
  template: string;
  /** The meta-operator's one-line summary, or why its answer was refused. */
  note: string | null;
}

export interface PromptChoice { iteration: number; operator: string; idx: number }

/** What an iteration that used a variant led to, as the meta-operator is shown it. */
export interface PromptOutcome { iteration: number; status: string; reason: string | null; reward: number | null; childStatus: string | null; childReason: string | null; childMessage: string | null }

export class PromptRecords {
  /** Statements prepared once: these tables are written at every commit. */
  private readonly statement: (sql: string) => Statement;

  constructor(db: Connection, private readonly writable: boolean) {
    this.statement = statementCache(db);
  }

  /** Written in the transaction of the iteration that bred it (or of iteration 0 for the originals). */
  addVariant(row: PromptVariantRow): void {
    this.assertWritable();
    this.statement('INSERT OR IGNORE INTO prompt_variants (operator, idx, created_by, parent, status, system, template, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(row.operator, row.idx, row.createdBy, row.parent, row.status, row.system, row.template, row.note);
  }

  /** Written in the transaction of the iteration's commit. */
  addChoice(choice: PromptChoice): void {
    this.assertWritable();
    this.statement('INSERT INTO prompt_choices (iteration, operator, idx) VALUES (?, ?, ?)').run(choice.iteration, choice.operator, choice.idx);
  }

  /** Every variant, in the order they were bred (by iteration, then operator and index); `before` keeps those bred before that iteration. */
  variants(before = Number.MAX_SAFE_INTEGER): PromptVariantRow[] {
    return (this.statement('SELECT operator, idx, created_by AS createdBy, parent, status, system, template, note FROM prompt_variants WHERE created_by < ? ORDER BY created_by, operator, idx')
      .all(before) as PromptVariantRow[]);
  }

  choices(before = Number.MAX_SAFE_INTEGER): PromptChoice[] {
    return this.statement('SELECT iteration, operator, idx FROM prompt_choices WHERE iteration < ? ORDER BY iteration').all(before) as PromptChoice[];
  }

  /** The latest iterations (at most `upTo`) that used a variant, newest first, with their first child's evaluation. */
  outcomes(operator: string, idx: number, upTo: number, limit: number): PromptOutcome[] {
    return this.statement(`SELECT i.iteration, i.status, i.reason, i.reward, e.status AS childStatus, e.reason AS childReason, e.message AS childMessage
      FROM prompt_choices p JOIN iterations i ON i.iteration = p.iteration
      LEFT JOIN children c ON c.iteration = i.iteration AND c.child_index = 0 LEFT JOIN evaluations e ON e.variant_id = c.variant_id
      WHERE p.operator = ? AND p.idx = ? AND p.iteration <= ? ORDER BY p.iteration DESC LIMIT ?`).all(operator, idx, upTo, limit) as PromptOutcome[];
  }

  /** Each variant with the iterations that used it and their mean reward, by operator and index: what status shows. */
  summary(): Array<Pick<PromptVariantRow, 'operator' | 'idx' | 'createdBy' | 'status' | 'note'> & { uses: number; meanReward: number | null }> {
    return this.statement(`SELECT v.operator, v.idx, v.created_by AS createdBy, v.status, v.note, count(i.iteration) AS uses, avg(i.reward) AS meanReward
      FROM prompt_variants v LEFT JOIN prompt_choices c ON c.operator = v.operator AND c.idx = v.idx LEFT JOIN iterations i ON i.iteration = c.iteration
      GROUP BY v.operator, v.idx ORDER BY v.operator, v.idx`).all() as ReturnType<PromptRecords['summary']>;
  }

  private assertWritable(): void {
    if (!this.writable) throw new Error('the run store was opened read-only');
  }
}
