// The run database's schema, as numbered migrations applied in order inside one transaction each.

/**
 * Migration k takes a database from schema version k to k + 1. Never edit a released
 * migration: append a new one, so that a run written by an older engine opens in a newer one.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE lock (id INTEGER PRIMARY KEY CHECK (id = 1), pid INTEGER NOT NULL, host TEXT NOT NULL, since TEXT NOT NULL);
  CREATE TABLE variants (
    id TEXT PRIMARY KEY,
    files TEXT NOT NULL,
    parent_ids TEXT NOT NULL,
    operator TEXT NOT NULL,
    iteration INTEGER NOT NULL,
    island INTEGER NOT NULL,
    note TEXT
  );
  CREATE TABLE evaluations (
    variant_id TEXT PRIMARY KEY REFERENCES variants(id),
    iteration INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('ok', 'failed', 'timeout', 'invalid')),
    reason TEXT,
    message TEXT,
    fitness REAL,
    descriptors TEXT,
    metrics TEXT,
    artifacts TEXT,
    seed INTEGER NOT NULL,
    duration_ms REAL NOT NULL
  );
  CREATE TABLE iterations (
    iteration INTEGER PRIMARY KEY,
    island INTEGER NOT NULL,
    operator TEXT NOT NULL,
    parent_ids TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('evaluated', 'operator-failed')),
    reason TEXT,
    committed_at TEXT NOT NULL
  );
  CREATE TABLE children (
    iteration INTEGER NOT NULL REFERENCES iterations(iteration),
    child_index INTEGER NOT NULL,
    variant_id TEXT NOT NULL REFERENCES variants(id),
    cached INTEGER NOT NULL,
    add_status TEXT NOT NULL CHECK (add_status IN ('new', 'improved', 'rejected')),
    cell INTEGER,
    improvement REAL,
    clipped INTEGER NOT NULL,
    reason TEXT,
    PRIMARY KEY (iteration, child_index)
  );
  CREATE TABLE archive_cells (
    island INTEGER NOT NULL,
    cell INTEGER NOT NULL,
    variant_id TEXT NOT NULL REFERENCES variants(id),
    fitness REAL NOT NULL,
    descriptors TEXT NOT NULL,
    iteration INTEGER NOT NULL,
    PRIMARY KEY (island, cell)
  );
  CREATE TABLE migrations (
    iteration INTEGER NOT NULL,
    from_island INTEGER NOT NULL,
    to_island INTEGER NOT NULL,
    variant_id TEXT NOT NULL,
    add_status TEXT NOT NULL
  );
  CREATE TABLE operator_stats (
    operator TEXT PRIMARY KEY,
    uses INTEGER NOT NULL DEFAULT 0,
    failures INTEGER NOT NULL DEFAULT 0,
    children INTEGER NOT NULL DEFAULT 0,
    evaluation_failures INTEGER NOT NULL DEFAULT 0,
    new_cells INTEGER NOT NULL DEFAULT 0,
    improvements INTEGER NOT NULL DEFAULT 0,
    total_improvement REAL NOT NULL DEFAULT 0
  );
  CREATE INDEX evaluations_fitness ON evaluations(fitness);
  `,
  // 1 -> 2: LLM operators. llm_calls is both the ledger (one row per call made) and the answer
  // cache (looked up by key, the hash of the request); iterations carry their arm, the reward the
  // bandit was credited with, and their LLM usage, so that a replay of the log reaches the same state.
  `
  CREATE TABLE llm_calls (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL,
    iteration INTEGER NOT NULL,
    operator TEXT NOT NULL,
    purpose TEXT NOT NULL,
    model TEXT NOT NULL,
    answered_model TEXT,
    temperature REAL NOT NULL,
    outcome TEXT NOT NULL,
    status INTEGER,
    message TEXT,
    answer TEXT,
    tokens_in INTEGER NOT NULL,
    tokens_out INTEGER NOT NULL,
    cost REAL NOT NULL,
    latency_ms REAL,
    attempts INTEGER NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('endpoint', 'replay')),
    at TEXT NOT NULL
  );
  CREATE UNIQUE INDEX llm_calls_key ON llm_calls(key);
  ALTER TABLE iterations ADD COLUMN arm TEXT;
  ALTER TABLE iterations ADD COLUMN reward REAL;
  ALTER TABLE iterations ADD COLUMN llm_calls INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE iterations ADD COLUMN llm_tokens INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE iterations ADD COLUMN llm_cost REAL NOT NULL DEFAULT 0;
  `,
  // 2 -> 3: honest fitness. An evaluation keeps its cascade stages, its private (held-out) metrics
  // and artifacts, and the re-check of a new best; a failed evaluation may keep artifacts too.
  `
  ALTER TABLE evaluations ADD COLUMN stages TEXT;
  ALTER TABLE evaluations ADD COLUMN private TEXT;
  ALTER TABLE evaluations ADD COLUMN recheck TEXT;
  `,
  // 3 -> 4: QD metrics over time, written with the iteration they describe (island -1: all islands together).
  `
  CREATE TABLE qd_metrics (
    iteration INTEGER NOT NULL,
    island INTEGER NOT NULL,
    filled_cells INTEGER NOT NULL,
    coverage REAL NOT NULL,
    qd_score REAL NOT NULL,
    normalized_qd_score REAL NOT NULL,
    best_fitness REAL,
    mean_fitness REAL,
    PRIMARY KEY (iteration, island)
  );
  `,
  // 4 -> 5: archives beyond the grid. A soft (CMA-MAE) archive's cell threshold is stored beside the
  // cell's elite; an island restarted after stagnating is recorded with the survivors it restarted from.
  `
  ALTER TABLE archive_cells ADD COLUMN threshold REAL;
  CREATE TABLE island_resets (
    iteration INTEGER NOT NULL,
    island INTEGER NOT NULL,
    survivors TEXT NOT NULL,
    PRIMARY KEY (iteration, island)
  );
  `,
  // 5 -> 6: the recent attempts a prompt shows (engine/store/attempt-records.ts) are found by the iteration's first
  // parent and by its island, newest first, without scanning the log: its cost must not grow with the run.
  `
  CREATE INDEX iterations_first_parent ON iterations(json_extract(parent_ids, '$[0]'), iteration);
  CREATE INDEX iterations_island ON iterations(island, iteration);
  `,
  // 6 -> 7: an honest LLM ledger. One row per HTTP request: the row that gave a call its outcome (final = 1,
  // unique per request key: the answer cache) and one per request that did not (retried, aborted, refused:
  // final = 0). An answer keeps its finish reason and refusal; a model that takes no temperature is stored
  // with a null one, which needs the table rebuilt (a NOT NULL cannot be dropped in place).
  `
  CREATE TABLE llm_calls_7 (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL,
    iteration INTEGER NOT NULL,
    operator TEXT NOT NULL,
    purpose TEXT NOT NULL,
    model TEXT NOT NULL,
    answered_model TEXT,
    temperature REAL,
    outcome TEXT NOT NULL,
    status INTEGER,
    message TEXT,
    answer TEXT,
    tokens_in INTEGER NOT NULL,
    tokens_out INTEGER NOT NULL,
    cost REAL NOT NULL,
    latency_ms REAL,
    attempts INTEGER NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('endpoint', 'replay')),
    at TEXT NOT NULL,
    finish_reason TEXT,
    refusal TEXT,
    final INTEGER NOT NULL DEFAULT 1 CHECK (final IN (0, 1))
  );
  INSERT INTO llm_calls_7 (id, key, iteration, operator, purpose, model, answered_model, temperature, outcome, status, message, answer,
    tokens_in, tokens_out, cost, latency_ms, attempts, source, at)
    SELECT id, key, iteration, operator, purpose, model, answered_model, temperature, outcome, status, message, answer,
    tokens_in, tokens_out, cost, latency_ms, attempts, source, at FROM llm_calls;
  DROP TABLE llm_calls;
  ALTER TABLE llm_calls_7 RENAME TO llm_calls;
  CREATE UNIQUE INDEX llm_calls_key ON llm_calls(key) WHERE final = 1;
  CREATE INDEX llm_calls_iteration ON llm_calls(iteration);
  `,
  // 7 -> 8: operator prompts as genes (llm.promptEvolution): each evolving operator's prompt variants (index 0
  // is its own templates), the iteration whose launch bred each one, and the variant each iteration used.
  `
  CREATE TABLE prompt_variants (
    operator TEXT NOT NULL,
    idx INTEGER NOT NULL,
    created_by INTEGER NOT NULL,
    parent INTEGER,
    status TEXT NOT NULL CHECK (status IN ('ok', 'invalid')),
    system TEXT NOT NULL,
    template TEXT NOT NULL,
    note TEXT,
    PRIMARY KEY (operator, idx)
  );
  CREATE TABLE prompt_choices (iteration INTEGER PRIMARY KEY, operator TEXT NOT NULL, idx INTEGER NOT NULL);
  `,
  // 8 -> 9: the states of stateful operators (CMA-ES emitters: mean, covariance, step size, paths) after the
  // commits a resume may need (engine/store/emitter-records.ts).
  `
  CREATE TABLE emitter_states (
    operator TEXT NOT NULL,
    part INTEGER NOT NULL,
    iteration INTEGER NOT NULL,
    state BLOB NOT NULL,
    PRIMARY KEY (operator, part, iteration)
  );
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;
