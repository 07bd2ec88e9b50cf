// removeRun: deletes a run database and its WAL files, refusing while a live process writes it.
import { existsSync, rmSync } from 'node:fs';
import { RunStore } from '../store/run-store.js';

/** For --overwrite and a failed fork. Opening it for writing throws RunLockedError while a live process holds the run. */
export function removeRun(path: string): void {
  if (existsSync(path)) RunStore.open(path, { write: true }).close();
  for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });
}
