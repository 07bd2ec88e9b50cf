// Scale-out through BullMQ on a real redis-server of each test's own: a queued run gives the archive and log of a
// local run with 1 or 3 worker processes; it survives a worker SIGKILLed mid-job, Redis killed and restarted, and its
// own SIGKILL and resume; a wrong password and a worker that cannot load the evaluator are refused with their reason.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { archiveOf, committedIterations, logOf, root, runCli, sphereConfig, startCli, tempDir, untilCommitted } from '../helpers/cli.js';
import { hasRedis, startRedis, type TestRedis } from '../helpers/redis.js';

const queueTest = hasRedis ? test : test.skip;
const env = { SPHERE_BUSY_MS: '2', SPHERE_JITTER_MS: '6' };
const iterations = 120;

/** `ouroboros worker` processes on the test's Redis, stopped (Ctrl-C) at the end of the test. */
function startWorkers(t: { teardown(f: () => Promise<void> | void): void }, redis: TestRedis, count: number, concurrency = 1, environment = env) {
  const cache = tempDir('ouroboros-worker-cache-');
  const workers = Array.from({ length: count }, () => startCli(['worker', redis.url, '--concurrency', String(concurrency), '--cache', cache, '--lock-ms', '2000'], environment));
  t.teardown(async () => {
    for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGKILL');
    await Promise.all(workers.map((w) => w.done));
  });
  return workers;
}

async function reference(dir: string): Promise<string> {
  const db = join(dir, 'local.sqlite');
  const r = await runCli(['run', sphereConfig, '--db', db, '--max-iterations', String(iterations), '--quiet'], env);
  if (r.code !== 0) throw new Error(r.stderr);
  return db;
}

const filesOf = (db: string) => readdirSync(dirname(db)).filter((f) => f.startsWith('queued')).map((f) => join(dirname(db), f));

queueTest('a queued run with 1 or 3 worker processes ends with the archive and log of a local run, and no file or output holds the password', async (t) => {
  const password = 'pw-Zq81-never-stored';
  const redis = await startRedis({ password });
  t.teardown(() => redis.stop());
  const dir = tempDir();
  const local = await reference(dir);
  const outputs: string[] = [];
  for (const count of [1, 3]) {
    const workers = startWorkers(t, redis, count);
    const db = join(dir, `queued-${count}.sqlite`);
    const r = await runCli(['run', sphereConfig, '--db', db, '--max-iterations', String(iterations), '--queue', redis.url], env);
    t.is(r.code, 0, r.stderr);
    outputs.push(r.stdout, r.stderr);
    t.deepEqual(archiveOf(db), archiveOf(local), `${count} worker(s)`);
    t.deepEqual(logOf(db), logOf(local), `${count} worker(s)`);
    const status = await runCli(['status', db]);
    t.regex(status.stdout, new RegExp(`queue "ouroboros" at redis://:\\*\\*\\*@127\\.0\\.0\\.1:${redis.port}`));
    t.is((status.stdout.match(/^ {2}worker /gm) ?? []).length, count);
    outputs.push(status.stdout);
    for (const w of workers) w.child.kill('SIGINT');
    for (const w of workers) { const d = await w.done; t.is(d.code, 0, d.stderr); outputs.push(d.stdout, d.stderr); }
  }
  for (const file of filesOf(join(dir, 'queued-1.sqlite'))) {
    if (file.endsWith('.sqlite') || file.endsWith('.jsonl') || file.endsWith('.csv')) t.false(readFileSync(file).includes(password), file);
  }
  t.false(outputs.join('\n').includes(password));
});

queueTest('a worker SIGKILLed in the middle of its jobs: another takes them again and the run ends as a local one', async (t) => {
  const redis = await startRedis();
  t.teardown(() => redis.stop());
  const dir = tempDir();
  const local = await reference(dir);
  const slow = { SPHERE_BUSY_MS: '120', SPHERE_JITTER_MS: '6' };
  const [doomed] = startWorkers(t, redis, 1, 2, slow);
  const db = join(dir, 'queued.sqlite');
  const run = startCli(['run', sphereConfig, '--db', db, '--max-iterations', String(iterations), '--queue', redis.url, '--quiet'], env);
  await untilCommitted(db, 8, run.done);
  doomed!.child.kill('SIGKILL');
  t.is((await doomed!.done).signal, 'SIGKILL');
  // Its jobs in hand are still claimed in Redis: the kill landed in the middle of them.
  const active = Number(spawnSync('redis-cli', ['-p', String(redis.port), 'llen', 'bull:ouroboros:active'], { encoding: 'utf8' }).stdout.trim());
  t.true(active >= 1, `${active} jobs were active when the worker died`);
  t.true(committedIterations(db) < iterations, 'the worker died before the run ended');
  startWorkers(t, redis, 1);
  const r = await run.done;
  t.is(r.code, 0, r.stderr);
  t.deepEqual(archiveOf(db), archiveOf(local));
  t.deepEqual(logOf(db), logOf(local));
});

