// Tests of LlmClient through the real openai client against a loopback HTTP server: answers, retries, timeouts, limits, the failure stop, the key.
import test from 'ava';
import { inspect } from 'node:util';
import { LlmClient, type LlmAttemptFailure, type LlmClientOptions, type LlmResult } from '../../../operators/llm/llm-client.js';
import { LlmEndpointError } from '../../../operators/llm/llm-errors.js';
import { retryAfterFromHeaders } from '../../../operators/llm/retry-policy.js';
import { startOpenAiLoopback, type Behaviour, type LoopbackServer, type Script } from '../../helpers/openai-loopback-server.js';

const apiKey = 'sk-loopback-Zq9x-DO-NOT-LEAK-4f1e';
const messages = [{ role: 'user' as const, content: 'Improve this function.' }];

function clientFor(server: LoopbackServer, options: Partial<LlmClientOptions> = {}): LlmClient {
  return new LlmClient({
    baseURL: server.baseURL, apiKey, model: 'loop-model', temperature: 0.7, maxTokens: 256,
    requestTimeoutMs: 5_000, maxRetries: 2, maxInFlight: 4, consecutiveFailureLimit: 5, baseDelayMs: 10,
    ...options,
  });
}

async function withServer(script: Script, run: (server: LoopbackServer) => Promise<void>, fallback?: Behaviour): Promise<void> {
  const server = await startOpenAiLoopback(script, fallback);
  try {
    await run(server);
  } finally {
    await server.close();
  }
}

test('complete() returns the answer, the model and the token counts, and sends the request as configured', async (t) => {
  await withServer([{ answer: 'def f(x): return 2 * x', model: 'loop-model-2026', promptTokens: 123, completionTokens: 45 }], async (server) => {
    const result = await clientFor(server).complete({ messages });
    t.like(result, { ok: true, text: 'def f(x): return 2 * x', model: 'loop-model-2026', tokensIn: 123, tokensOut: 45, attempts: 1 });
    t.true(result.ok && result.latencyMs >= 0);
    t.is(server.requests.length, 1);
    t.like(server.requests[0]!.body, { model: 'loop-model', temperature: 0.7, max_tokens: 256, messages });
  });
});

test('the model and temperature of a call override the client defaults', async (t) => {
  await withServer([{ answer: 'x' }], async (server) => {
    await clientFor(server).complete({ messages, model: 'other-model', temperature: 1.3 });
    t.like(server.requests[0]!.body, { model: 'other-model', temperature: 1.3 });
  });
});

test('a 429 with Retry-After: 1 is retried after the second the server asked for', async (t) => {
  await withServer([{ status: 429, retryAfter: '1', message: 'slow down' }, { answer: 'after the pause' }], async (server) => {
    const result = await clientFor(server).complete({ messages });
    t.like(result, { ok: true, text: 'after the pause', attempts: 2 });
    t.is(server.requests.length, 2);
    const gap = server.requests[1]!.receivedAt - server.requests[0]!.receivedAt;
    t.true(gap >= 900, `retried after ${gap.toFixed(0)} ms`);
  });
});

test('a 500 is retried and the next answer is returned', async (t) => {
  await withServer([{ status: 500, message: 'boom' }, { answer: 'second time lucky' }], async (server) => {
    const result = await clientFor(server).complete({ messages });
    t.like(result, { ok: true, text: 'second time lucky', attempts: 2 });
    t.is(server.requests.length, 2);
  });
});

test('a 400 is not retried and is reported with its status and message', async (t) => {
  await withServer([{ status: 400, message: 'context too long' }], async (server) => {
    const result = await clientFor(server).complete({ messages });
    t.deepEqual(result, { ok: false, reason: 'bad-request', status: 400, message: 'context too long', attempts: 1 });
    t.is(server.requests.length, 1);
  });
});

test('retries stop after maxRetries and the last failure is reported', async (t) => {
  await withServer([], async (server) => {
    const result = await clientFor(server, { maxRetries: 2 }).complete({ messages });
    t.like(result, { ok: false, reason: 'server-error', status: 503, message: 'overloaded', attempts: 3 });
    t.is(server.requests.length, 3);
  }, { status: 503, message: 'overloaded' });
});

