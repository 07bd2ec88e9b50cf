// Tests of RunStore on real SQLite files: create/open errors, the cross-process lock, atomic commits, the log, the schema version.
import test from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import type { Elite } from '../../../archives/archive.js';
import { contentId } from '../../../common/content-id.js';
import { RunLockedError, StorageError } from '../../../common/errors.js';
import type { Evaluation, Variant } from '../../../common/types.js';
import { RunStore, type ChildRecord, type IterationRecord } from '../../../engine/store/run-store.js';
import { SCHEMA_VERSION } from '../../../engine/store/store-schema.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const runStoreUrl = new URL('../../../engine/store/run-store.ts', import.meta.url).href;

const made: string[] = [];
test.after.always(() => { for (const dir of made) rmSync(dir, { recursive: true, force: true }); });

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

function dbPath(): string {
  return join(tempDir('ouroboros-store-'), 'run.sqlite');
}

function variant(text: string, iteration: number, parentIds: string[] = []): Variant {
  const files = { 'params.json': text };
  return { id: contentId(files), files, lineage: { parentIds, operator: 'param-mutation', iteration, island: 0 } };
}

function ok(fitness: number, descriptors: number[]): Evaluation {
  return { status: 'ok', fitness, descriptors, metrics: { loss: -fitness }, artifacts: {}, durationMs: 3, seed: 42 };
}

function child(v: Variant, evaluation: Evaluation | null, addStatus: ChildRecord['addStatus'], cell: number | null): ChildRecord {
  return { variant: v, evaluation, addStatus, cell, improvement: addStatus === 'rejected' ? null : 1, clipped: false, reason: addStatus === 'rejected' ? 'not better' : null };
}

function record(iteration: number, children: ChildRecord[], cells: IterationRecord['cells'] = []): IterationRecord {
  return {
    iteration, island: 0, operator: 'param-mutation', parentIds: [], status: children.length > 0 ? 'evaluated' : 'operator-failed',
    reason: children.length > 0 ? null : 'no child', children, cells, migrations: [], elapsedMs: 100 * (iteration + 1), arm: 'param-mutation', reward: 0, llm: { calls: 0, tokens: 0, cost: 0 },
  };
}

function cellOf(v: Variant, fitness: number, cell: number, iteration: number): IterationRecord['cells'][number] {
  const elite: Elite = { variantId: v.id, fitness, descriptors: [cell], iteration };
  return { island: 0, cell, elite };
}

/** Every row of a table, read with a separate connection. */
function rows(path: string, sql: string): unknown[] {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare(sql).all();
  } finally {
    db.close();
  }
}

test('create() refuses a file that already exists and leaves it alone', (t) => {
  const path = dbPath();
  RunStore.create(path, { name: 'first' }).close();
  t.throws(() => RunStore.create(path, { name: 'second' }), { instanceOf: StorageError, message: new RegExp(`^${escape(path)} already exists`) });
  const store = RunStore.open(path, { write: false });
  t.teardown(() => store.close());
  t.is(store.meta('name'), 'first');
});

test('create() refuses a plain file that already exists', (t) => {
  const path = dbPath();
  writeFileSync(path, 'notes\n');
  t.throws(() => RunStore.create(path, {}), { instanceOf: StorageError, message: /already exists/ });
});

test('open() of a missing file fails with a StorageError naming the path', (t) => {
  const path = dbPath();
  for (const write of [false, true]) {
    t.throws(() => RunStore.open(path, { write }), { instanceOf: StorageError, message: `${path}: no such run database` });
  }
});

test('open() of a file that is not a database fails with a StorageError naming the path', (t) => {
  const path = dbPath();
  writeFileSync(path, 'this is a text file, long enough to have a header of sorts\n'.repeat(20));
  for (const write of [false, true]) {
    const error = t.throws(() => RunStore.open(path, { write }), { instanceOf: StorageError });
    t.true(error!.message.startsWith(path), error!.message);
    t.regex(error!.message, /not a (readable SQLite )?database/);
  }
});

test('open() of a SQLite database that is not a run fails with a StorageError naming the path', (t) => {
  const path = dbPath();
  const db = new Database(path);
  db.exec('CREATE TABLE other (x)');
  db.close();
  t.throws(() => RunStore.open(path, { write: false }), { instanceOf: StorageError, message: `${path} is not an Ouroboros run database` });
});

