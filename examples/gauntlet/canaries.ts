// Canaries that show whether a hostile candidate touched the host: a root-only secret file, a secret in the environment, a listener.
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
  const server = createServer((socket) => { connections++; socket.destroy(); });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    dir, file, secret, envSecret, port,
    connections: () => connections,
    findings(dbFiles = []) {
      const found: string[] = [];
      if (connections > 0) found.push(`${connections} connection(s) reached the listener on port ${port}`);
      const entries = readdirSync(dir);
      if (entries.join() !== 'secret.txt') found.push(`the canary folder now holds: ${entries.join(', ')}`);
      if (readFileSync(file, 'utf8') !== secret) found.push('the secret file was changed');
      if (process.env.OURO_CANARY_API_KEY !== envSecret) found.push('the host environment was changed');
      const stray = processesWith('sleep 300');
      if (stray.length > 0) found.push(`processes left behind: ${stray.join(', ')}`);
      for (const db of dbFiles) {
        let bytes: Buffer;
        try { bytes = readFileSync(db); } catch { continue; }
        for (const s of [secret, envSecret]) if (bytes.includes(s)) found.push(`${db} holds a secret`);
      }
      return found;
    },
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The placeholders of tests/hostile-corpus/ filled with these canaries. */
export function substitutions(c: Canaries): Record<string, string> {
  return { __CANARY_FILE__: c.file, __CANARY_DIR__: c.dir, __CANARY_PORT__: String(c.port) };
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
