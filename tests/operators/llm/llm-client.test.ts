// Tests of LlmClient through the real openai client against a loopback HTTP server: answers, retries, timeouts, limits, the failure stop, the key.
import test from 'ava';
import { inspect } from 'node:util';
import type { LlmAttemptFailure, LlmResult } from '../../../operators/llm/llm-client.js';
import { LlmEndpointError } from '../../../operators/llm/llm-errors.js';
import { retryAfterFromHeaders } from '../../../operators/llm/retry-policy.js';
import { apiKey, clientFor, messages, withServer } from '../../helpers/llm-client-setup.js';
import type { Behaviour } from '../../helpers/openai-loopback-server.js';

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
  // Every later request is answered at once; on a loaded machine one of them may still be cut by the
  // same timeout and retried, so the count is at least 2 and always equal to what the server saw.
  await withServer([{ hang: true }, { answer: 'not hanging this time' }, { answer: 'not hanging this time' }, { answer: 'not hanging this time' }], async (server) => {
    const started = performance.now();
    const result = await clientFor(server, { requestTimeoutMs: 1_000, maxRetries: 3 }).complete({ messages });
    t.like(result, { ok: true, text: 'not hanging this time' });
    t.true(result.attempts >= 2);
    t.is(server.requests.length, result.attempts);
    // The retry cannot start before the first request has waited its full timeout (a one-sided bound: load only delays).
    const retried = server.requests[1]!.receivedAt - started;
    t.true(retried >= 1_000, `retried ${retried.toFixed(0)} ms after the call`);
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
  await withServer([{ status: 500, message: 'busy' }], async (server) => {
    const client = clientFor(server, { requestsPerMinute: 200, maxInFlight: 8 });
    const called = performance.now();
    const results = await Promise.all(Array.from({ length: 4 }, () => client.complete({ messages })));
    t.true(results.every((r) => r.ok));
    t.is(server.requests.length, 5, 'four calls and one retry');
    // 200 a minute: one start every 300 ms, so the fifth start is at least 1200 ms after the calls were made.
    // A request arrives after it starts, however loaded the machine, so this bound needs no slack.
    const last = Math.max(...server.requests.map((r) => r.receivedAt));
    t.true(last - called >= 1200, `the fifth request arrived ${(last - called).toFixed(0)} ms after the calls`);
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

/** Bodies a 200 may carry that are not a chat completion, with what the failure must say. */
const notCompletions: Array<{ name: string; behaviour: Behaviour; says: RegExp }> = [
  { name: 'no choices', behaviour: { raw: '{"id":"x","object":"chat.completion","model":"m"}' }, says: /without "choices"/ },
  { name: 'an empty choices list', behaviour: { raw: '{"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":0}}' }, says: /empty "choices"/ },
  { name: 'choices[0] without a message', behaviour: { raw: '{"choices":[{"index":0,"finish_reason":"stop"}]}' }, says: /choices\[0\] without a message/ },
  { name: 'an error object', behaviour: { raw: '{"error":{"message":"upstream model crashed","type":"server_error"}}' }, says: /error object \(upstream model crashed\)/ },
  { name: 'an HTML page', behaviour: { raw: '<!DOCTYPE html><html><body><h1>Bad Gateway</h1></body></html>', contentType: 'text/html' }, says: /HTML page.*Bad Gateway/ },
  { name: 'an HTML page sent as JSON', behaviour: { raw: '<html>proxy login</html>' }, says: /HTML page/ },
  { name: 'an event stream', behaviour: { raw: 'data: {"choices":[{"delta":{"content":"hi"}}]}\n\ndata: [DONE]\n\n', contentType: 'text/event-stream' }, says: /event stream/ },
  { name: 'invalid JSON', behaviour: { raw: 'definitely not json' }, says: /not JSON/ },
  { name: 'malformed JSON', behaviour: { raw: '{"choices": [{"message": ' }, says: /cut off or malformed/ },
  { name: 'an empty body', behaviour: { raw: '' }, says: /empty body/ },
  { name: 'a body cut off mid-way', behaviour: { truncate: '{"id":"x","choices":[{"index":0,"message":{"role":"assistant","content":"def f' }, says: /cut off/ },
];

for (const { name, behaviour, says } of notCompletions) {
  test(`a 200 with ${name} is a retried bad-response failure, reported with what it was`, async (t) => {
    await withServer([behaviour, { answer: 'a real answer' }], async (server) => {
      const attempts: LlmAttemptFailure[] = [];
      const result = await clientFor(server).complete({ messages, onAttempt: (a) => attempts.push(a) });
      t.like(result, { ok: true, text: 'a real answer', attempts: 2 });
      t.is(server.requests.length, 2);
      t.is(attempts.length, 1);
      t.like(attempts[0], { attempt: 1, reason: 'bad-response', status: 200 });
      t.regex(attempts[0]!.message, says);
      t.true(attempts[0]!.message.length < 400, attempts[0]!.message);
    });
    await withServer([], async (server) => {
      const result = await clientFor(server, { maxRetries: 1 }).complete({ messages });
      t.like(result, { ok: false, reason: 'bad-response', status: 200, attempts: 2 });
      t.regex(result.ok ? '' : result.message, says);
      t.is(server.requests.length, 2);
    }, behaviour);
  });
}

test('the tokens of a 200 that is no answer are kept', async (t) => {
  await withServer([], async (server) => {
    const result = await clientFor(server, { maxRetries: 0 }).complete({ messages });
    t.like(result, { ok: false, reason: 'bad-response', tokensIn: 5, tokensOut: 0 });
  }, { raw: '{"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":0}}' });
});

test('finish_reason is returned: an answer cut off at the token limit says "length"', async (t) => {
  await withServer([{ answer: 'def f(x):\n    return', finishReason: 'length' }, { answer: null, finishReason: 'length', completionTokens: 256 }, { answer: 'whole' }], async (server) => {
    const client = clientFor(server);
    t.like(await client.complete({ messages }), { ok: true, text: 'def f(x):\n    return', finishReason: 'length', refusal: null });
    // A reasoning model that spent every token thinking: no content, but the caller learns why, and the tokens count.
    t.like(await client.complete({ messages }), { ok: true, text: '', finishReason: 'length', tokensOut: 256 });
    t.like(await client.complete({ messages }), { ok: true, text: 'whole', finishReason: 'stop' });
  });
});

test('a refusal with null content is an answer that carries the refusal text', async (t) => {
  await withServer([{ answer: null, refusal: 'I cannot help with that.' }], async (server) => {
    t.like(await clientFor(server).complete({ messages }), { ok: true, text: '', refusal: 'I cannot help with that.', finishReason: 'stop' });
  });
});

test('tool calls with null content are returned as text naming each call and its arguments', async (t) => {
  const toolCalls = [{ name: 'edit_file', arguments: '{"path":"program.js"}' }, { name: 'run_tests', arguments: '{}' }];
  await withServer([{ answer: null, toolCalls, finishReason: 'tool_calls' }], async (server) => {
    const result = await clientFor(server).complete({ messages });
    t.like(result, { ok: true, finishReason: 'tool_calls', text: '[tool call] edit_file({"path":"program.js"})\n[tool call] run_tests({})' });
  });
});

test('null content with neither refusal, tool calls nor a cut-off is an empty-answer failure naming the finish reason', async (t) => {
  await withServer([{ answer: null, finishReason: 'content_filter' }], async (server) => {
    const result = await clientFor(server).complete({ messages });
    t.like(result, { ok: false, reason: 'empty-answer', attempts: 1 });
    t.regex(result.ok ? '' : result.message, /finish_reason: content_filter/);
  });
});

test('per-request settings reach the body: no temperature when null, max_completion_tokens, reasoning_effort, top_p, extra body', async (t) => {
  await withServer([], async (server) => {
    const client = clientFor(server);
    await client.complete({ messages, temperature: null, maxCompletionTokens: 5000, reasoningEffort: 'high', topP: 0.9, extraBody: { verbosity: 'low', stream: true, model: 'hijack' } });
    const body = server.requests[0]!.body;
    t.false('temperature' in body);
    t.false('max_tokens' in body);
    t.like(body, { model: 'loop-model', max_completion_tokens: 5000, reasoning_effort: 'high', top_p: 0.9, verbosity: 'low' });
    // The fields the client owns are not taken from the extra body.
    t.false('stream' in body);
    await client.complete({ messages });
    t.like(server.requests[1]!.body, { temperature: 0.7, max_tokens: 256 });
    t.false('max_completion_tokens' in server.requests[1]!.body);
  }, { answer: 'ok' });
});

test('the call whose failure stops the client is reported through onAttempt, so every request is accounted for', async (t) => {
  await withServer([], async (server) => {
    const client = clientFor(server, { maxRetries: 1, consecutiveFailureLimit: 1 });
    const attempts: LlmAttemptFailure[] = [];
    await t.throwsAsync(client.complete({ messages, onAttempt: (a) => attempts.push(a) }), { instanceOf: LlmEndpointError });
    t.is(server.requests.length, 2);
    t.like(attempts, [{ attempt: 1, reason: 'server-error', status: 502 }, { attempt: 2, reason: 'server-error', status: 502 }]);
  }, { status: 502, message: 'bad gateway' });
});

test('a 502 whose body is an HTML page is reported with a short excerpt', async (t) => {
  const page = `<html><head><title>502 Bad Gateway</title></head><body>${'<p>nginx</p>'.repeat(500)}</body></html>`;
  await withServer([], async (server) => {
    const result = await clientFor(server, { maxRetries: 0 }).complete({ messages });
    t.like(result, { ok: false, reason: 'server-error', status: 502 });
    t.true(!result.ok && result.message.length <= 410 && result.message.includes('502 Bad Gateway'), result.ok ? '' : result.message);
  }, { raw: page, status: 502, contentType: 'text/html' });
});
