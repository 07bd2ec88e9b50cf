// A model of a cgroup v2 hierarchy for findCgroupPlace's tests: its files and the no-internal-processes rule, without the machine's cgroups.
import { basename, dirname } from 'node:path';
import type { CgroupFs } from '../../fitness/sandbox/subprocess-cgroup.js';

const POINT = '/sys/fs/cgroup';

function fail(code: string): never {
  throw Object.assign(new Error(code), { code });
}

/**
 * A cgroup v2 hierarchy mounted at /sys/fs/cgroup, seen by process `pid`. Each cgroup, by its path
 * ('' the root, '/system.slice'…), holds processes and may give memory and pids to its children. As
 * the kernel does, it refuses (EBUSY) to enable controllers for the children of a non-root cgroup
 * holding processes, and to move a process into one that has them enabled.
 */
export class FakeCgroupV2 implements CgroupFs {
  private readonly groups = new Map<string, { procs: string[]; gives: boolean }>();

  constructor(groups: Record<string, { procs?: number[]; gives?: boolean }>, private readonly pid: number) {
    for (const [path, group] of Object.entries(groups)) this.groups.set(POINT + path, { procs: (group.procs ?? []).map(String), gives: group.gives ?? false });
  }

  /** The cgroup a process is in, as /proc/<pid>/cgroup says it. */
  of(pid: number): string {
    for (const [dir, group] of this.groups) if (group.procs.includes(String(pid))) return dir.slice(POINT.length) || '/';
    return fail('ESRCH');
  }

  /** The cgroups' paths. */
  paths(): string[] {
    return [...this.groups.keys()].map((dir) => dir.slice(POINT.length));
  }

  read(path: string): string {
    if (path === '/proc/self/mountinfo') return `40 30 0:37 / ${POINT} rw,relatime - cgroup2 cgroup2 rw\n`;
    if (path === '/proc/self/cgroup') return `0::${this.of(this.pid)}\n`;
    const group = this.groups.get(dirname(path)) ?? fail('ENOENT');
    if (basename(path) === 'cgroup.procs') return group.procs.join('\n');
    if (basename(path) === 'cgroup.subtree_control') return group.gives ? 'memory pids\n' : '\n';
    if (basename(path) === 'cgroup.controllers') return 'cpu io memory pids\n';
    return fail('ENOENT');
  }

  write(path: string, text: string): void {
    const dir = dirname(path);
    const group = this.groups.get(dir) ?? fail('ENOENT');
    if (basename(path) === 'cgroup.subtree_control') {
      if (dir !== POINT && group.procs.length > 0) fail('EBUSY');
      group.gives = true;
    } else if (basename(path) === 'cgroup.procs') {
      if (dir !== POINT && group.gives) fail('EBUSY');
      for (const other of this.groups.values()) other.procs = other.procs.filter((p) => p !== text.trim());
      group.procs.push(text.trim());
    } else {
      fail('EACCES');
    }
  }

  mkdir(path: string): void {
    if (this.groups.has(path)) fail('EEXIST');
    if (!this.groups.has(dirname(path))) fail('ENOENT');
    this.groups.set(path, { procs: [], gives: false });
  }

  rmdir(path: string): void {
    if ((this.groups.get(path)?.procs.length ?? 0) > 0) fail('EBUSY');
    this.groups.delete(path);
  }
}
