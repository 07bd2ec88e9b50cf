// Canaries that show whether a hostile candidate touched the host: a root-only secret file, a secret in the environment, listeners (TCP, unix), a tag for leftovers.
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Canaries {
  /** A folder only its owner may enter, holding secret.txt (mode 600) and nothing else. */
  dir: string;
  file: string;
  secret: string;
  /** Set in this process's environment as OURO_CANARY_API_KEY, so worker threads and anything that inherits it see it. */
  envSecret: string;
  /** A TCP listener on 127.0.0.1 that counts the connections it receives. */
  port: number;
  connections(): number;
  /** A unix socket any user may connect to, in a folder of its own under the temporary folder, and an abstract one (this name after a NUL); both counted in `connections`. */
  socket: string;
  abstractSocket: string;
  /** A random word a candidate puts in the names of what it tries to leave behind: files in /tmp, /var/tmp, /dev/shm, /run/lock, and (as a number, `tagKey`) a System V shared memory key. */
  tag: string;
  tagKey: number;
  /** What is wrong with the host now, one line per finding; empty when untouched. */
  findings(dbFiles?: string[]): string[];
  close(): Promise<void>;
}

export async function setUpCanaries(): Promise<Canaries> {
  const dir = mkdtempSync(join(tmpdir(), 'ouroboros-canary-'));
  chmodSync(dir, 0o700);
  const secret = `file-secret-${randomBytes(8).toString('hex')}`;
  const file = join(dir, 'secret.txt');
  writeFileSync(file, secret, { mode: 0o600 });
  const envSecret = `sk-canary-${randomBytes(8).toString('hex')}`;
  process.env.OURO_CANARY_API_KEY = envSecret;
  let connections = 0;
  const listen = async (address: string | number) => {
    const server = createServer((socket) => { connections++; socket.destroy(); });
    await new Promise<void>((resolve) => (typeof address === 'number' ? server.listen(address, '127.0.0.1', resolve) : server.listen(address, resolve)));
    return server;
  };
  const server = await listen(0);
  const port = (server.address() as { port: number }).port;
  const socketDir = mkdtempSync(join(tmpdir(), 'ouroboros-canary-socket-'));
  chmodSync(socketDir, 0o755);
  const socket = join(socketDir, 'canary.sock');
  const abstractSocket = `ouroboros-canary-${randomBytes(8).toString('hex')}`;
  const unixServers = [await listen(socket), await listen(`\0${abstractSocket}`)];
  chmodSync(socket, 0o777);
  const tag = `ouroboros-canary-${randomBytes(8).toString('hex')}`;
  const tagKey = randomBytes(4).readUInt32BE() & 0x7fffffff;
  return {
    dir, file, secret, envSecret, port, socket, abstractSocket, tag, tagKey,
    connections: () => connections,
    findings(dbFiles = []) {
      const found: string[] = [];
      if (connections > 0) found.push(`${connections} connection(s) reached the listeners (port ${port}, ${socket}, @${abstractSocket})`);
      for (const folder of ['/tmp', '/var/tmp', '/dev/shm', '/run/lock']) {
        let names: string[] = [];
        try { names = readdirSync(folder); } catch { /* absent here */ }
        for (const name of names) if (name.includes(tag)) found.push(`${join(folder, name)} outlived its candidate`);
      }
      try {
        const keys = readFileSync('/proc/sysvipc/shm', 'utf8').trim().split('\n').slice(1).map((line) => Number(line.trim().split(/\s+/)[0]));
        if (keys.includes(tagKey)) found.push(`a System V shared memory segment (key ${tagKey}) outlived its candidate`);
      } catch { /* no System V IPC here */ }
      const entries = readdirSync(dir);
      if (entries.join() !== 'secret.txt') found.push(`the canary folder now holds: ${entries.join(', ')}`);
      if (readFileSync(file, 'utf8') !== secret) found.push('the secret file was changed');
      if (process.env.OURO_CANARY_API_KEY !== envSecret) found.push('the host environment was changed');
      // A sandbox torn down a moment ago (this search's, or another's on a busy machine) may still be ending its
      // processes; what an escape leaves lives its full 300 s, so only what is still there after 20 s counts.
      let stray = processesWith('sleep 300');
      for (let waited = 0; stray.length > 0 && waited < 20_000; waited += 250) {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 250);
        stray = processesWith('sleep 300');
      }
      if (stray.length > 0) found.push(`processes left behind: ${stray.join(', ')}`);
      for (const db of dbFiles) {
        let bytes: Buffer;
        try { bytes = readFileSync(db); } catch { continue; }
        for (const s of [secret, envSecret]) if (bytes.includes(s)) found.push(`${db} holds a secret`);
      }
      return found;
    },
    async close() {
      for (const s of [server, ...unixServers]) await new Promise<void>((resolve) => s.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
      rmSync(socketDir, { recursive: true, force: true });
    },
  };
}

/** The placeholders of tests/hostile-corpus/ filled with these canaries. */
export function substitutions(c: Canaries): Record<string, string> {
  return {
    __CANARY_FILE__: c.file, __CANARY_DIR__: c.dir, __CANARY_PORT__: String(c.port),
    __CANARY_SOCKET__: c.socket, __CANARY_ABSTRACT_SOCKET__: c.abstractSocket, __CANARY_TAG__: c.tag, __CANARY_TAG_KEY__: String(c.tagKey),
  };
}

/** Processes whose command line holds `needle` (read from /proc), other than this one. */
export function processesWith(needle: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try { if (readFileSync(`/proc/${name}/cmdline`, 'utf8').replaceAll('\0', ' ').includes(needle)) found.push(Number(name)); } catch { /* gone */ }
  }
  return found;
}
