// Tests of LlmGateway on a real run file and a real LlmClient against a loopback server: the ledger, the answer cache, usage per iteration, replay, the key.
import test, { type ExecutionContext } from 'ava';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { OuroborosError } from '../../../common/errors.js';
import { LlmGateway, ReplayError, requestKey, type Price } from '../../../engine/llm/llm-gateway.js';
import { RunStore } from '../../../engine/store/run-store.js';
import { LlmClient, type LlmMessage } from '../../../operators/llm/llm-client.js';
import { LlmEndpointError, LlmSettingRejectedError } from '../../../operators/llm/llm-errors.js';
import type { LlmCall } from '../../../operators/llm/llm-service.js';
import { startOpenAiLoopback, type Behaviour, type LoopbackServer, type Script } from '../../helpers/openai-loopback-server.js';

const apiKey = 'sk-gateway-7Hq2-NEVER-STORE-91ab';
const model = 'gw-model';
const maxTokens = 321;
const prices: ReadonlyMap<string, Price> = new Map([[model, { inputPerMillion: 2.5, outputPerMillion: 10 }]]);
const messages: LlmMessage[] = [{ role: 'system', content: 'You improve code.' }, { role: 'user', content: 'Make f faster.' }];

const made: string[] = [];
test.after.always(() => { for (const dir of made) rmSync(dir, { recursive: true, force: true }); });

function dbPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ouroboros-gateway-'));
  made.push(dir);
  return join(dir, 'run.sqlite');
}

function clientFor(server: LoopbackServer): LlmClient {
  return new LlmClient({
    baseURL: server.baseURL, apiKey, model, maxTokens: 999, requestTimeoutMs: 5_000, maxRetries: 2, maxInFlight: 4,
    consecutiveFailureLimit: 100, baseDelayMs: 5, maxDelayMs: 20,
  });
}

function call(overrides: Partial<LlmCall> = {}): LlmCall {
  return { messages, model, temperature: 0.7, seed: 1234, iteration: 3, operator: 'llm-diff', purpose: 'propose', signal: new AbortController().signal, ...overrides };
}

interface Fixture { server: LoopbackServer; store: RunStore; path: string; gateway: LlmGateway }

async function fixture(t: ExecutionContext, script: Script = [], fallback?: Behaviour): Promise<Fixture> {
  const server = await startOpenAiLoopback(script, fallback);
  t.teardown(() => server.close());
  const path = dbPath();
  const store = RunStore.create(path, { name: 'gateway-test' });
  t.teardown(() => store.close());
  const gateway = new LlmGateway({ records: store.llm(), client: clientFor(server), maxTokens, prices });
  return { server, store, path, gateway };
}

/** The ledger as the file holds it, read through a separate connection. */
function ledgerRows(path: string): Array<Record<string, unknown>> {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare('SELECT * FROM llm_calls ORDER BY id').all() as Array<Record<string, unknown>>;
  } finally {
    db.close();
  }
}

test('a first call goes to the endpoint and is recorded with tokens, priced cost, latency and outcome ok', async (t) => {
  const { server, path, gateway } = await fixture(t, [{ answer: 'Faster.\n<<<<<<< SEARCH', model: 'gw-model-2026', promptTokens: 1200, completionTokens: 300 }]);
  const result = await gateway.complete(call());
  t.like(result, { ok: true, text: 'Faster.\n<<<<<<< SEARCH', model: 'gw-model-2026', tokensIn: 1200, tokensOut: 300, attempts: 1 });
  t.is(server.requests.length, 1);
  // The gateway's maxTokens wins over the client's default, and the call's seed is sent.
  t.like(server.requests[0]!.body, { model, temperature: 0.7, seed: 1234, max_tokens: maxTokens, messages });

  const rows = ledgerRows(path);
  t.is(rows.length, 1);
  const row = rows[0]!;
  t.like(row, {
    key: requestKey(call(), maxTokens), iteration: 3, operator: 'llm-diff', purpose: 'propose', model, answered_model: 'gw-model-2026',
    temperature: 0.7, outcome: 'ok', status: null, message: null, answer: 'Faster.\n<<<<<<< SEARCH', tokens_in: 1200, tokens_out: 300,
    attempts: 1, source: 'endpoint',
  });
  // (1200 * 2.5 + 300 * 10) / 1e6 dollars.
  t.is(row.cost, 0.006);
  t.is(typeof row.latency_ms, 'number');
  t.true((row.latency_ms as number) > 0);
  t.true(!Number.isNaN(Date.parse(row.at as string)));
  t.is(gateway.stats.calls, 1);
  t.is(gateway.stats.reused, 0);
});