test('a new run database has schema user_version SCHEMA_VERSION and keeps its meta', (t) => {
  const path = dbPath();
  RunStore.create(path, { config: { seed: 7 }, problem: 'sphere' }).close();
  const db = new Database(path, { readonly: true });
  t.teardown(() => db.close());
  t.true(SCHEMA_VERSION >= 1);
  t.is(db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
  const store = RunStore.open(path, { write: false });
  t.teardown(() => store.close());
  t.deepEqual(store.meta('config'), { seed: 7 });
  t.is(store.meta('problem'), 'sphere');
  t.is(store.meta('absent'), undefined);
});

/** Starts a node process that opens `path` for writing and holds it until killed. */
async function startWriter(path: string): Promise<{ child: ChildProcess; exited: Promise<unknown> }> {
  const script = join(tempDir('ouroboros-writer-'), 'writer.mjs');
  writeFileSync(script, [
    'const { RunStore } = await import(process.argv[2]);',
    'RunStore.open(process.argv[3], { write: true });',
    "process.stdout.write('locked\\n');",
    'setInterval(() => {}, 60_000);',
  ].join('\n'));
  const child = spawn(process.execPath, ['--import=tsx', script, runStoreUrl, path], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the writer did not start: ${stderr}`)), 20_000);
    child.stdout!.on('data', (d: Buffer) => { if (d.toString().includes('locked')) { clearTimeout(timer); resolve(); } });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`the writer exited with ${code}: ${stderr}`)); });
  });
  return { child, exited };
}

test('a second writer fails with RunLockedError naming the live process; readers still work; the lock of a killed writer is taken over', async (t) => {
  const path = dbPath();
  const setup = RunStore.create(path, { name: 'locked-run' });
  const v = variant('{"x":1}', 0);
  setup.commit(record(0, [child(v, ok(1, [0.5]), 'new', 2)], [cellOf(v, 1, 2, 0)]));
  setup.close();

  const { child: writer, exited } = await startWriter(path);
  t.teardown(() => { if (writer.exitCode === null && writer.signalCode === null) writer.kill('SIGKILL'); });
  const pid = writer.pid!;

  const error = t.throws(() => RunStore.open(path, { write: true }), { instanceOf: RunLockedError });
  t.is(error!.pid, pid);
  t.is(error!.code, 'E_RUN_LOCKED');
  t.true(error!.message.startsWith(`${path} is being written by process ${pid} on `), error!.message);
  t.throws(() => RunStore.open(path, { write: true }), { instanceOf: RunLockedError }, 'still locked on a second attempt');

  const reader = RunStore.open(path, { write: false });
  t.is(reader.meta('name'), 'locked-run');
  t.is(reader.committedIterations(), 1);
  t.deepEqual(reader.archiveCells().map((c) => c.variantId), [v.id]);
  reader.close();

  writer.kill('SIGKILL');
  await exited;
  t.deepEqual(rows(path, 'SELECT pid FROM lock'), [{ pid }], 'the killed writer left its lock behind');

  const store = RunStore.open(path, { write: true });
  t.deepEqual(rows(path, 'SELECT pid FROM lock'), [{ pid: process.pid }]);
  t.is(store.committedIterations(), 1);
  store.close();
  t.deepEqual(rows(path, 'SELECT pid FROM lock'), [], 'close() releases the lock');
});

test('commit() of a duplicate iteration number throws and leaves the earlier iteration intact', (t) => {
  const path = dbPath();
  const store = RunStore.create(path, {});
  t.teardown(() => store.close());
  const first = variant('{"x":1}', 0);
  store.commit(record(0, [child(first, ok(1, [0.5]), 'new', 2)], [cellOf(first, 1, 2, 0)]));

  const intruder = variant('{"x":2}', 0);
  // better-sqlite3's errors are not native Errors, hence `any`.
  t.throws(() => store.commit(record(0, [child(intruder, ok(9, [0.9]), 'improved', 2)], [cellOf(intruder, 9, 2, 0)])), { instanceOf: StorageError });

  t.is(store.committedIterations(), 1);
  t.is(store.evaluationCount(), 1);
  t.is(store.getVariant(intruder.id), undefined);
  t.is(store.hasEvaluation(intruder.id), false);
  t.deepEqual(store.archiveCells().map((c) => [c.cell, c.variantId, c.fitness]), [[2, first.id, 1]]);
  t.like(store.operatorStats(), [{ operator: 'param-mutation', uses: 1, newCells: 1, improvements: 0 }]);
  t.is(store.meta('elapsedMs'), 100);
});

test('commit() that fails part-way writes nothing of the failed iteration', (t) => {
  const path = dbPath();
  const store = RunStore.create(path, {});
  t.teardown(() => store.close());
  const first = variant('{"x":1}', 0);
  store.commit(record(0, [child(first, ok(1, [0.5]), 'new', 2)], [cellOf(first, 1, 2, 0)]));

  // Child 0 is new and gets written; child 1 re-inserts the evaluation of `first`, which violates
  // the evaluations primary key after the iteration row, a variant, an evaluation and a child row are in.
  const fresh = variant('{"x":3}', 1, [first.id]);
  const failing = record(1, [child(fresh, ok(5, [0.1]), 'new', 0), child(first, ok(1, [0.5]), 'rejected', 2)], [cellOf(fresh, 5, 0, 1)]);
  t.throws(() => store.commit(failing), { instanceOf: StorageError });

  t.is(store.committedIterations(), 1);
  t.is(store.evaluationCount(), 1);
  t.is(store.getVariant(fresh.id), undefined);
  t.deepEqual(rows(path, 'SELECT iteration, child_index FROM children ORDER BY iteration, child_index'), [{ iteration: 0, child_index: 0 }]);
  t.deepEqual(store.archiveCells().map((c) => c.variantId), [first.id]);
  t.like(store.operatorStats(), [{ uses: 1, children: 1 }]);
  t.is(store.meta('elapsedMs'), 100);

  // The store is still usable: the same iteration, done right, commits.
  store.commit(record(1, [child(fresh, ok(5, [0.1]), 'new', 0)], [cellOf(fresh, 5, 0, 1)]));
  t.is(store.committedIterations(), 2);
});

test('log() replays every child in iteration then child order, with operator failures and reused evaluations', (t) => {
  const path = dbPath();
  const store = RunStore.create(path, {});
  t.teardown(() => store.close());
  const seed = variant('{"x":0}', 0);
  const a = variant('{"x":1}', 1, [seed.id]);
  const b = variant('{"x":2}', 1, [seed.id]);
  const broken = variant('{"x":3}', 3, [a.id]);
  const failed: Evaluation = { status: 'failed', reason: 'threw', message: 'boom', durationMs: 1, seed: 3 };
  store.commit(record(0, [child(seed, ok(0.5, [0.5, 0.5]), 'new', 5)]));
  store.commit(record(1, [child(b, ok(2, [0.2, 0.8]), 'new', 1), child(a, ok(1, [0.1, 0.9]), 'new', 0)]));
  store.commit(record(2, []));
  store.commit(record(3, [child(broken, failed, 'rejected', null), child(a, null, 'rejected', 0)]));

  const usage = { parentIds: [], arm: 'param-mutation', reward: 0, llm: { calls: 0, tokens: 0, cost: 0 } };
  t.deepEqual([...store.log()], [
    { iteration: 0, island: 0, variantId: seed.id, evaluatedAt: 0, cached: false, status: 'ok', fitness: 0.5, descriptors: [0.5, 0.5], ...usage },
    { iteration: 1, island: 0, variantId: b.id, evaluatedAt: 1, cached: false, status: 'ok', fitness: 2, descriptors: [0.2, 0.8], ...usage },
    { iteration: 1, island: 0, variantId: a.id, evaluatedAt: 1, cached: false, status: 'ok', fitness: 1, descriptors: [0.1, 0.9], ...usage },
    { iteration: 2, island: 0, variantId: null, evaluatedAt: null, cached: null, status: null, fitness: null, descriptors: null, ...usage },
    { iteration: 3, island: 0, variantId: broken.id, evaluatedAt: 3, cached: false, status: 'failed', fitness: null, descriptors: null, ...usage },
    // A cached child replays with the evaluation stored when it was first evaluated.
    { iteration: 3, island: 0, variantId: a.id, evaluatedAt: 1, cached: true, status: 'ok', fitness: 1, descriptors: [0.1, 0.9], ...usage },
  ]);
  t.is(store.cachedChildren(), 1);
  t.deepEqual(store.evaluationsByStatus(), { failed: 1, ok: 3 });
});

test('a committed iteration reads back: variant, evaluation, lineage and counts', (t) => {
  const path = dbPath();
  const store = RunStore.create(path, {});
  const seed = variant('{"x":0}', 0);
  const kid = { ...variant('{"x":1}', 1, [seed.id]), note: 'x: 0 -> 1' };
  store.commit(record(0, [child(seed, ok(0.5, [0.5]), 'new', 5)]));
  store.commit(record(1, [child(kid, ok(0.75, [0.25]), 'new', 2)]));
  store.close();

  const reader = RunStore.open(path, { write: false });
  t.teardown(() => reader.close());
  t.is(reader.committedIterations(), 2);
  t.deepEqual(reader.getVariant(kid.id), { id: kid.id, files: kid.files, lineage: kid.lineage, note: 'x: 0 -> 1' });
  t.deepEqual(reader.getEvaluation(kid.id), { variantId: kid.id, iteration: 1, evaluation: ok(0.75, [0.25]) });
  t.deepEqual(reader.ancestors(kid.id).map((a) => [a.id, a.fitness]), [[kid.id, 0.75], [seed.id, 0.5]]);
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
