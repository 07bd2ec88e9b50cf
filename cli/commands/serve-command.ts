// `ouroboros serve`: the report's views, live, while a search writes the database; read-only, bound to 127.0.0.1 by default.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { reportData, type ReportData } from '../../engine/output/report-data.js';
import { ConfigError } from '../../common/errors.js';
import { RunReader } from '../../engine/output/run-reader.js';
import { reportPage } from '../report/report-page.js';

export interface ServeArgs {
  db: string;
  port: number;
  host: string;
  /** How often the page asks for new data, in milliseconds. */
  intervalMs: number;
}

/**
 * Serves `/` (the live page), `/data.json` (the report's data) and `/variant/<id>` (one variant's files,
 * evaluation and lineage as JSON). The data is rebuilt at most once per `intervalMs`, and only when the
 * run has committed since: a reader never blocks the writer (SQLite WAL), and the search process pays
 * nothing for it. Resolves when the server stops (SIGINT or SIGTERM).
 */
export async function serveCommand(args: ServeArgs): Promise<number> {
  const reader = RunReader.open(args.db);
  let cached: { key: string; data: ReportData; at: number } | null = null;
  const current = (): ReportData => {
    const now = Date.now();
    if (cached !== null && now - cached.at < args.intervalMs) return cached.data;
    const key = reader.progressKey();
    if (cached === null || cached.key !== key) cached = { key, data: reportData(reader), at: now };
    else cached.at = now;
    return cached.data;
  };
  const send = (res: ServerResponse, status: number, type: string, body: string) => {
    res.writeHead(status, { 'content-type': `${type}; charset=utf-8`, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
    res.end(body);
  };
  const loopback = ['127.0.0.1', 'localhost', '::1', '[::1]'].includes(args.host);
  let allowedHosts = new Set<string>();
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    try {
      // A page elsewhere could rebind its own name to 127.0.0.1 and read the run (DNS rebinding): on a
      // loopback address only requests naming a loopback host are answered.
      if (loopback && !allowedHosts.has((req.headers.host ?? '').toLowerCase())) return send(res, 421, 'text/plain', `unknown Host ${JSON.stringify(req.headers.host ?? '')}: use http://127.0.0.1 or http://localhost\n`);
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (req.method !== 'GET') return send(res, 405, 'text/plain', 'only GET\n');
      if (url.pathname === '/') return send(res, 200, 'text/html', reportPage(current(), { url: 'data.json', intervalMs: args.intervalMs }));
      if (url.pathname === '/data.json') return send(res, 200, 'application/json', JSON.stringify(current()));
      const variant = /^\/variant\/([0-9a-f]{1,64})$/.exec(url.pathname);
      if (variant) {
        const shown = reader.variant(variant[1]!);
        return 'error' in shown ? send(res, 404, 'text/plain', `${shown.error}\n`) : send(res, 200, 'application/json', JSON.stringify(shown, null, 2));
      }
      return send(res, 404, 'text/plain', 'not found: try / or /data.json\n');
    } catch (error) {
      return send(res, 500, 'text/plain', `${(error as Error).message}\n`);
    }
  };
  const server = createServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(args.port, args.host, () => resolve());
  }).catch((error: NodeJS.ErrnoException) => {
    reader.close();
    const why = error.code === 'EADDRINUSE' ? 'the port is in use (choose another with --port, or 0 for any free port)' : error.code === 'EACCES' ? 'permission denied' : error.message;
    throw new ConfigError('--port', [`cannot listen on ${args.host}:${args.port}: ${why}`]);
  });
  const { port } = server.address() as AddressInfo;
  allowedHosts = new Set(['127.0.0.1', 'localhost', '[::1]'].map((h) => `${h}:${port}`));
  process.stdout.write(`serving ${reader.path} at http://${args.host === '::' || args.host === '0.0.0.0' ? 'localhost' : args.host}:${port}/ (live, read-only; Ctrl-C stops)\n`);
  await new Promise<void>((resolve) => {
    const stop = () => { server.close(() => resolve()); server.closeAllConnections(); };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  reader.close();
  return 0;
}
