// clearScratch (engine/tune/tune-setup.ts): removes what this process or dead processes left, never what a live one uses.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { clearScratch, tuneDir } from '../../../engine/tune/tune-setup.js';
import { tempDir } from '../../helpers/cli.js';

test('the scratch folder keeps a live process\'s inner searches and loses this process\'s and dead processes\' ones', (t) => {
  const db = join(tempDir(), 'tune.sqlite');
  // task.json names the scratch folder (absolute): that one is cleared, not a guess from the database path.
  const scratch = join(tempDir(), 'elsewhere-scratch');
  mkdirSync(join(tuneDir(db), 'problem'), { recursive: true });
  writeFileSync(join(tuneDir(db), 'problem', 'task.json'), JSON.stringify({ scratch }));
  const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
  const live = process.ppid; // ava's main process: alive, and a node process
  for (const pid of [process.pid, dead, live]) {
    mkdirSync(join(scratch, `${pid}-1-search`), { recursive: true });
    writeFileSync(join(scratch, `${pid}-1-search`, 'run.sqlite'), 'x');
  }
  clearScratch(db);
  t.deepEqual(readdirSync(scratch), [`${live}-1-search`]);
  rmSync(join(scratch, `${live}-1-search`), { recursive: true });
  clearScratch(db);
  t.false(existsSync(scratch), 'an empty scratch folder goes');
  t.notThrows(() => clearScratch(db), 'nothing to clear is fine');
});
