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

/** The URL with any password replaced by ***: what logs, status and the run file may show. */
export function redactUrl(url: string): string {
  return url.replace(/^(\w+:\/\/[^:@/]*:)[^@/]*@/, '$1***@');
}