test('a model without a price is ledgered at cost 0', async (t) => {
  const { store, gateway } = await fixture(t, [{ answer: 'x', promptTokens: 1000, completionTokens: 1000 }]);
  await gateway.complete(call({ model: 'unpriced-model' }));
  t.like(store.llm().all()[0], { model: 'unpriced-model', tokensIn: 1000, tokensOut: 1000, cost: 0 });
});

test('the same request again is answered from the store without an HTTP request and counted as reused', async (t) => {
  const { server, store, gateway } = await fixture(t, [{ answer: 'first answer', promptTokens: 40, completionTokens: 2 }], { answer: 'a second, different answer' });
  const first = await gateway.complete(call());
  // Who asks (iteration, operator, purpose) is not part of the request.
  const again = await gateway.complete(call({ iteration: 9, operator: 'other-op', purpose: 'repair' }));
  t.is(server.requests.length, 1);
  t.deepEqual(again, { ok: true, text: 'first answer', model, finishReason: 'stop', refusal: null, tokensIn: 40, tokensOut: 2, latencyMs: 0, attempts: 0 });
  t.true(first.ok);
  t.deepEqual(gateway.stats, { ...gateway.stats, calls: 1, reused: 1 });
  t.is(store.llm().all().length, 1);
});

test('a request differing only in its seed is a new request and a new ledger row', async (t) => {
  const { server, store, gateway } = await fixture(t, [{ answer: 'seed 1234' }, { answer: 'seed 1235' }]);
  const a = await gateway.complete(call({ seed: 1234 }));
  const b = await gateway.complete(call({ seed: 1235 }));
  t.like(a, { ok: true, text: 'seed 1234' });
  t.like(b, { ok: true, text: 'seed 1235' });
  t.is(server.requests.length, 2);
  t.is(server.requests[1]!.body.seed, 1235);
  t.deepEqual(store.llm().all().map((r) => r.answer), ['seed 1234', 'seed 1235']);
  t.is(gateway.stats.reused, 0);
});

test('a failed call is recorded with its reason and status and is answered from the store the next time', async (t) => {
  const { server, path, gateway } = await fixture(t, [{ status: 400, message: 'context length exceeded' }], { answer: 'must not be asked' });
  const first = await gateway.complete(call());
  t.deepEqual(first, { ok: false, reason: 'bad-request', status: 400, message: 'context length exceeded', attempts: 1 });
  t.like(ledgerRows(path)[0], { outcome: 'bad-request', status: 400, message: 'context length exceeded', answer: null, tokens_in: 0, tokens_out: 0, cost: 0, latency_ms: null, attempts: 1 });

  const again = await gateway.complete(call());
  t.deepEqual(again, first);
  t.is(server.requests.length, 1);
  t.is(gateway.stats.calls, 1);
  t.is(gateway.stats.reused, 1);
});

test('a call that failed after its retries is recorded with its attempts and reused without retrying', async (t) => {
  const { server, store, gateway } = await fixture(t, [], { status: 503, message: 'overloaded' });
  const first = await gateway.complete(call());
  t.deepEqual(first, { ok: false, reason: 'server-error', status: 503, message: 'overloaded', attempts: 3 });
  t.is(server.requests.length, 3);
  // One row per request: the two retried ones, then the one that gave the call its outcome.
  t.like(store.llm().all(), [
    { outcome: 'server-error', status: 503, attempts: 1, final: false },
    { outcome: 'server-error', status: 503, attempts: 2, final: false },
    { outcome: 'server-error', status: 503, attempts: 3, final: true },
  ]);
  t.deepEqual(await gateway.complete(call()), first);
  t.is(server.requests.length, 3);
  t.is(store.llm().all().length, 3);
  // The iteration log counts each call once, whether asked or answered from the ledger: how many requests a
  // call took depends on timing, which must not reach the log (the ledger has every request).
  t.deepEqual(gateway.takeUsage(3), { calls: 2, tokens: 0, cost: 0 });
});

