// A redis-server of the test's own (Debian's, on a free loopback port, no persistence), stopped at the end.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, Socket } from 'node:net';

const hasSetpriv = existsSync('/usr/bin/setpriv');

export const hasRedis = existsSync('/usr/bin/redis-server') || spawnSync('sh', ['-c', 'command -v redis-server']).status === 0;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => { const port = (server.address() as { port: number }).port; server.close(() => resolve(port)); });
    server.on('error', reject);
  });
}

async function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.once('error', () => resolve(false));
    socket.connect(port, '127.0.0.1', () => { socket.destroy(); resolve(true); });
  });
}

export interface TestRedis {
  port: number;
  /** redis://127.0.0.1:port, with the password when there is one. */
  url: string;
  /** Kills the server (SIGKILL: no goodbye to its clients, everything in it lost). */
  kill(): Promise<void>;
  /** Starts it again on the same port, empty. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export async function startRedis(options: { password?: string } = {}): Promise<TestRedis> {
  const port = await freePort();
  let child: ChildProcess | null = null;
  const start = async () => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...(options.password ? ['--requirepass', options.password] : [])];
    // Under setpriv --pdeathsig the kernel kills the server when this test process dies, however it dies (an ava
    // timeout, a crash, SIGKILL), so no redis-server outlives its test.
    child = hasSetpriv ? spawn('setpriv', ['--pdeathsig', 'KILL', '--', 'redis-server', ...args], { stdio: 'ignore' }) : spawn('redis-server', args, { stdio: 'ignore' });
    for (let k = 0; k < 200 && !(await answers(port)); k++) await new Promise((r) => setTimeout(r, 25));
  };
  const kill = async () => {
    const c = child;
    child = null;
    if (c === null || c.exitCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await exited;
  };
  await start();
  return { port, url: `redis://${options.password ? `:${options.password}@` : ''}127.0.0.1:${port}`, kill, start, stop: kill };
}
