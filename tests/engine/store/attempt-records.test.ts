// Tests of AttemptRecords on real SQLite files: both queries go through their indexes, and an older run gains them when opened to write.
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { AttemptRecords } from '../../../engine/store/attempt-records.js';
import { RunStore } from '../../../engine/store/run-store.js';
import { MIGRATIONS, SCHEMA_VERSION } from '../../../engine/store/store-schema.js';

const made: string[] = [];
test.after.always(() => { for (const dir of made) rmSync(dir, { recursive: true, force: true }); });

function newRun(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ouroboros-attempt-records-'));
  made.push(dir);
  const path = join(dir, 'run.sqlite');
  RunStore.create(path, { name: 'attempt-records-test' }).close();
  return path;
}

/** The query plan of every statement AttemptRecords prepares, read through the same connection. */
function plans(db: Database.Database): string[][] {
  const found: string[][] = [];
  new AttemptRecords({
    prepare: (sql: string) => {
      const params = Array.from({ length: (sql.match(/\?/g) ?? []).length }, () => 1);
      found.push((db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as Array<{ detail: string }>).map((r) => r.detail));
      return db.prepare(sql);
    },
  });
  return found;
}

test('attempts by first parent and by island are read through their indexes, never by scanning the log', (t) => {
  const db = new Database(newRun(), { readonly: true });
  t.teardown(() => db.close());
  const [byParent, byIsland] = plans(db);
  t.regex(byParent![0]!, /^SEARCH i USING (COVERING )?INDEX iterations_first_parent \(<expr>=\? AND iteration>\? AND iteration<\?\)/);
  t.regex(byIsland![0]!, /^SEARCH i USING INDEX iterations_island \(island=\? AND iteration>\? AND iteration<\?\)/);
  // Newest first comes from the index order: no sort of every match before the limit.
  for (const plan of [byParent!, byIsland!]) {
    t.false(plan.some((step) => /SCAN|TEMP B-TREE/.test(step)), plan.join('; '));
  }
});

test('a run written before schema 6 gains the indexes when opened to write, and reads attempts without them', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ouroboros-attempt-records-'));
  made.push(dir);
  const path = join(dir, 'run.sqlite');
  // A file as an engine of schema 5 wrote it: the first five migrations only.
  const old = new Database(path);
  for (const migration of MIGRATIONS.slice(0, 5)) old.exec(migration);
  old.pragma('user_version = 5');
  old.prepare("INSERT INTO meta (key, value) VALUES ('name', '\"old\"')").run();
  old.close();
  const indexes = (db: Database.Database) => db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'iterations_%' ORDER BY name").pluck().all();
  // Read-only: not migrated, and the queries still work (by scanning).
  const reader = RunStore.open(path, { write: false });
  t.deepEqual(reader.attempts().recent('x', 0, 10, 5), []);
  reader.close();
  RunStore.open(path, { write: true }).close();
  const after = new Database(path, { readonly: true });
  t.teardown(() => after.close());
  t.is(after.pragma('user_version', { simple: true }), SCHEMA_VERSION);
  t.deepEqual(indexes(after), ['iterations_first_parent', 'iterations_island']);
});