queueTest('Redis killed and restarted empty in the middle of a run: the coordinator sends the lost jobs again and ends as a local run', async (t) => {
  const redis = await startRedis();
  t.teardown(() => redis.stop());
  const dir = tempDir();
  const local = await reference(dir);
  startWorkers(t, redis, 2, 1, { SPHERE_BUSY_MS: '30', SPHERE_JITTER_MS: '6' });
  const db = join(dir, 'queued.sqlite');
  const run = startCli(['run', sphereConfig, '--db', db, '--max-iterations', String(iterations), '--queue', redis.url, '--quiet'], env);
  await untilCommitted(db, 10, run.done);
  await redis.kill();
  const before = committedIterations(db);
  t.true(before < iterations, 'Redis went away before the run ended');
  await new Promise((r) => setTimeout(r, 1500));
  await redis.start();
  const r = await run.done;
  t.is(r.code, 0, r.stderr);
  t.deepEqual(archiveOf(db), archiveOf(local));
  t.deepEqual(logOf(db), logOf(local));
  const status = JSON.parse((await runCli(['status', db, '--json'])).stdout);
  t.true(status.queue.resent > 0, 'lost jobs were sent again');
});

queueTest('the coordinator SIGKILLed and resumed with --queue ends as an uninterrupted run', async (t) => {
  const redis = await startRedis();
  t.teardown(() => redis.stop());
  const dir = tempDir();
  const local = await reference(dir);
  startWorkers(t, redis, 2, 1, { SPHERE_BUSY_MS: '20', SPHERE_JITTER_MS: '6' });
  const db = join(dir, 'queued.sqlite');
  const run = startCli(['run', sphereConfig, '--db', db, '--max-iterations', String(iterations), '--queue', redis.url, '--quiet'], env);
  await untilCommitted(db, 15, run.done);
  run.child.kill('SIGKILL');
  t.is((await run.done).signal, 'SIGKILL');
  t.true(committedIterations(db) < iterations);
  const r = await runCli(['resume', db, '--queue', redis.url, '--quiet'], env);
  t.is(r.code, 0, r.stderr);
  t.deepEqual(archiveOf(db), archiveOf(local));
  t.deepEqual(logOf(db), logOf(local));
});

queueTest('a wrong password is refused by the coordinator and by a worker, naming the server but not the password', async (t) => {
  const redis = await startRedis({ password: 'right-one' });
  t.teardown(() => redis.stop());
  const dir = tempDir();
  const wrong = `redis://:pw-Wr0ng-x@127.0.0.1:${redis.port}`;
  const r = await runCli(['run', sphereConfig, '--db', join(dir, 'x.sqlite'), '--queue', wrong, '--quiet']);
  t.is(r.code, 2);
  t.regex(r.stderr, new RegExp(`--queue: Redis at redis://:\\*\\*\\*@127\\.0\\.0\\.1:${redis.port}: authentication failed`));
  t.false(r.stderr.includes('pw-Wr0ng-x'));
  const w = await runCli(['worker', wrong, '--quiet']);
  t.is(w.code, 2);
  t.regex(w.stderr, /authentication failed/);
  t.false(w.stderr.includes('pw-Wr0ng-x'));
});

queueTest('a worker that cannot load the evaluator refuses the job with its reason, which the run reports', async (t) => {
  const redis = await startRedis();
  t.teardown(() => redis.stop());
  const dir = tempDir();
  // The evaluator imports a module beside the problem folder: it loads here, but the pack holds only the folder.
  const problem = join(dir, 'problem');
  cpSync(join(root, 'tests/fixtures/problems/sphere'), problem, { recursive: true });
  writeFileSync(join(dir, 'outside.mjs'), 'export { evaluate } from "./problem/real.mjs";\n');
  cpSync(join(problem, 'evaluator.mjs'), join(problem, 'real.mjs'));
  writeFileSync(join(problem, 'evaluator.mjs'), 'export { evaluate } from "../outside.mjs";\n');
  const config = join(dir, 'config.json');
  writeFileSync(config, JSON.stringify({ ...JSON.parse(readFileSync(sphereConfig, 'utf8')), problem: './problem' }));
  startWorkers(t, redis, 1);
  const r = await runCli(['run', config, '--db', join(dir, 'x.sqlite'), '--queue', redis.url, '--max-iterations', '5', '--quiet']);
  t.is(r.code, 4, r.stderr);
  t.regex(r.stderr, /a queue worker refused the job: worker [^ ]+:\d+ cannot evaluate this problem: .*could not be loaded/);
});
