import test from 'ava';
import { dirname, join } from 'node:path';
import { committedIterations, runCli, sphereConfig, startCli, tempDir, untilCommitted } from '../helpers/cli.js';

test('resuming or overwriting a run that another live process is writing fails with a message naming that process', async (t) => {
  const dir = tempDir();
  const db = join(dir, 'r.sqlite');
  const { child, done } = startCli(['run', sphereConfig, '--db', db, '--quiet', '--max-iterations', '100000'], { SPHERE_BUSY_MS: '5' });
  try {
    await untilCommitted(db, 1, done, 20);
    const resumed = await runCli(['resume', db, '--quiet']);
    t.is(resumed.code, 3);
    t.regex(resumed.stderr, new RegExp(`is being written by process ${child.pid} on `));
    let ended = false;
    void done.then(() => { ended = true; });
    const overwritten = await runCli(['run', sphereConfig, '--db', db, '--quiet', '--overwrite']);
    t.is(overwritten.code, 3, ended ? `the writer had ended: ${JSON.stringify(await done)}` : 'the writer was still running');
    t.regex(overwritten.stderr, new RegExp(`process ${child.pid}`));
    const status = await runCli(['status', db, '--json']);
    t.is(status.code, 0, 'readers do not need the lock');
    t.true(JSON.parse(status.stdout).iterations > 0);
  } finally {
    child.kill('SIGTERM');
    await done;
  }
  t.true(committedIterations(db) > 0);
});

test('run --overwrite replaces a finished run', async (t) => {
  const dir = tempDir();
  const db = join(dir, 'r.sqlite');
  t.is((await runCli(['run', sphereConfig, '--db', db, '--quiet', '--max-iterations', '30'])).code, 0);
  const again = await runCli(['run', sphereConfig, '--db', db, '--quiet', '--max-iterations', '20', '--overwrite']);
  t.is(again.code, 0, again.stderr);
  t.is(committedIterations(db), 20);
});

test('resume of a run whose problem folder changed warns and continues with the stored problem', async (t) => {
  const { cpSync, writeFileSync, readFileSync } = await import('node:fs');
  const dir = tempDir();
  const problem = join(dir, 'problem');
  cpSync(join(dirname(sphereConfig), '../problems/sphere'), problem, { recursive: true });
  const config = join(dir, 'c.json');
  writeFileSync(config, JSON.stringify({ ...JSON.parse(readFileSync(sphereConfig, 'utf8')), problem }));
  const db = join(dir, 'r.sqlite');
  t.is((await runCli(['run', config, '--db', db, '--quiet', '--max-iterations', '20'])).code, 0);
  writeFileSync(join(problem, 'problem.json'), '{ "broken": ');
  const resumed = await runCli(['resume', db, '--quiet', '--max-iterations', '30']);
  t.is(resumed.code, 0, resumed.stderr);
  t.regex(resumed.stdout, /warning: .*problem no longer loads .*continuing with the problem stored in the run/);
  t.is(committedIterations(db), 30);
});