test('an aborted call leaves only a non-final row for its request, so the same request is asked of the endpoint again', async (t) => {
  const { server, path, gateway } = await fixture(t, (index) => (index === 0 ? { hang: true } : { answer: 'answered the second time' }));
  const controller = new AbortController();
  const pending = gateway.complete(call({ signal: controller.signal }));
  await server.waitForRequests(1);
  controller.abort();
  const aborted = await pending;
  t.like(aborted, { ok: false, reason: 'aborted' });
  t.like(ledgerRows(path), [{ outcome: 'aborted', final: 0, attempts: 1, answer: null }]);
  t.is(gateway.stats.calls, 1);
  t.deepEqual(gateway.takeUsage(3), { calls: 0, tokens: 0, cost: 0 });

  const again = await gateway.complete(call());
  t.like(again, { ok: true, text: 'answered the second time' });
  t.is(server.requests.length, 2);
  t.like(ledgerRows(path), [{ outcome: 'aborted', final: 0 }, { outcome: 'ok', answer: 'answered the second time', final: 1 }]);
});

test('takeUsage(i) sums the calls, tokens and cost of iteration i, reused answers included, and empties it', async (t) => {
  const { gateway } = await fixture(t, [
    { answer: 'a', promptTokens: 1200, completionTokens: 300 },
    { status: 400, message: 'bad' },
    { answer: 'other iteration', promptTokens: 5, completionTokens: 5 },
  ]);
  await gateway.complete(call({ iteration: 5, seed: 1 }));
  await gateway.complete(call({ iteration: 5, seed: 2 }));
  await gateway.complete(call({ iteration: 6, seed: 3 }));
  await gateway.complete(call({ iteration: 5, seed: 1 })); // reused: 1200 + 300 tokens, $0.006 again

  const five = gateway.takeUsage(5);
  t.is(five.calls, 3);
  t.is(five.tokens, 3000);
  t.true(Math.abs(five.cost - 0.012) < 1e-12, `cost ${five.cost}`);
  t.deepEqual(gateway.takeUsage(5), { calls: 0, tokens: 0, cost: 0 });
  t.deepEqual(gateway.takeUsage(6), { calls: 1, tokens: 10, cost: (5 * 2.5 + 5 * 10) / 1e6 });
  t.deepEqual(gateway.takeUsage(7), { calls: 0, tokens: 0, cost: 0 });
  t.is(gateway.stats.calls, 3);
  t.is(gateway.stats.reused, 1);
});

test('a reopened run answers a request it recorded before from its ledger (a resume pays once)', async (t) => {
  const { server, store, path, gateway } = await fixture(t, [{ answer: 'paid once', promptTokens: 100, completionTokens: 10 }], { answer: 'paid twice' });
  await gateway.complete(call());
  store.close();
  const reopened = RunStore.open(path, { write: true });
  t.teardown(() => reopened.close());
  const resumed = new LlmGateway({ records: reopened.llm(), client: clientFor(server), maxTokens, prices });
  t.like(await resumed.complete(call()), { ok: true, text: 'paid once', tokensIn: 100, tokensOut: 10 });
  t.is(server.requests.length, 1);
  t.deepEqual(resumed.takeUsage(3), { calls: 1, tokens: 110, cost: (100 * 2.5 + 10 * 10) / 1e6 });
});

test('a replay gateway answers from its source, copies the record as a replay, and throws ReplayError for a request the source never saw', async (t) => {
  const { store: source, gateway: original } = await fixture(t, [{ answer: 'from the source run', model: 'snap-1', promptTokens: 1200, completionTokens: 300 }, { status: 400, message: 'too long' }]);
  await original.complete(call({ seed: 1 }));
  await original.complete(call({ seed: 2 }));

  const replay = RunStore.create(dbPath(), { name: 'replay' });
  t.teardown(() => replay.close());
  const gateway = new LlmGateway({ records: replay.llm(), client: null, replaySource: source.llm(), maxTokens, prices });
  t.deepEqual(await gateway.complete(call({ seed: 1, iteration: 40 })), { ok: true, text: 'from the source run', model: 'snap-1', finishReason: 'stop', refusal: null, tokensIn: 1200, tokensOut: 300, latencyMs: 0, attempts: 0 });
  t.deepEqual(await gateway.complete(call({ seed: 2 })), { ok: false, reason: 'bad-request', status: 400, message: 'too long', attempts: 1 });

  const copied = replay.llm().all();
  const originals = source.llm().all();
  t.deepEqual(copied, originals.map((r) => ({ ...r, source: 'replay' })));
  t.true(originals.every((r) => r.source === 'endpoint'));
  t.deepEqual(gateway.takeUsage(40), { calls: 1, tokens: 1500, cost: 0.006 });
  t.deepEqual(gateway.stats, { ...gateway.stats, calls: 0, reused: 2 });

  const error = await t.throwsAsync(gateway.complete(call({ seed: 3, iteration: 41 })), { instanceOf: ReplayError });
  t.true(error instanceof OuroborosError);
  t.is(error!.code, 'E_REPLAY');
  t.regex(error!.message, /iteration 41 .*never asked/);
  t.is(replay.llm().all().length, 2);
});

