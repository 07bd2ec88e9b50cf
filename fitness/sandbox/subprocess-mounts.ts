// The private file system of a sandboxed program: a read-only root of the system directories and the grants, with fresh size-capped tmpfs at /tmp and /dev/shm.
import { lstatSync, mkdirSync, readlinkSync, symlinkSync, writeFileSync, type Stats } from 'node:fs';
import { join, posix } from 'node:path';

/**
 * The host directories every sandbox sees, read-only (those that exist; a symbolic link, as on
 * merged-/usr systems, is copied as a link). Everything else of the host is absent: /run, /var,
 * /home, /root, /srv, /mnt, /opt, the project, the host's /tmp and /dev/shm.
 */
export const SYSTEM_DIRS = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32', '/etc'];
/** Device nodes of the host bound into the sandbox's /dev; nothing else of the host's /dev is there. */
const DEVICES = ['null', 'zero', 'full', 'random', 'urandom', 'tty'];
/** The tmpfs mounts, each capped in size and files: writable by every user, gone with the namespace. */
const TMPFS = ['/tmp', '/dev/shm'];
/** Enough files for any honest use of /tmp; each costs kernel memory outside the size cap. */
const TMPFS_FILES = 16_384;

/** What the private root holds besides the system directories. */
export interface RootLayout {
  /** The program's working directory, writable, at the same path as on the host. */
  workdir: string;
  /** Host directories visible read-only at the same path. */
  readPaths: string[];
  /** Host directories visible writable at the same path: what the program writes there stays. */
  writePaths: string[];
  /** Size cap of each tmpfs, in MiB. */
  tmpMb: number;
}

/**
 * The shell script that sets the private root up and execs the rest of its arguments in it, run as
 * root in a mount namespace of its own: `sh -c ROOT_SETUP sh MOUNT PIVOT_ROOT UMOUNT FSTAB ROOT
 * WORKDIR COMMAND...`. It mounts every entry of FSTAB in order (made by buildRoot), makes ROOT the
 * root with the old one detached (so no path leads back to the host), enters WORKDIR (not the
 * directory it inherited, which is in the old tree), reports `ok` on fd 3 and closes it.
 */
export const ROOT_SETUP = [
  'm=$1 p=$2 u=$3 f=$4 r=$5 w=$6; shift 6',
  '"$m" -a -T "$f" && cd "$r" && "$p" . . && "$u" -l . && cd "$w" || { echo "ouroboros sandbox: cannot set up the private file system" >&2; exit 125; }',
  'echo ok >&3; exec 3>&-',
  'exec "$@"',
].join('\n');

/**
 * Builds the skeleton of the private root in `root` (an empty host directory, root-owned, that the
 * namespace binds read-only onto itself) and returns the fstab that fills it: the system
 * directories, /proc, the devices, the tmpfs, the working directory and the grants, in mount order.
 * Targets under a tmpfs are made by mount (X-mount.mkdir); the rest are made here.
 */
export function buildRoot(root: string, layout: RootLayout): string {
  const lines: string[] = [];
  const entry = (source: string, target: string, type: string, options: string) =>
    lines.push([source, target === '/' ? root : join(root, target), type, options, '0', '0'].map(escapeField).join(' '));
  entry(root, '/', 'none', 'bind,ro,nosuid,nodev');
  for (const dir of SYSTEM_DIRS) {
    const found = lstatIf(dir);
    if (found === null) continue;
    if (found.isSymbolicLink()) {
      symlinkSync(readlinkSync(dir), join(root, dir));
    } else if (found.isDirectory()) {
      mkdirSync(join(root, dir));
      entry(dir, dir, 'none', 'bind,ro');
    }
  }
  mkdirSync(join(root, 'proc'));
  entry('proc', '/proc', 'proc', 'nosuid,nodev,noexec');
  mkdirSync(join(root, 'dev/shm'), { recursive: true });
  for (const device of DEVICES) {
    if (lstatIf(`/dev/${device}`)?.isCharacterDevice() !== true) continue;
    writeFileSync(join(root, 'dev', device), '');
    entry(`/dev/${device}`, `/dev/${device}`, 'none', 'bind,nosuid,noexec');
  }
  for (const [name, target] of [['fd', '/proc/self/fd'], ['stdin', '/proc/self/fd/0'], ['stdout', '/proc/self/fd/1'], ['stderr', '/proc/self/fd/2']]) {
    symlinkSync(target!, join(root, 'dev', name!));
  }
  mkdirSync(join(root, 'tmp'));
  mkdirSync(join(root, 'var'));
  symlinkSync('../tmp', join(root, 'var/tmp'));
  for (const dir of TMPFS) entry('tmpfs', dir, 'tmpfs', `nosuid,nodev,size=${layout.tmpMb}m,nr_inodes=${TMPFS_FILES},mode=1777`);
  entry(layout.workdir, layout.workdir, 'none', 'bind,nosuid,nodev,X-mount.mkdir');
  // Parents before children, so that a grant inside another grant is not hidden by it.
  const grants = [...layout.readPaths.map((path) => ({ path, options: 'bind,ro' })), ...layout.writePaths.map((path) => ({ path, options: 'bind,nosuid,nodev' }))]
    .map((grant) => ({ ...grant, path: posix.normalize(grant.path) }))
    .sort((a, b) => a.path.split('/').length - b.path.split('/').length);
  for (const { path, options } of grants) {
    if (!underTmpfs(path) && !SYSTEM_DIRS.some((dir) => path === dir || path.startsWith(`${dir}/`))) {
      mkdirSync(join(root, path), { recursive: true });
    }
    entry(path, path, 'none', `${options},X-mount.mkdir`);
  }
  return `${lines.join('\n')}\n`;
}

function lstatIf(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch {
    return null;
  }
}

/** Whether `path` is on one of the sandbox's tmpfs, where mount itself makes the mount points. */
function underTmpfs(path: string): boolean {
  return TMPFS.some((dir) => path === dir || path.startsWith(`${dir}/`));
}

/** fstab fields escape space, tab, newline and backslash as octal. */
function escapeField(text: string): string {
  return text.replace(/[\\ \t\n]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
}
