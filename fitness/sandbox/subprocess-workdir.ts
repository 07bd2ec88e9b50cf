// The fresh working directory of a sandboxed program: made with its files, given to its user, removed afterwards.
import { chmod, chown, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';

/**
 * The problems with the file names of `files`, one message each: a name must be a relative path
 * that stays inside the working directory ('a/b.py'; not '/etc/x', '../x', 'a/../../x', '').
 */
export function fileNameProblems(files: Record<string, string>): string[] {
  const problems: string[] = [];
  for (const [name, content] of Object.entries(files)) {
    const normal = posix.normalize(name);
    if (name === '' || name.includes('\0')) problems.push(`files: ${JSON.stringify(name)} is not a file name`);
    else if (posix.isAbsolute(name)) problems.push(`files: ${JSON.stringify(name)} must be relative to the working directory`);
    else if (normal === '..' || normal.startsWith('../') || normal === '.' || normal.endsWith('/')) {
      problems.push(`files: ${JSON.stringify(name)} leaves the working directory or names no file`);
    }
    if (typeof content !== 'string') problems.push(`files: the content of ${JSON.stringify(name)} must be a string (got ${typeof content})`);
  }
  return problems;
}

/**
 * Creates a directory under os.tmpdir() (mode 700) and writes `files` into it, their names checked
 * by fileNameProblems beforehand. The files are written before the candidate starts, so no link it
 * could plant is followed.
 */
export async function makeWorkdir(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ouroboros-sandbox-'));
  try {
    for (const [name, content] of Object.entries(files)) {
      const path = join(dir, posix.normalize(name));
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, content);
    }
    return dir;
  } catch (error) {
    await removeWorkdir(dir);
    throw error;
  }
}

/** Hands the directory and everything in it to the candidate's uid and gid (before it starts). */
export async function giveWorkdir(dir: string, ids: { uid: number; gid: number }): Promise<void> {
  await chown(dir, ids.uid, ids.gid);
  for (const entry of await readdir(dir, { recursive: true })) await chown(join(dir, entry), ids.uid, ids.gid);
}

/**
 * Removes the directory and everything in it. A candidate running as the current user (no drop to
 * nobody) may have left directories it made unreadable; those are opened up and the removal retried.
 */
export async function removeWorkdir(dir: string): Promise<void> {
  try {
    await rm(dir, { recursive: true, force: true });
  } catch {
    await openUp(dir);
    await rm(dir, { recursive: true, force: true });
  }
}

async function openUp(dir: string): Promise<void> {
  await chmod(dir, 0o700).catch(() => undefined);
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) if (entry.isDirectory()) await openUp(join(dir, entry.name));
}
