// `ouroboros serve` without a browser: it answers only loopback Host names, and a port in use is a clean error.
import test from 'ava';
import { request } from 'node:http';
import { join } from 'node:path';
import { runCli, sphereConfig, startCli, tempDir } from '../helpers/cli.js';

function get(port: number, path: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host } }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => { body += d.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function serve(db: string, extra: string[] = []): Promise<{ port: number; stop: () => Promise<unknown> }> {
  const s = startCli(['serve', db, ...extra]);
  const port = await new Promise<number>((resolve, reject) => {
    let text = '';
    s.child.stdout!.on('data', (b: Buffer) => { text += b.toString(); const m = /:(\d+)\/ \(live/.exec(text); if (m) resolve(Number(m[1])); });
    void s.done.then((r) => reject(new Error(`serve exited: ${r.stderr}`)));
  });
  return { port, stop: () => { s.child.kill('SIGINT'); return s.done; } };
}

test('serve answers loopback names only (no DNS rebinding), serves data.json and variants, and a port in use is exit 2', async (t) => {
  const db = join(tempDir(), 'run.sqlite');
  t.is((await runCli(['run', sphereConfig, '--db', db, '--workers', '2', '--max-iterations', '30', '--quiet'])).code, 0);
  const server = await serve(db, ['--port', '0']);
  try {
    const data = await get(server.port, '/data.json', `127.0.0.1:${server.port}`);
    t.is(data.status, 200);
    const parsed = JSON.parse(data.body);
    t.is(parsed.run.iterations, 30);
    t.is((await get(server.port, '/', `localhost:${server.port}`)).status, 200);
    const id = parsed.archive.elites[0].variantId as string;
    const variant = await get(server.port, `/variant/${id}`, `localhost:${server.port}`);
    t.is(JSON.parse(variant.body).variant.id, id);
    t.is((await get(server.port, '/variant/../../etc/passwd', `localhost:${server.port}`)).status, 404);
    const rebound = await get(server.port, '/data.json', `evil.example.com:${server.port}`);
    t.is(rebound.status, 421);
    t.false(rebound.body.includes(id));
    const busy = await runCli(['serve', db, '--port', String(server.port)]);
    t.is(busy.code, 2);
    t.regex(busy.stderr, /--port: cannot listen on 127\.0\.0\.1:\d+: the port is in use/);
  } finally {
    await server.stop();
  }
});
