import test from 'ava';
import { join } from 'node:path';
import { archiveOf, logOf, runCli, sphereConfig, tempDir } from '../helpers/cli.js';

// Seed-dependent extra CPU time makes evaluations finish in a different order on 2 workers than on 1.
const env = { SPHERE_BUSY_MS: '1', SPHERE_JITTER_MS: '6' };

test('the same config and seed give the identical archive and log with 1 worker and with 2', async (t) => {
  const dir = tempDir();
  const one = join(dir, 'one.sqlite');
  const two = join(dir, 'two.sqlite');
  const [a, b] = await Promise.all([
    runCli(['run', sphereConfig, '--db', one, '--workers', '1', '--quiet', '--max-iterations', '250'], env),
    runCli(['run', sphereConfig, '--db', two, '--workers', '2', '--quiet', '--max-iterations', '250'], env),
  ]);
  t.is(a.code, 0, a.stderr);
  t.is(b.code, 0, b.stderr);
  const archive = archiveOf(one);
  t.true(archive.length > 10, 'the search should fill a good part of the archive');
  t.deepEqual(archiveOf(two), archive);
  t.deepEqual(logOf(two), logOf(one));
});

test('a different seed gives a different archive', async (t) => {
  const dir = tempDir();
  const [a, b] = await Promise.all([
    runCli(['run', sphereConfig, '--db', join(dir, 'a.sqlite'), '--quiet', '--max-iterations', '120'], env),
    runCli(['run', sphereConfig, '--db', join(dir, 'b.sqlite'), '--quiet', '--max-iterations', '120', '--seed', '8'], env),
  ]);
  t.is(a.code, 0, a.stderr);
  t.is(b.code, 0, b.stderr);
  t.notDeepEqual(archiveOf(join(dir, 'b.sqlite')), archiveOf(join(dir, 'a.sqlite')));
});