test('an answer that hangs is cut by requestTimeoutMs and retried', async (t) => {
  await withServer([{ hang: true }, { answer: 'not hanging this time' }], async (server) => {
    const started = performance.now();
    const result = await clientFor(server, { requestTimeoutMs: 300 }).complete({ messages });
    t.like(result, { ok: true, text: 'not hanging this time', attempts: 2 });
    t.is(server.requests.length, 2);
    const gap = server.requests[1]!.receivedAt - server.requests[0]!.receivedAt;
    // The client's clock starts before the server has the body, so the gap may fall a little short of 300 ms.
    t.true(gap >= 250 && performance.now() - started < 3_000, `retried after ${gap.toFixed(0)} ms`);
  });
});

test('an endpoint that always hangs gives a timeout failure', async (t) => {
  await withServer([], async (server) => {
    const result = await clientFor(server, { requestTimeoutMs: 150, maxRetries: 1 }).complete({ messages });
    t.like(result, { ok: false, reason: 'timeout', attempts: 2 });
    t.false('status' in result);
  }, { hang: true });
});

test('with maxInFlight 2 the server never sees more than 2 requests at once', async (t) => {
  await withServer([], async (server) => {
    const client = clientFor(server, { maxInFlight: 2 });
    const started = performance.now();
    const results = await Promise.all(Array.from({ length: 6 }, () => client.complete({ messages })));
    const elapsed = performance.now() - started;
    t.true(results.every((r) => r.ok));
    t.is(server.requests.length, 6);
    t.is(server.maxConcurrent(), 2);
    // Three waves of 200 ms: more parallelism would finish sooner.
    t.true(elapsed >= 580, `took ${elapsed.toFixed(0)} ms`);
  }, { answer: 'slow', delayMs: 200 });
});

test('requestsPerMinute spaces request starts across concurrent calls, retries included', async (t) => {
  await withServer([{ answer: 'warm-up' }, { status: 500, message: 'busy' }], async (server) => {
    // A first call through another client pays the SDK's one-time set-up, which would otherwise delay the first
    // measured arrival and shorten the span.
    await clientFor(server).complete({ messages });
    const client = clientFor(server, { requestsPerMinute: 200, maxInFlight: 8 });
    const results = await Promise.all(Array.from({ length: 4 }, () => client.complete({ messages })));
    t.true(results.every((r) => r.ok));
    t.is(server.requests.length, 6, 'the warm-up, four calls and one retry');
    const arrivals = server.requests.slice(1).map((r) => r.receivedAt).sort((a, b) => a - b);
    // 200 a minute: one start every 300 ms, so five starts span at least 1200 ms. Arrivals at the server
    // also carry each connection's set-up, which can delay one by tens of ms on a loaded machine: hence the slack.
    const span = arrivals.at(-1)! - arrivals[0]!;
    t.true(span >= 1000, `five requests arrived within ${span.toFixed(0)} ms`);
  });
});

test('consecutive failed calls throw LlmEndpointError naming what the endpoint answered', async (t) => {
  await withServer([], async (server) => {
    const client = clientFor(server, { maxRetries: 1, consecutiveFailureLimit: 3 });
    t.like(await client.complete({ messages }), { ok: false, status: 503 });
    t.like(await client.complete({ messages }), { ok: false, status: 503 });
    const error = await t.throwsAsync(client.complete({ messages }), { instanceOf: LlmEndpointError });
    t.is(error.code, 'E_LLM_ENDPOINT');
    t.is(error.status, 503);
    t.regex(error.message, /3 calls in a row.*503.*upstream overloaded/);
    t.is(server.requests.length, 6);
    // Once stopped, the client does not send anything more.
    await t.throwsAsync(client.complete({ messages }), { instanceOf: LlmEndpointError });
    t.is(server.requests.length, 6);
  }, { status: 503, message: 'upstream overloaded' });
});

