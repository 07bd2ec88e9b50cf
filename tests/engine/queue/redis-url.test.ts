// Redis URLs as the queue reads them: parsed into connection options, and never shown with their password, even
// where the password makes the text an invalid URL.
import test from 'ava';
import { parseRedisUrl, redactUrl } from '../../../engine/queue/redis-url.js';
import { ConfigError } from '../../../common/errors.js';

test('redactUrl hides the password and keeps the rest, for valid and invalid URLs alike', (t) => {
  t.is(redactUrl('redis://:secret@10.0.0.5:6379/2'), 'redis://:***@10.0.0.5:6379/2');
  t.is(redactUrl('rediss://alice:secret@host'), 'rediss://alice:***@host');
  t.is(redactUrl('redis://:se/cret@host:6379'), 'redis://:***@host:6379');
  t.is(redactUrl('redis://:p@ss@host'), 'redis://:***@host');
  t.is(redactUrl('redis://alice@host'), 'redis://alice@host');
  t.is(redactUrl('redis://host:6379'), 'redis://host:6379');
});

test('parseRedisUrl reads host, port, user, password, database and TLS; a bad URL is a ConfigError naming the field without the password', (t) => {
  t.deepEqual(parseRedisUrl('rediss://alice:s%40cret@10.0.0.5:6380/3', '--queue'), { host: '10.0.0.5', port: 6380, username: 'alice', password: 's@cret', db: 3, tls: {} });
  t.deepEqual(parseRedisUrl('redis://localhost', '--queue'), { host: 'localhost', port: 6379, db: 0 });
  const bad = t.throws(() => parseRedisUrl('redis://:se/cret@host', '--queue'), { instanceOf: ConfigError });
  t.false(bad!.message.includes('se/cret'));
  t.regex(t.throws(() => parseRedisUrl('http://host', 'evaluation.queue.url'))!.message, /evaluation\.queue\.url: must start with redis:\/\/ or rediss:\/\//);
  t.regex(t.throws(() => parseRedisUrl('redis://host/x', '--queue'))!.message, /the database after the host must be a number/);
});
