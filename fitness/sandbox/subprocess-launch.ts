// The chain of programs through which a sandbox's init starts the candidate: join the tree's cgroup, enter the private root, drop privileges, clear the environment, exec.
import { ROOT_SETUP } from './subprocess-mounts.js';

/** The tools the chain uses, by absolute path; null where this machine lacks one (see sandboxPlan). */
export interface LaunchTools {
  sh: string;
  /** Present when the private root is used (with mount, pivot_root and umount). */
  unshare: string | null;
  mount: string | null;
  pivotRoot: string | null;
  umount: string | null;
  /** Present when no_new_privs is set and privileges are dropped by setpriv. */
  setpriv: string | null;
  /** Present when the environment is cleared by env -i rather than by spawning the chain with the program's. */
  env: string | null;
}

/** What the chain is to start, and in what. */
export interface LaunchSpec {
  /** The program (prlimit and its arguments when rlimits are on) and its arguments. */
  file: string;
  args: string[];
  env: Record<string, string>;
  /** The ids to run as; null: keep the init's. */
  ids: { uid: number; gid: number } | null;
  /** How many cgroup.procs files the chain gets, as fds 4, 5, …, to write its pid into. */
  cgroups: number;
  /** The private root to enter: the fstab built by buildRoot, the skeleton it fills, the working directory. */
  root: { fstab: string; dir: string; workdir: string } | null;
}

/** What the init spawns: the chain, the environment to spawn it with, and ids for the spawn when setpriv cannot drop them. */
export interface Launch {
  argv: string[];
  env: Record<string, string>;
  uid?: number;
  gid?: number;
}

/**
 * The chain, all of it exec'ing in one process, so that the init's child is the candidate and its
 * exit status the candidate's. Started by the init with fd 3 a pipe and fds 4… the cgroup.procs files:
 * 1. sh (root): writes its pid into each cgroup, so every process the candidate makes is counted from
 *    its first instruction, and closes those fds;
 * 2. with a private root: unshare --mount, then sh sets the root up (ROOT_SETUP); without, sh itself
 *    reports `ok` on fd 3; either way fd 3 is closed before the candidate runs;
 * 3. setpriv: the candidate's uid and gid with no supplementary groups, no_new_privs (a setuid or
 *    file-capability binary then runs with the caller's privileges), no capabilities, none to gain;
 * 4. env -i: exactly the candidate's environment (none of it reaches the root-run steps before);
 * 5. the program, under prlimit when rlimits are on.
 */
export function launchChain(tools: LaunchTools, spec: LaunchSpec): Launch {
  const fds = Array.from({ length: spec.cgroups }, (_, k) => k + 4);
  const script = [
    ...fds.map((fd) => `echo "$$" >&${fd} || { echo "ouroboros sandbox: cannot join the cgroup" >&2; exit 125; }`),
    ...(fds.length > 0 ? [`exec ${fds.map((fd) => `${fd}>&-`).join(' ')}`] : []),
    ...(spec.root === null ? ['echo ok >&3; exec 3>&-'] : []),
    'exec "$@"',
  ].join('\n');
  const argv = [tools.sh, '-c', script, 'sh'];
  if (spec.root !== null) {
    if (tools.unshare === null || tools.mount === null || tools.pivotRoot === null || tools.umount === null) throw new Error('runSubprocess: a private root needs unshare, mount, pivot_root and umount');
    argv.push(tools.unshare, '--mount', '--propagation', 'private', '--', tools.sh, '-c', ROOT_SETUP, 'sh',
      tools.mount, tools.pivotRoot, tools.umount, spec.root.fstab, spec.root.dir, spec.root.workdir);
  }
  if (tools.setpriv !== null) {
    const ids = spec.ids === null ? [] : [`--regid=${spec.ids.gid}`, `--reuid=${spec.ids.uid}`, '--clear-groups'];
    argv.push(tools.setpriv, ...ids, '--no-new-privs', '--bounding-set=-all', '--inh-caps=-all', '--');
  }
  if (tools.env === null) return { argv: [...argv, spec.file, ...spec.args], env: spec.env, ...(tools.setpriv === null ? spec.ids ?? {} : {}) };
  // env takes every leading NAME=VALUE word for a variable, so the program's path must hold no '='.
  if (spec.file.includes('=')) throw new Error(`runSubprocess: cannot run ${spec.file}: a path holding "=" would be taken for a variable`);
  const variables = Object.entries(spec.env).map(([name, value]) => `${name}=${value}`);
  return { argv: [...argv, tools.env, '-i', '--', ...variables, spec.file, ...spec.args], env: {}, ...(tools.setpriv === null ? spec.ids ?? {} : {}) };
}
