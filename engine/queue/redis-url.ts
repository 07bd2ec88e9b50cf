// A Redis URL as the queue uses it: parsed into connection options, and shown or stored without its password.
import { ConfigError } from '../../common/errors.js';

export interface RedisConnection {
  host: string;
  port: number;
  username?: string;
  password?: string;
  db: number;
  tls?: Record<string, never>;
}

/** redis://[user[:password]@]host[:port][/db] or rediss:// (TLS); `where` names the flag or config field in errors. */
export function parseRedisUrl(url: string, where: string): RedisConnection {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ConfigError(where, [`not a URL: ${redactUrl(url)} (expected redis://host:port or rediss://host:port)`]);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new ConfigError(where, [`must start with redis:// or rediss:// (got ${u.protocol}//)`]);
  const db = u.pathname === '' || u.pathname === '/' ? 0 : Number(u.pathname.slice(1));
  if (!(Number.isInteger(db) && db >= 0)) throw new ConfigError(where, [`the database after the host must be a number (got ${u.pathname.slice(1)})`]);
  const password = u.password !== '' ? decodeURIComponent(u.password) : process.env.OUROBOROS_REDIS_PASSWORD || undefined;
  return {
    host: u.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1',
    port: u.port === '' ? 6379 : Number(u.port),
    ...(u.username !== '' ? { username: decodeURIComponent(u.username) } : {}),
    ...(password !== undefined ? { password } : {}),
    db,
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}

/**
 * The URL with any password replaced by ***: what logs, status and the run file may show. Everything between the
 * scheme's // and the last @ is the user and password, even where the password holds / or @ (then the text is
 * not a valid URL, and this is the only place it must still be hidden).
 */
export function redactUrl(url: string): string {
  const start = url.indexOf('//');
  const at = url.lastIndexOf('@');
  if (start < 0 || at < start) return url;
  const userinfo = url.slice(start + 2, at);
  const colon = userinfo.indexOf(':');
  return colon < 0 ? url : `${url.slice(0, start + 2)}${userinfo.slice(0, colon)}:***${url.slice(at)}`;
}

/**
 * Checks the server answers and takes the password before the long-lived connections are made: a probe connection
 * that never reconnects (so a refused password leaves nothing behind to fail again later), closed before returning.
 */
export async function probeRedis(url: string, where: string, open: (connection: RedisConnection & Record<string, unknown>) => { client: Promise<{ ping(): Promise<unknown> }>; on(event: 'error', listener: (e: Error) => void): unknown; close(): Promise<void> }): Promise<void> {
  const probe = open({ ...parseRedisUrl(url, where), maxRetriesPerRequest: 1, retryStrategy: () => null, enableOfflineQueue: true, connectTimeout: 10_000 });
  try {
    await connected((async () => { await (await probe.client).ping(); })(), [probe], url, where);
  } finally {
    // Its connection reports a failed start as an 'error' event once the start settles: wait for that while the
    // probe still listens, then close (a close first would leave that event with no listener, and crash).
    await probe.client.catch(() => {});
    await probe.close().catch(() => {});
  }
}

/**
 * Waits for `ready`, failing fast on a refused password and after 10 s without an answer, with a ConfigError that
 * names the server (never the password) and the reason. `sources` are the BullMQ objects whose 'error' events tell.
 */
export async function connected(ready: Promise<unknown>, sources: ReadonlyArray<{ on(event: 'error', listener: (e: Error) => void): unknown }>, url: string, where: string): Promise<void> {
  let last = '';
  let fail: (e: Error) => void = () => {};
  const failed = new Promise<never>((_, reject) => { fail = reject; });
  failed.catch(() => {});
  for (const s of sources) {
    s.on('error', (e) => {
      last = e.message;
      if (/WRONGPASS|NOAUTH|invalid password|invalid username-password/i.test(e.message)) fail(e);
    });
  }
  const timer = setTimeout(() => fail(new Error(last || 'no answer within 10 s')), 10_000);
  try {
    await Promise.race([ready, failed]);
  } catch (error) {
    const message = (error as Error).message.split('\n')[0]!;
    const why = /WRONGPASS|NOAUTH|AUTH|password/i.test(message) ? `authentication failed (${message})` : `cannot reach it: ${message}`;
    throw new ConfigError(where, [`Redis at ${redactUrl(url)}: ${why}`]);
  } finally {
    clearTimeout(timer);
  }
}
