// LlmRecords: the run's LLM ledger and answer cache (table llm_calls), next to RunStore and sharing its connection.

/** The part of a better-sqlite3 connection used here (the library itself enters through run-store.ts only). */
interface Connection {
  prepare(source: string): {
    run(...params: unknown[]): unknown;
    get(...params: unknown[]): unknown;
    all(...params: unknown[]): unknown[];
  };
}

/** One call as the ledger keeps it. `outcome` is 'ok' or the failure's reason. */
export interface LlmCallRecord {
  /** Hash of the request (model, temperature, max tokens, seed, messages): the cache key. */
  key: string;
  iteration: number;
  operator: string;
  purpose: 'propose' | 'repair';
  model: string;
  answeredModel: string | null;
  temperature: number;
  outcome: string;
  status: number | null;
  message: string | null;
  answer: string | null;
  tokensIn: number;
  tokensOut: number;
  cost: number;
  latencyMs: number | null;
  attempts: number;
  /** 'replay' when copied from another run by --replay rather than asked of an endpoint. */
  source: 'endpoint' | 'replay';
}

export interface LedgerSummary {
  calls: number;
  tokensIn: number;
  tokensOut: number;
  cost: number;
  byOutcome: Record<string, number>;
  byModel: Array<{ model: string; calls: number; tokensIn: number; tokensOut: number; cost: number; meanLatencyMs: number | null }>;
  byOperator: Array<{ operator: string; calls: number; tokens: number; cost: number }>;
}

/**
 * Contract: a call is recorded the moment its outcome arrives, in its own statement (not in an
 * iteration's transaction), so that an answer paid for survives a kill before its iteration commits.
 * Keys are unique: a request asked twice is answered from here the second time.
 */
export class LlmRecords {
  private readonly findStatement;
  private readonly insertStatement;

  constructor(private readonly db: Connection, writable: boolean) {
    this.findStatement = db.prepare(`SELECT key, iteration, operator, purpose, model, answered_model AS answeredModel, temperature, outcome, status, message, answer,
      tokens_in AS tokensIn, tokens_out AS tokensOut, cost, latency_ms AS latencyMs, attempts, source FROM llm_calls WHERE key = ?`);
    this.insertStatement = writable ? db.prepare(`INSERT OR IGNORE INTO llm_calls (key, iteration, operator, purpose, model, answered_model, temperature, outcome, status,
      message, answer, tokens_in, tokens_out, cost, latency_ms, attempts, source, at)
      VALUES (@key, @iteration, @operator, @purpose, @model, @answeredModel, @temperature, @outcome, @status, @message, @answer, @tokensIn, @tokensOut, @cost,
        @latencyMs, @attempts, @source, @at)`) : null;
  }

  find(key: string): LlmCallRecord | undefined {
    return this.findStatement.get(key) as LlmCallRecord | undefined;
  }

  record(call: LlmCallRecord): void {
    if (this.insertStatement === null) throw new Error('LlmRecords: the run was opened read-only');
    this.insertStatement.run({ ...call, at: new Date().toISOString() });
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

  /** Every call, oldest first (for export and for a replay's source). */
  all(): LlmCallRecord[] {
    return this.db.prepare(`SELECT key, iteration, operator, purpose, model, answered_model AS answeredModel, temperature, outcome, status, message, answer,
      tokens_in AS tokensIn, tokens_out AS tokensOut, cost, latency_ms AS latencyMs, attempts, source FROM llm_calls ORDER BY id`).all() as LlmCallRecord[];
  }
}
