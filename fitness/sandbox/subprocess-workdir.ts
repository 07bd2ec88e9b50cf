// The directory of one sandbox (the program's fresh working directory, the skeleton of its private root): made with its files, given to its user, removed afterwards.
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

/** One sandbox's directories: `base` holds everything and is removed afterwards; `workdir` is the program's. */
export interface SandboxDirs {
  /** Under os.tmpdir(), mode 711: other users may pass through to `workdir` but not list it. */
  base: string;
  /** `base`/work, mode 700, holding `files`. */
  workdir: string;
  /** `base`/root, an empty directory for the private root's skeleton. */
  root: string;
}

/**
 * Creates a sandbox's directories under os.tmpdir() and writes `files` into the working directory,
 * their names checked by fileNameProblems beforehand. The files are written before the candidate
 * starts, so no link it could plant is followed.
 */
export async function makeWorkdir(files: Record<string, string>): Promise<SandboxDirs> {
  const base = await mkdtemp(join(tmpdir(), 'ouroboros-sandbox-'));
  const dirs = { base, workdir: join(base, 'work'), root: join(base, 'root') };
  try {
    await chmod(base, 0o711);
    await mkdir(dirs.workdir, { mode: 0o700 });
    await mkdir(dirs.root, { mode: 0o755 });
    for (const [name, content] of Object.entries(files)) {
      const path = join(dirs.workdir, posix.normalize(name));
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, content);
    }
    return dirs;
  } catch (error) {
    await removeWorkdir(base);
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
