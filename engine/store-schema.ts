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
];

export const SCHEMA_VERSION = MIGRATIONS.length;
