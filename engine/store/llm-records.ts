// LlmRecords: the run's LLM ledger (one row per HTTP request) and answer cache (table llm_calls), next to RunStore and sharing its connection.

/** The part of a better-sqlite3 connection the record modules use (the library itself enters through run-store.ts only). */
export interface Connection {
  prepare(source: string): {
    run(...params: unknown[]): unknown;
    get(...params: unknown[]): unknown;
    all(...params: unknown[]): unknown[];
  };
}

/** One HTTP request as the ledger keeps it. `outcome` is 'ok' or the failure's reason. */
export interface LlmCallRecord {
  /** Hash of the request (model, temperature, token limit, seed, messages and any other setting sent): the cache key. */
  key: string;
  iteration: number;
  operator: string;
  purpose: 'propose' | 'repair' | 'evolve-prompt';
  model: string;
  answeredModel: string | null;
  /** null when none was sent (a model that takes only its default). */
  temperature: number | null;
  outcome: string;
  status: number | null;
  message: string | null;
  answer: string | null;
  /** The answer's finish_reason ('stop', 'length', ...), when it had one. */
  finishReason: string | null;
  /** The model's refusal text, when it refused. */
  refusal: string | null;
  tokensIn: number;
  tokensOut: number;
  cost: number;
  latencyMs: number | null;
  /** On the final row, the requests the call took; on another, which request of its call this was (1-based). */
  attempts: number;
  /**
   * True for the request that gave the call its outcome: the one row per key that answers the call again
   * (on resume, replay, fork). False for a request that did not: failed and retried, cut by an abort,
   * refused as a configuration error, or whose failure stopped the run.
   */
  final: boolean;
  /** 'replay' when copied from another run by --replay rather than asked of an endpoint. */
  source: 'endpoint' | 'replay';
}

export interface LedgerSummary {
  /** HTTP requests made, retried and failed ones included. */
  calls: number;
  tokensIn: number;
  tokensOut: number;
  cost: number;
  byOutcome: Record<string, number>;
  byModel: Array<{ model: string; calls: number; tokensIn: number; tokensOut: number; cost: number; meanLatencyMs: number | null }>;
  byOperator: Array<{ operator: string; calls: number; tokens: number; cost: number }>;
}

/**
 * Contract: a request is recorded the moment its outcome arrives, in its own statement (not in an
 * iteration's transaction), so that an answer paid for survives a kill before its iteration commits.
 * Final rows have unique keys: a request asked twice is answered from here the second time; a final
 * row recorded again for a key is ignored. A run written before schema 7 and opened read-only has
 * neither finish reasons, refusals nor non-final rows: its rows read as final, with nulls.
 */
export class LlmRecords {
  private readonly findStatement;
  private readonly insertStatement;
  private readonly columns: string;

  constructor(private readonly db: Connection, writable: boolean) {
    const names = new Set((db.prepare('PRAGMA table_info(llm_calls)').all() as Array<{ name: string }>).map((c) => c.name));
    const since7 = names.has('final');
    this.columns = `key, iteration, operator, purpose, model, answered_model AS answeredModel, temperature, outcome, status, message, answer,
      tokens_in AS tokensIn, tokens_out AS tokensOut, cost, latency_ms AS latencyMs, attempts, source,
      ${since7 ? 'finish_reason AS finishReason, refusal, final' : 'NULL AS finishReason, NULL AS refusal, 1 AS final'}`;
    this.findStatement = db.prepare(`SELECT ${this.columns} FROM llm_calls WHERE key = ?${since7 ? ' AND final = 1' : ''}`);
    this.insertStatement = writable ? db.prepare(`INSERT OR IGNORE INTO llm_calls (key, iteration, operator, purpose, model, answered_model, temperature, outcome, status,
      message, answer, tokens_in, tokens_out, cost, latency_ms, attempts, source, at, finish_reason, refusal, final)
      VALUES (@key, @iteration, @operator, @purpose, @model, @answeredModel, @temperature, @outcome, @status, @message, @answer, @tokensIn, @tokensOut, @cost,
        @latencyMs, @attempts, @source, @at, @finishReason, @refusal, @final)`) : null;
  }

  find(key: string): LlmCallRecord | undefined {
    const row = this.findStatement.get(key) as (Omit<LlmCallRecord, 'final'> & { final: number }) | undefined;
    return row === undefined ? undefined : { ...row, final: row.final === 1 };
  }

  record(call: LlmCallRecord): void {
    if (this.insertStatement === null) throw new Error('LlmRecords: the run was opened read-only');
    this.insertStatement.run({ ...call, final: call.final ? 1 : 0, at: new Date().toISOString() });
  }

  summary(): LedgerSummary {
    const totals = this.db.prepare('SELECT count(*) AS calls, coalesce(sum(tokens_in), 0) AS tokensIn, coalesce(sum(tokens_out), 0) AS tokensOut, coalesce(sum(cost), 0) AS cost FROM llm_calls')
      .get() as { calls: number; tokensIn: number; tokensOut: number; cost: number };
    const outcomes = this.db.prepare('SELECT outcome, count(*) AS n FROM llm_calls GROUP BY outcome ORDER BY outcome').all() as Array<{ outcome: string; n: number }>;
    const byModel = this.db.prepare(`SELECT model, count(*) AS calls, sum(tokens_in) AS tokensIn, sum(tokens_out) AS tokensOut, sum(cost) AS cost,
      avg(latency_ms) AS meanLatencyMs FROM llm_calls GROUP BY model ORDER BY model`).all() as LedgerSummary['byModel'];
    const byOperator = this.db.prepare(`SELECT operator, count(*) AS calls, sum(tokens_in + tokens_out) AS tokens, sum(cost) AS cost
      FROM llm_calls GROUP BY operator ORDER BY operator`).all() as LedgerSummary['byOperator'];
    return { ...totals, byOutcome: Object.fromEntries(outcomes.map((o) => [o.outcome, o.n])), byModel, byOperator };
  }

  /** Every request, oldest first (for export, and for a fork, which copies them). */
  all(): LlmCallRecord[] {
    const rows = this.db.prepare(`SELECT ${this.columns} FROM llm_calls ORDER BY id`).all() as Array<Omit<LlmCallRecord, 'final'> & { final: number }>;
    return rows.map((r) => ({ ...r, final: r.final === 1 }));
  }
}
