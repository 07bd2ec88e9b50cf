import test from 'ava';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { archiveOf, committedIterations, logOf, runCli, sphereConfig, startCli, tempDir, untilCommitted } from '../helpers/cli.js';

const iterations = 300;
const env = { SPHERE_BUSY_MS: '3', SPHERE_JITTER_MS: '4' };

/** Kills the CLI with SIGKILL once the run has committed `target` iterations, plus a random few milliseconds. */
async function killAt(args: string[], db: string, target: number, environment = env, maxDelayMs = 30) {
  const { child, done } = startCli(args, environment);
  let exited = false;
  void done.then(() => { exited = true; });
  while (!exited) {
    let committed = 0;
    try { committed = committedIterations(db); } catch { /* not created yet */ }
    if (committed >= target) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  await new Promise((r) => setTimeout(r, Math.random() * maxDelayMs));
  child.kill('SIGKILL');
  return done;
}

test('a run killed with SIGKILL at random moments and resumed ends with the archive of an uninterrupted run', async (t) => {
  const dir = tempDir();
  const reference = join(dir, 'reference.sqlite');
  const killed = join(dir, 'killed.sqlite');
  const ref = await runCli(['run', sphereConfig, '--db', reference, '--quiet', '--max-iterations', String(iterations)], env);
  t.is(ref.code, 0, ref.stderr);

  const first = 20 + Math.floor(Math.random() * iterations * 0.4);
  const k1 = await killAt(['run', sphereConfig, '--db', killed, '--quiet', '--max-iterations', String(iterations)], killed, first);
  t.is(k1.signal, 'SIGKILL');
  const afterFirst = committedIterations(killed);
  t.log(`first kill once ${first} iterations were committed; ${afterFirst} were when it landed`);
  t.true(afterFirst < iterations, 'the kill must land before the run finished');
  const killedStatus = JSON.parse((await runCli(['status', killed, '--json'])).stdout);
  t.is(killedStatus.status, 'killed (resume it)');

  // Kill the resume too, then resume to the end.
  const second = afterFirst + 10 + Math.floor(Math.random() * (iterations - afterFirst) * 0.5);
  const k2 = await killAt(['resume', killed, '--quiet'], killed, second);
  t.is(k2.signal, 'SIGKILL');
  t.log(`second kill once ${second} were committed; ${committedIterations(killed)} were when it landed`);

  const final = await runCli(['resume', killed, '--quiet'], env);
  t.is(final.code, 0, final.stderr);
  t.is(committedIterations(killed), iterations);
  t.deepEqual(archiveOf(killed), archiveOf(reference));
  t.deepEqual(logOf(killed), logOf(reference));
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
test(`${signal} stops a run gracefully, prints the resume command, and the resumed run matches an uninterrupted one`, async (t) => {
  const dir = tempDir();
  const reference = join(dir, 'reference.sqlite');
  const stopped = join(dir, 'stopped.sqlite');
  const ref = await runCli(['run', sphereConfig, '--db', reference, '--quiet', '--max-iterations', '300'], env);
  t.is(ref.code, 0, ref.stderr);
  const { child, done } = startCli(['run', sphereConfig, '--db', stopped, '--max-iterations', '300'], env);
  // Wait until iterations are being committed, then interrupt.
  await untilCommitted(stopped, 1, done, 10);
  child.kill(signal);
  const result = await done;
  t.is(result.code, 130, result.stderr);
  t.regex(result.stdout, new RegExp(`${signal}: stopping`));
  t.regex(result.stdout, /stopped: interrupted \(every finished iteration is committed\)/);
  t.is(JSON.parse((await runCli(['status', stopped, '--json'])).stdout).status, 'stopped');
  t.regex(result.stdout, new RegExp(`resume with: ouroboros resume \\S*stopped\\.sqlite`));
  const committed = committedIterations(stopped);
  t.true(committed > 0 && committed < 300, `committed ${committed}`);
  const resumed = await runCli(['resume', stopped, '--quiet'], env);
  t.is(resumed.code, 0, resumed.stderr);
  t.deepEqual(archiveOf(stopped), archiveOf(reference));
});
}

test('resume --max-iterations raises the budget of a finished run to that total', async (t) => {
  const dir = tempDir();
  const db = join(dir, 'run.sqlite');
  t.is((await runCli(['run', sphereConfig, '--db', db, '--quiet', '--max-iterations', '50'], env)).code, 0);
  t.is(committedIterations(db), 50);
  const more = await runCli(['resume', db, '--quiet', '--max-iterations', '80'], env);
  t.is(more.code, 0, more.stderr);
  t.is(committedIterations(db), 80);
  const again = await runCli(['resume', db, '--quiet'], env);
  t.is(again.code, 0, again.stderr);
  t.is(committedIterations(db), 80, 'the raised budget is remembered');
});

for (const [name, budget] of [['an evaluation budget', { evaluations: 150 }], ['a target fitness', { iterations: 5000, targetFitness: -0.3 }]] as const) {
  test(`a run stopped by ${name}, killed on the way and resumed, stops exactly where the uninterrupted run did`, async (t) => {
    const dir = tempDir();
    const config = join(dir, 'config.json');
    const base = JSON.parse(readFileSync(sphereConfig, 'utf8'));
    writeFileSync(config, JSON.stringify({ ...base, problem: join(dirname(sphereConfig), base.problem), budget }));
    const reference = join(dir, 'reference.sqlite');
    const killed = join(dir, 'killed.sqlite');
    // Slower evaluations widen the gap between commits, so that the kill lands in the last few
    // iterations: those launched before the budget was found spent, which a resume must not relaunch.
    const slow = { SPHERE_BUSY_MS: '40', SPHERE_JITTER_MS: '4' };
    const ref = await runCli(['run', config, '--db', reference, '--quiet'], slow);
    t.is(ref.code, 0, ref.stderr);
    const total = committedIterations(reference);
    t.log(`the reference run stopped after ${total} iterations`);
    // A loaded machine can let the last iterations commit between two polls; then the kill
    // missed its window and is tried again from a fresh run, aiming a little earlier.
    let landed = total;
    for (let attempt = 0; attempt < 4 && landed >= total; attempt++) {
      rmSync(killed, { force: true });
      rmSync(`${killed}-wal`, { force: true });
      rmSync(`${killed}-shm`, { force: true });
      await killAt(['run', config, '--db', killed, '--quiet'], killed, total - 5 - 2 * attempt, slow, 5);
      landed = committedIterations(killed);
      t.log(`attempt ${attempt + 1}: killed with ${landed} committed`);
    }
    t.true(landed < total, 'the kill must land before the run stopped');
    const resumed = await runCli(['resume', killed, '--quiet'], slow);
    t.is(resumed.code, 0, resumed.stderr);
    t.deepEqual(logOf(killed), logOf(reference));
    t.deepEqual(archiveOf(killed), archiveOf(reference));
  });
}

test('a second SIGINT abandons the iterations in flight; the committed ones are kept and the resume still matches', async (t) => {
  const dir = tempDir();
  const reference = join(dir, 'reference.sqlite');
  const stopped = join(dir, 'stopped.sqlite');
  // Slow enough that the iterations in flight are still running when the second SIGINT lands.
  const slow = { SPHERE_BUSY_MS: '150' };
  t.is((await runCli(['run', sphereConfig, '--db', reference, '--quiet', '--max-iterations', '60'], slow)).code, 0);
  const { child, done } = startCli(['run', sphereConfig, '--db', stopped, '--quiet', '--max-iterations', '60'], slow);
  await untilCommitted(stopped, 10, done, 10);
  // Two signals sent while the child is not scheduled coalesce into one, so the second is sent only
  // once the child has said that it handled the first.
  let said = '';
  const heard = new Promise<void>((resolve) => child.stdout!.on('data', (d: Buffer) => { said += d.toString(); if (said.includes('SIGINT: stopping')) resolve(); }));
  child.kill('SIGINT');
  await heard;
  child.kill('SIGINT');
  const result = await done;
  t.is(result.code, 130, result.stderr);
  t.regex(result.stdout, /SIGINT again: abandoning the iterations in flight/);
  t.regex(result.stdout, /stopped: abandoned/);
  const committed = committedIterations(stopped);
  t.true(committed < 60, `committed ${committed}`);
  const resumed = await runCli(['resume', stopped, '--quiet'], slow);
  t.is(resumed.code, 0, resumed.stderr);
  t.deepEqual(logOf(stopped), logOf(reference));
  t.deepEqual(archiveOf(stopped), archiveOf(reference));
});