test('a gateway with no client and no replay source throws ReplayError for an unknown request', async (t) => {
  const store = RunStore.create(dbPath(), {});
  t.teardown(() => store.close());
  const gateway = new LlmGateway({ records: store.llm(), client: null, maxTokens, prices });
  const error = await t.throwsAsync(gateway.complete(call()), { instanceOf: ReplayError });
  t.is(error!.code, 'E_REPLAY');
  t.deepEqual(store.llm().all(), []);
});

test('the API key never reaches the run file, even when the endpoint echoes it in an error', async (t) => {
  const { server, store, path, gateway } = await fixture(t, [
    { status: 401, message: `Incorrect API key provided: ${apiKey}. You can find your API key at https://example.invalid/keys.` },
    { answer: 'fine now' },
  ]);
  const failed = await gateway.complete(call({ seed: 1 }));
  t.like(failed, { ok: false, reason: 'auth', status: 401 });
  t.false(!failed.ok && failed.message.includes(apiKey));
  await gateway.complete(call({ seed: 2 }));
  // The key really was sent: the test would prove nothing otherwise.
  t.is(server.requests[0]!.headers.authorization, `Bearer ${apiKey}`);
  t.like(store.llm().all()[0], { outcome: 'auth', status: 401, message: 'Incorrect API key provided: [redacted]. You can find your API key at https://example.invalid/keys.' });
  store.close();

  const bytes = Buffer.concat([path, `${path}-wal`, `${path}-shm`].filter((p) => existsSync(p)).map((p) => readFileSync(p)));
  t.true(bytes.includes('Incorrect API key provided: [redacted]'), 'the redacted error is in the file');
  t.true(bytes.includes('fine now'));
  t.false(bytes.includes(apiKey));
  t.false(bytes.includes(apiKey.slice(3)));
});

test('every HTTP request is a ledger row: retries, bodies that are no completion, failures and answers, as many rows as the server saw', async (t) => {
  const script: Behaviour[] = [
    { status: 503, message: 'overloaded' }, { raw: '{"object":"error","message":"no choices here"}' }, { answer: 'third time' }, // call 1: 3 requests
    { raw: '<html>gateway</html>', contentType: 'text/html' }, { answer: 'second time' }, // call 2: 2 requests
    { status: 400, message: 'context length exceeded' }, // call 3: 1 request, not retried
    { status: 429, message: 'slow down', retryAfter: '0' }, { truncate: '{"choices":[{"message":{"content":"cut' }, { status: 500 }, // call 4: 3 requests, fails
  ];
  const { server, store, path, gateway } = await fixture(t, script);
  t.like(await gateway.complete(call({ seed: 1 })), { ok: true, text: 'third time', attempts: 3 });
  t.like(await gateway.complete(call({ seed: 2 })), { ok: true, text: 'second time', attempts: 2 });
  t.like(await gateway.complete(call({ seed: 3 })), { ok: false, reason: 'bad-request', attempts: 1 });
  t.like(await gateway.complete(call({ seed: 4 })), { ok: false, reason: 'server-error', attempts: 3 });
  const rows = ledgerRows(path);
  t.is(server.requests.length, 9);
  t.is(rows.length, server.requests.length);
  t.is(store.llm().summary().calls, server.requests.length);
  t.is(gateway.stats.calls, server.requests.length);
  t.deepEqual(rows.map((r) => [r.outcome, r.final]), [
    ['server-error', 0], ['bad-response', 0], ['ok', 1],
    ['bad-response', 0], ['ok', 1],
    ['bad-request', 1],
    ['rate-limited', 0], ['bad-response', 0], ['server-error', 1],
  ]);
  t.regex(String(rows[1]!.message), /without "choices"/);
  t.regex(String(rows[3]!.message), /HTML page/);
  t.regex(String(rows[7]!.message), /cut off/);
  t.deepEqual(gateway.takeUsage(3), { calls: 4, tokens: 2 * 18, cost: 2 * (11 * 2.5 + 7 * 10) / 1e6 });
});

