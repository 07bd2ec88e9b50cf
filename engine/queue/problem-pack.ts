// A problem folder as one content-addressed blob: packed by the coordinator, stored once in Redis, unpacked by each
// worker into a cache folder named by its hash, so workers need no shared file system and no copy of the config.
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';

/** Folders never packed: dependencies and version control are the worker's own business. */
const SKIPPED = new Set(['node_modules', '.git']);
/** A pack above this is refused: a problem folder is code and small data, not a dataset to copy per run. */
export const MAX_PACK_BYTES = 64 * 1024 * 1024;

export interface ProblemPack { hash: string; bytes: Buffer; files: number }

/**
 * Every file under `dir` (but node_modules and .git), in path order, with whether it is executable, gzipped; the
 * hash is over paths, modes and contents. A symbolic link to a file is packed as that file; one to a folder is
 * left out (it could loop, or reach far outside the problem).
 */
export function packProblem(dir: string): ProblemPack {
  const files: Array<[string, Buffer, boolean]> = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      if (SKIPPED.has(name)) continue;
      const path = join(d, name);
      const link = lstatSync(path).isSymbolicLink();
      let s;
      try { s = statSync(path); } catch { continue; /* a dangling link */ }
      if (s.isDirectory() && !link) walk(path);
      else if (s.isFile()) files.push([relative(dir, path).split(sep).join('/'), readFileSync(path), (s.mode & 0o111) !== 0]);
    }
  };
  walk(dir);
  const hash = createHash('sha256');
  for (const [path, content, executable] of files) hash.update(`${path}\0${executable ? 'x' : '-'}\0${content.length}\0`).update(content);
  const json = JSON.stringify(files.map(([path, content, executable]) => [path, content.toString('base64'), executable]));
  const bytes = gzipSync(json);
  if (bytes.length > MAX_PACK_BYTES) throw new RangeError(`${dir}: the problem folder packs to ${bytes.length} bytes, above the ${MAX_PACK_BYTES} a queued run sends; keep data out of it`);
  return { hash: hash.digest('hex').slice(0, 32), bytes, files: files.length };
}

/**
 * The folder `cacheDir/hash` holding the pack's files, written once (to a temporary folder renamed into place, so
 * a worker killed while unpacking leaves no half-written problem behind).
 */
export function unpackProblem(hash: string, bytes: Buffer, cacheDir: string): string {
  const target = join(cacheDir, hash);
  if (existsSync(target)) return target;
  const temporary = `${target}.${process.pid}.partial`;
  rmSync(temporary, { recursive: true, force: true });
  const files = JSON.parse(gunzipSync(bytes).toString('utf8')) as Array<[string, string, boolean?]>;
  for (const [path, content, executable] of files) {
    if (path.split('/').some((part) => part === '..' || part === '') || path.startsWith('/')) throw new RangeError(`problem pack ${hash}: refusing the path ${JSON.stringify(path)}`);
    const file = join(temporary, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, Buffer.from(content, 'base64'), { mode: executable ? 0o755 : 0o644 });
  }
  mkdirSync(temporary, { recursive: true });
  try {
    renameSync(temporary, target);
  } catch (error) {
    // Another worker process of this machine won the race: its copy is the same content.
    rmSync(temporary, { recursive: true, force: true });
    if (!existsSync(target)) throw error;
  }
  return target;
}
