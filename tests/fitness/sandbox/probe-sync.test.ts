// probeSync (fitness/sandbox/subprocess-isolation.ts): a probe that runs out of time is tried again, so a loaded machine
// is not taken for one without namespaces (which left a sandbox without its PID namespace once).
import test from 'ava';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { probeSync } from '../../../fitness/sandbox/subprocess-isolation.js';

test('a probe that times out once and then answers counts as answering', (t) => {
  const marker = join(mkdtempSync(join(tmpdir(), 'ouroboros-probe-')), 'tried');
  // First call: leaves the marker and outlives the time limit; second: exits 0 at once.
  const script = `if [ -e "${marker}" ]; then exit 0; fi; : > "${marker}"; exec sleep 30`;
  const run = probeSync('/bin/sh', ['-c', script], { stdio: 'ignore' }, 500, 3);
  t.true(existsSync(marker));
  t.is(run.status, 0);
});

test('a probe that keeps timing out is given up after its attempts; a plain failure is not retried', (t) => {
  const slow = probeSync('/bin/sh', ['-c', 'exec sleep 30'], { stdio: 'ignore' }, 200, 2);
  t.is((slow.error as NodeJS.ErrnoException | undefined)?.code, 'ETIMEDOUT');
  t.not(slow.status, 0);
  const marker = join(mkdtempSync(join(tmpdir(), 'ouroboros-probe-')), 'count');
  const failed = probeSync('/bin/sh', ['-c', `echo x >> "${marker}"; exit 3`], { stdio: 'ignore' }, 5000, 3);
  t.is(failed.status, 3);
  t.is(readFileSync(marker, 'utf8'), 'x\n', 'run once');
});