test('the finish reason and a refusal are stored with the answer and come back from the ledger', async (t) => {
  const { path, store, gateway } = await fixture(t, [{ answer: 'def f(x):', finishReason: 'length' }, { answer: null, refusal: 'I will not do that.' }]);
  const cut = await gateway.complete(call({ seed: 1 }));
  const refused = await gateway.complete(call({ seed: 2 }));
  t.like(cut, { ok: true, finishReason: 'length', refusal: null });
  t.like(refused, { ok: true, text: '', finishReason: 'stop', refusal: 'I will not do that.' });
  t.like(ledgerRows(path), [{ finish_reason: 'length', refusal: null, answer: 'def f(x):' }, { finish_reason: 'stop', refusal: 'I will not do that.', answer: '' }]);
  const resumed = new LlmGateway({ records: store.llm(), client: null, maxTokens, prices });
  t.like(await resumed.complete(call({ seed: 1 })), { ok: true, text: 'def f(x):', finishReason: 'length' });
  t.like(await resumed.complete(call({ seed: 2 })), { ok: true, refusal: 'I will not do that.' });
});

test('o-series and gpt-5 models get max_completion_tokens and no temperature out of the box; other models max_tokens and the temperature', async (t) => {
  const { server, path, gateway } = await fixture(t, [], { answer: 'ok' });
  for (const name of ['o1', 'o3-mini', 'o4-mini', 'openai/o3', 'gpt-5', 'gpt-5-mini', 'gpt-4.1-mini', 'gpt-5-chat-latest', 'qwen2.5-coder:7b']) {
    await gateway.complete(call({ model: name }));
  }
  const bodies = server.requests.map((r) => r.body);
  for (const body of bodies.slice(0, 6)) {
    t.false('temperature' in body, body.model);
    t.false('max_tokens' in body, body.model);
    t.is(body.max_completion_tokens, maxTokens, body.model);
  }
  for (const body of bodies.slice(6)) {
    t.like(body, { temperature: 0.7, max_tokens: maxTokens }, body.model);
    t.false('max_completion_tokens' in body, body.model);
  }
  t.deepEqual(ledgerRows(path).map((r) => r.temperature), [null, null, null, null, null, null, 0.7, 0.7, 0.7]);
});

test('per-model settings reach the request and its key: temperature, maxCompletionTokens, reasoningEffort, topP, extraBody', async (t) => {
  const server = await startOpenAiLoopback([], { answer: 'ok' });
  t.teardown(() => server.close());
  const store = RunStore.create(dbPath(), { name: 'settings' });
  t.teardown(() => store.close());
  const settings = (models: Array<[string, object]>) => new LlmGateway({ records: store.llm(), client: clientFor(server), maxTokens, prices, models: new Map(models) });
  await settings([['o3', { reasoningEffort: 'low', maxCompletionTokens: 20_000, extraBody: { service_tier: 'flex' } }]]).complete(call({ model: 'o3' }));
  t.deepEqual(server.requests[0]!.body, { model: 'o3', messages, seed: 1234, max_completion_tokens: 20_000, reasoning_effort: 'low', service_tier: 'flex' });
  await settings([[model, { temperature: null, topP: 0.5 }]]).complete(call());
  t.deepEqual(server.requests[1]!.body, { model, messages, seed: 1234, max_tokens: maxTokens, top_p: 0.5 });
  await settings([[model, { temperature: 0.2 }]]).complete(call());
  t.like(server.requests[2]!.body, { temperature: 0.2 });
  // A setting that changes the request changes the key: each is asked, none answered from another's row.
  await settings([['o3', { reasoningEffort: 'high', maxCompletionTokens: 20_000, extraBody: { service_tier: 'flex' } }]]).complete(call({ model: 'o3' }));
  await settings([['o3', { reasoningEffort: 'low', maxCompletionTokens: 20_000, extraBody: { service_tier: 'auto' } }]]).complete(call({ model: 'o3' }));
  t.is(server.requests.length, 5);
  // The same settings again: answered from the ledger.
  await settings([['o3', { reasoningEffort: 'low', maxCompletionTokens: 20_000, extraBody: { service_tier: 'flex' } }]]).complete(call({ model: 'o3' }));
  t.is(server.requests.length, 5);
});

