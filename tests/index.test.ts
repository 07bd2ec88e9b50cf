import test from 'ava';
import { join } from 'node:path';
import { GridArchive, RunReader, resumeRun, startRun, type Progress } from '../index.js';
import { sphereConfig, tempDir } from './helpers/cli.js';

test('the library starts a run, reports progress, reads it back and resumes it to a larger budget', async (t) => {
  const db = join(tempDir(), 'lib.sqlite');
  const seen: Progress[] = [];
  const first = await startRun(sphereConfig, { db, workers: 2, maxIterations: 40, onProgress: (p) => seen.push(p) });
  t.is(first.stopReason, 'iterations');
  t.is(first.iterations, 40);
  t.true(seen.length > 0);
  t.is(seen.at(-1)!.iterations, 40);
  const reader = RunReader.open(db);
  const status = reader.status();
  t.is(status.iterations, 40);
  t.true(status.archive.filledCells > 1);
  t.is(reader.elites().length, status.archive.islands.reduce((n, s) => n + s.filledCells, 0));
  t.true(status.best!.fitness > status.seedVariant.fitness!);
  reader.close();
  const second = await resumeRun(db, { maxIterations: 60 });
  t.is(second.iterations, 60);
});

test('the archive classes work on their own', (t) => {
  const archive = new GridArchive({ dimensions: [{ name: 'size', min: 0, max: 1, bins: 10 }] });
  t.like(archive.add({ variantId: 'a', fitness: 1, descriptors: [0.35], iteration: 0 }), { status: 'new', cell: 3 });
  t.like(archive.add({ variantId: 'b', fitness: 2, descriptors: [0.31], iteration: 1 }), { status: 'improved', cell: 3, improvement: 1 });
});

test('the sandboxes are part of the library: a candidate runs in the isolate and a program in the subprocess sandbox', async (t) => {
  const { runInIsolate, runSubprocess, isSandboxError } = await import('../index.js');
  const r = await runInIsolate({ code: 'function twice(x) { return 2 * x; }', entry: 'twice', args: [21], cpuTimeMs: 500 });
  t.is(r.value, 42);
  const p = await runSubprocess({ command: 'sh', args: ['-c', 'echo "$1"', 'sh', 'hello'], timeoutMs: 5000 });
  t.is(p.stdout, 'hello\n');
  const error = await t.throwsAsync(runInIsolate({ code: 'function f() { for (;;) {} }', entry: 'f', cpuTimeMs: 100 }));
  t.true(isSandboxError(error));
});