test('a success resets the count of consecutive failures', async (t) => {
  const script: Behaviour[] = [{ status: 400 }, { status: 400 }, { answer: 'fine' }, { status: 400 }, { status: 400 }];
  await withServer(script, async (server) => {
    const client = clientFor(server, { consecutiveFailureLimit: 3 });
    const results: LlmResult[] = [];
    for (let i = 0; i < 5; i++) results.push(await client.complete({ messages }));
    t.deepEqual(results.map((r) => r.ok), [false, false, true, false, false]);
  });
});

test('an abort during a Retry-After backoff returns promptly as aborted and does not count as a failure', async (t) => {
  await withServer([{ status: 429, retryAfter: '5' }], async (server) => {
    const client = clientFor(server, { consecutiveFailureLimit: 1 });
    const controller = new AbortController();
    const attempts: LlmAttemptFailure[] = [];
    const pending = client.complete({ messages, signal: controller.signal, onAttempt: (a) => attempts.push(a) });
    // Abort once the 429 has been answered and the client sits in its 5 s Retry-After pause.
    await server.waitForRequests(1);
    while (attempts.length === 0) await new Promise((r) => setImmediate(r));
    const started = performance.now();
    controller.abort();
    const result = await pending;
    t.like(result, { ok: false, reason: 'aborted' });
    t.true(performance.now() - started < 1_500);
    t.is(server.requests.length, 1);
    t.like(attempts, [{ attempt: 1, reason: 'rate-limited', status: 429 }]);
  });
});

test('an abort while a request is in flight or waiting for a slot ends those calls as aborted', async (t) => {
  await withServer([], async (server) => {
    const client = clientFor(server, { maxInFlight: 1, consecutiveFailureLimit: 1 });
    const controller = new AbortController();
    const attempts: LlmAttemptFailure[] = [];
    const pending = Promise.all([1, 2].map(() => client.complete({ messages, signal: controller.signal, onAttempt: (a) => attempts.push(a) })));
    await server.waitForRequests(1);
    const started = performance.now();
    controller.abort();
    const results = await pending;
    t.deepEqual(results.map((r) => r.ok ? 'ok' : r.reason), ['aborted', 'aborted']);
    t.true(performance.now() - started < 1_500);
    // The second call never got the slot, so only one request reached the server, and only it is reported.
    t.is(server.requests.length, 1);
    t.like(attempts, [{ attempt: 1, reason: 'aborted' }]);
    t.is(attempts.length, 1);
  }, { hang: true });
});

test('the API key is sent as the bearer token and appears in no result or error', async (t) => {
  const echo = `Incorrect API key provided: ${apiKey}. You can find your API key at https://example.invalid.`;
  await withServer([{ answer: 'hi' }], async (server) => {
    const client = clientFor(server, { maxRetries: 0, consecutiveFailureLimit: 2 });
    const answer = await client.complete({ messages });
    t.true(answer.ok);
    t.is(server.requests[0]!.headers.authorization, `Bearer ${apiKey}`);
    const failure = await client.complete({ messages });
    t.like(failure, { ok: false, reason: 'auth', status: 401 });
    const error = await t.throwsAsync(client.complete({ messages }), { instanceOf: LlmEndpointError });
    t.regex(error.message, /401.*Incorrect API key provided: \[redacted\]/);
    for (const seen of [JSON.stringify(answer), JSON.stringify(failure), error.message, inspect(error, { depth: 10 }), String(error.stack)]) {
      t.false(seen.includes(apiKey), seen);
    }
  }, { status: 401, message: echo });
});

test('Retry-After is read as seconds, as an HTTP date, and as retry-after-ms', (t) => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  const headers = (h: Record<string, string>) => (name: string) => h[name];
  t.is(retryAfterFromHeaders(headers({ 'retry-after': '2' }), now), 2_000);
  t.is(retryAfterFromHeaders(headers({ 'retry-after': 'Thu, 01 Jan 2026 00:00:03 GMT' }), now), 3_000);
  t.is(retryAfterFromHeaders(headers({ 'retry-after-ms': '250', 'retry-after': '9' }), now), 250);
  t.is(retryAfterFromHeaders(headers({ 'retry-after': 'soon' }), now), undefined);
  t.is(retryAfterFromHeaders(headers({}), now), undefined);
});