test('a refused setting stops at once with its request ledgered as not final, so a resume asks again', async (t) => {
  const refusal = "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.";
  const { server, path, store, gateway } = await fixture(t, [], { status: 400, code: 'unsupported_parameter', param: 'max_tokens', message: refusal });
  const error = await t.throwsAsync(gateway.complete(call()), { instanceOf: LlmSettingRejectedError });
  t.true(error.message.includes(refusal));
  t.is(server.requests.length, 1);
  t.like(ledgerRows(path), [{ outcome: 'setting-rejected', status: 400, final: 0 }]);
  t.is(store.llm().find(requestKey(call(), maxTokens)), undefined);
});

test('the failure that stops the run for failing too often is ledgered too, as not final', async (t) => {
  const server = await startOpenAiLoopback([], { status: 502, message: 'bad gateway' });
  t.teardown(() => server.close());
  const path = dbPath();
  const store = RunStore.create(path, { name: 'stop' });
  t.teardown(() => store.close());
  const client = new LlmClient({ baseURL: server.baseURL, apiKey, model, requestTimeoutMs: 5_000, maxRetries: 1, maxInFlight: 4, consecutiveFailureLimit: 2, baseDelayMs: 5 });
  const gateway = new LlmGateway({ records: store.llm(), client, maxTokens, prices });
  t.like(await gateway.complete(call({ seed: 1 })), { ok: false, reason: 'server-error' });
  await t.throwsAsync(gateway.complete(call({ seed: 2 })), { instanceOf: LlmEndpointError });
  t.is(server.requests.length, 4);
  t.deepEqual(ledgerRows(path).map((r) => r.final), [0, 1, 0, 0]);
});

test('a run written before schema 7 reads its ledger read-only, and opened to write keeps every row as a final one', (t) => {
  const path = dbPath();
  RunStore.create(path, { name: 'old' }).close();
  const old = new Database(path);
  // As a run of schema 6 was: without the tables added since (the prompt variants of schema 8, the emitter states of 9).
  old.exec(`DROP TABLE llm_calls; DROP TABLE prompt_variants; DROP TABLE prompt_choices; DROP TABLE emitter_states;
    CREATE TABLE llm_calls (id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL, iteration INTEGER NOT NULL, operator TEXT NOT NULL, purpose TEXT NOT NULL,
      model TEXT NOT NULL, answered_model TEXT, temperature REAL NOT NULL, outcome TEXT NOT NULL, status INTEGER, message TEXT, answer TEXT,
      tokens_in INTEGER NOT NULL, tokens_out INTEGER NOT NULL, cost REAL NOT NULL, latency_ms REAL, attempts INTEGER NOT NULL,
      source TEXT NOT NULL CHECK (source IN ('endpoint', 'replay')), at TEXT NOT NULL);
    CREATE UNIQUE INDEX llm_calls_key ON llm_calls(key);
    INSERT INTO llm_calls (key, iteration, operator, purpose, model, answered_model, temperature, outcome, status, message, answer, tokens_in, tokens_out, cost, latency_ms, attempts, source, at)
      VALUES ('k1', 0, 'llm-diff', 'propose', 'm', 'm', 0.7, 'ok', NULL, NULL, 'old answer', 10, 5, 0, 12, 2, 'endpoint', '2025-01-01T00:00:00Z');`);
  old.pragma('user_version = 6');
  old.close();
  const reader = RunStore.open(path, { write: false });
  t.like(reader.llm().find('k1'), { answer: 'old answer', attempts: 2, final: true, finishReason: null, refusal: null });
  reader.close();
  const writer = RunStore.open(path, { write: true });
  t.teardown(() => writer.close());
  t.like(writer.llm().all(), [{ key: 'k1', answer: 'old answer', temperature: 0.7, final: true, finishReason: null }]);
  const again = { ...writer.llm().find('k1')!, answer: 'a second final row for the key is ignored' };
  writer.llm().record(again);
  writer.llm().record({ ...again, final: false, outcome: 'server-error' });
  writer.llm().record({ ...again, final: true, key: 'k2', temperature: null });
  t.deepEqual(writer.llm().all().map((r) => [r.key, r.final, r.answer, r.temperature]), [
    ['k1', true, 'old answer', 0.7], ['k1', false, 'a second final row for the key is ignored', 0.7], ['k2', true, 'a second final row for the key is ignored', null],
  ]);
  t.is(writer.llm().find('k1')!.answer, 'old answer');
});
