// LLM searches through the compiled CLI, the real openai client and real loopback HTTP servers.
import test from 'ava';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { startMutatingLlm } from '../../examples/loopback-llm/mutating-llm-server.js';
import { rowsOf, archiveOf, committedIterations, logOf, root, runCli, startCli, tempDir, untilCommitted } from '../helpers/cli.js';
import { startOpenAiLoopback, type Behaviour } from '../helpers/openai-loopback-server.js';

const circlePacking = join(root, 'examples/circle-packing');
const sphere = join(root, 'tests/fixtures/problems/sphere');

function writeConfig(dir: string, config: Record<string, unknown>): string {
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

function circleConfig(dir: string, extra: Record<string, unknown> = {}): string {
  return writeConfig(dir, {
    problem: circlePacking, seed: 3, pipelineDepth: 8, budget: { iterations: 48 },
    llm: { models: [{ name: 'loopback-mutator', price: { inputPerMillion: 1, outputPerMillion: 4 } }], temperatures: [0.5, 1], maxInFlight: 8 },
    operators: [{ type: 'llm-diff', weight: 3 }, { type: 'llm-rewrite', weight: 1 }],
    operatorChoice: { policy: 'thompson', discount: 0.98 },
    islands: { count: 2, migrationInterval: 20 },
    ...extra,
  });
}

function sphereConfig(dir: string, extra: Record<string, unknown> = {}): string {
  return writeConfig(dir, {
    problem: sphere, seed: 5, pipelineDepth: 2, budget: { iterations: 10 },
    llm: { models: [{ name: 'scripted' }], temperatures: [0.7], retries: 3, consecutiveFailureLimit: 3 },
    operators: [{ type: 'llm-diff', weight: 1 }],
    ...extra,
  });
}

function ledger(db: string): Array<{ key: string; purpose: string; outcome: string; attempts: number; tokens_in: number; tokens_out: number; source: string }> {
  const conn = new Database(db, { readonly: true });
  try {
    return conn.prepare('SELECT key, purpose, outcome, attempts, tokens_in, tokens_out, source FROM llm_calls ORDER BY key').all() as ReturnType<typeof ledger>;
  } finally {
    conn.close();
  }
}

function lastUser(body: { messages: Array<{ role: string; content: string }> }): string {
  return [...body.messages].reverse().find((m) => m.role === 'user')?.content ?? '';
}

/** A diff that moves x of the sphere's params.json one step toward 0 (the optimum), read from the prompt's parent. */
function towardZero(body: { messages: Array<{ role: string; content: string }> }): string {
  const first = body.messages.find((m) => m.role === 'user' && m.content.includes('<file path="params.json">'))!.content;
  const params = first.slice(first.indexOf('<file path="params.json">'));
  const line = params.split('\n').find((l) => /"x":/.test(l))!;
  const x = Number(/"x":\s*(-?[\d.e-]+)/.exec(line)![1]);
  const next = Math.round((x - Math.sign(x) * Math.min(Math.abs(x), 0.5)) * 1000) / 1000;
  return `Move x toward 0.\n<<<<<<< SEARCH params.json\n${line}\n=======\n${line.replace(/-?[\d.e-]+/, String(next))}\n>>>>>>> REPLACE\n`;
}

test('an LLM search improves circle packing over HTTP; status shows arms and cost; the API key never reaches the database; --replay reproduces the archive without an endpoint', async (t) => {
  const server = await startMutatingLlm();
  const dir = tempDir();
  const db = join(dir, 'run.sqlite');
  // A failed assertion ends the test at once: the server is closed in finally, or the file could not exit.
  try {
    const secret = 'sk-test-THIS-KEY-MUST-NOT-BE-STORED-1234567890';
    const run = await runCli(['run', circleConfig(dir), '--db', db, '--quiet', '--base-url', server.baseURL], { OPENAI_API_KEY: secret });
    t.is(run.code, 0, run.stderr);
    t.regex(run.stdout, /LLM endpoint: http:\/\/127\.0\.0\.1:\d+\/v1 \(from --base-url\)/);
    t.regex(run.stdout, /LLM: \d+ calls, \d+ tokens, \$\d+\.\d{4} in all/);
    const status = JSON.parse((await runCli(['status', db, '--json'])).stdout);
    t.true(status.best.fitness > status.seedVariant.fitness, `best ${status.best.fitness} vs seed ${status.seedVariant.fitness}`);
    t.is(status.llm.calls, server.stats().requests, 'every request the server answered is in the ledger, once');
    t.true(status.llm.cost > 0);
    t.is(status.arms.length, 4);
    t.is(status.arms.reduce((s: number, a: { pulls: number }) => s + a.pulls, 0), 47, 'every iteration but the seed is credited to its arm');
    const text = (await runCli(['status', db])).stdout;
    t.regex(text, /arms \(thompson, discount 0\.98\):/);
    t.regex(text, /llm-diff\|loopback-mutator\|t=0\.5/);
    t.regex(text, /LLM: \d+ calls \(ok \d+\), \d+ tokens in, \d+ out, cost \$/);
    for (const file of [db, `${db}-wal`, `${db}-shm`, join(dir, 'run.elites.jsonl'), join(dir, 'run.elites.csv')]) {
      if (existsSync(file)) t.false(readFileSync(file).includes(secret), `${file} holds the API key`);
    }
    t.false(run.stdout.includes(secret) || run.stderr.includes(secret));
  } finally {
    await server.close();
  }

  // The endpoint is gone: the replay must answer every call from the stored answers.
  const replayDb = join(dir, 'replay.sqlite');
  const replay = await runCli(['run', '--replay', db, '--db', replayDb, '--quiet']);
  t.is(replay.code, 0, replay.stderr);
  t.regex(replay.stdout, /replay: the archive is identical to .*run\.sqlite's \(\d+ cells\)/);
  t.deepEqual(archiveOf(replayDb), archiveOf(db));
  t.deepEqual(logOf(replayDb), logOf(db));
  t.true(ledger(replayDb).every((c) => c.source === 'replay'));
});

test('a run killed with SIGKILL while LLM calls are in flight, then resumed, equals the uninterrupted run and asks nothing twice that it had stored', async (t) => {
  const server = await startMutatingLlm({ latencyMs: 120 });
  t.teardown(() => server.close());
  const dir = tempDir();
  const config = circleConfig(dir);
  const reference = join(dir, 'reference.sqlite');
  const ref = await runCli(['run', config, '--db', reference, '--quiet', '--base-url', server.baseURL]);
  t.is(ref.code, 0, ref.stderr);
  const killed = join(dir, 'killed.sqlite');
  const { child, done } = startCli(['run', config, '--db', killed, '--quiet', '--base-url', server.baseURL]);
  const target = 10 + Math.floor(Math.random() * 20);
  await untilCommitted(killed, target, done);
  child.kill('SIGKILL');
  t.is((await done).signal, 'SIGKILL');
  const landed = committedIterations(killed);
  const storedBefore = ledger(killed).length;
  t.log(`killed with ${landed} iterations committed and ${storedBefore} answers stored`);
  t.true(landed < 48);
  const requestsBefore = server.stats().requests;
  const resumed = await runCli(['resume', killed, '--quiet', '--base-url', server.baseURL]);
  t.is(resumed.code, 0, resumed.stderr);
  t.deepEqual(logOf(killed), logOf(reference));
  t.deepEqual(archiveOf(killed), archiveOf(reference));
  // The answers (final rows) are the same; a request retried under load (a non-final row) depends on timing, not on the run.
  const answered = (db: string) => rowsOf<{ key: string }>(db, 'SELECT key FROM llm_calls WHERE final = 1 ORDER BY key').map((c) => c.key);
  t.deepEqual(answered(killed), answered(reference));
  // Stored answers are reused: the resume asked the endpoint only for what was not stored.
  t.is(server.stats().requests - requestsBefore, ledger(killed).length - storedBefore);
});

test('an answer that does not apply is sent back once with its errors; a repaired answer is evaluated, one that still fails is recorded with its reason', async (t) => {
  let proposals = 0;
  let repairs = 0;
  const server = await startOpenAiLoopback((_index, body): Behaviour => {
    // Proposals alternate between a diff that applies and one quoting a line that is not in the file;
    // repairs alternate between a good diff and an answer with no block at all.
    if (/could not be applied|did not apply/.test(lastUser(body))) return { answer: repairs++ % 2 === 0 ? towardZero(body) : 'Sorry, I cannot.' };
    return { answer: proposals++ % 2 === 0 ? towardZero(body) : '<<<<<<< SEARCH params.json\n  "x": 12345,\n=======\n  "x": 0,\n>>>>>>> REPLACE\n' };
  });
  t.teardown(() => server.close());
  const dir = tempDir();
  const db = join(dir, 'run.sqlite');
  const r = await runCli(['run', sphereConfig(dir), '--db', db, '--quiet', '--base-url', server.baseURL]);
  t.is(r.code, 0, r.stderr);
  const calls = ledger(db);
  t.true(calls.some((c) => c.purpose === 'repair'), 'some answers were sent back for repair');
  const repairRequest = server.requests.find((q) => /could not be applied|did not apply/.test(lastUser(q.body)))!;
  t.regex(lastUser(repairRequest.body), /"x": 12345/, 'the repair request quotes the failing SEARCH text');
  t.regex(lastUser(repairRequest.body), /\b\d+\s*\|?.*"x":/, 'and shows the nearest lines of the file');
  const conn = new Database(db, { readonly: true });
  const iterations = conn.prepare('SELECT iteration, status, reason FROM iterations WHERE iteration > 0').all() as Array<{ status: string; reason: string | null }>;
  conn.close();
  t.true(iterations.some((i) => i.status === 'evaluated'), 'repaired and good answers were evaluated');
  const failed = iterations.filter((i) => i.status === 'operator-failed');
  t.true(failed.length > 0, 'an answer that failed its repair too is a failed proposal');
  for (const f of failed) t.regex(f.reason ?? '', /the answer did not apply, even after one repair: no SEARCH\/REPLACE block found/);
  const status = JSON.parse((await runCli(['status', db, '--json'])).stdout);
  t.true(status.best.fitness > status.seedVariant.fitness);
});

test('429 with Retry-After is waited out and retried; an endpoint that keeps failing stops the run (exit 5, naming its answer), which resumes later', async (t) => {
  let mode: 'flaky' | 'down' | 'up' = 'flaky';
  let rateLimited = 0;
  const server = await startOpenAiLoopback((_index, body): Behaviour => {
    if (mode === 'flaky' && rateLimited < 2) { rateLimited++; return { status: 429, message: 'slow down', retryAfter: '1' }; }
    if (mode === 'down') return { status: 500, message: 'model overloaded' };
    return { answer: towardZero(body) };
  });
  t.teardown(() => server.close());
  const dir = tempDir();
  const flaky = join(dir, 'flaky.sqlite');
  const ok = await runCli(['run', sphereConfig(dir), '--db', flaky, '--quiet', '--base-url', server.baseURL]);
  t.is(ok.code, 0, ok.stderr);
  t.true(ledger(flaky).some((c) => c.attempts > 1 && c.outcome === 'ok'), 'a rate-limited call succeeded on a later attempt');
  t.is(committedIterations(flaky), 10);

  mode = 'down';
  const down = join(dir, 'down.sqlite');
  const failed = await runCli(['run', sphereConfig(dir, { budget: { iterations: 30 } }), '--db', down, '--quiet', '--base-url', server.baseURL]);
  t.is(failed.code, 5, failed.stderr);
  t.regex(failed.stderr, /failed 3 calls in a row; it last answered: 500 \(model overloaded\)/);
  t.regex(failed.stderr, /resume the run once the endpoint works again/);
  t.is(JSON.parse((await runCli(['status', down, '--json'])).stdout).status, 'stopped');
  const committed = committedIterations(down);
  t.true(committed >= 1 && committed < 30);

  mode = 'up';
  const resumed = await runCli(['resume', down, '--quiet', '--base-url', server.baseURL]);
  t.is(resumed.code, 0, resumed.stderr);
  t.is(committedIterations(down), 30);
});

test('a token budget stops the run gracefully before it is passed, counting the calls in flight', async (t) => {
  const server = await startMutatingLlm();
  t.teardown(() => server.close());
  const dir = tempDir();
  const db = join(dir, 'run.sqlite');
  const config = circleConfig(dir, { budget: { iterations: 1000, tokens: 120_000 } });
  const r = await runCli(['run', config, '--db', db, '--quiet', '--base-url', server.baseURL]);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /stopped: LLM token budget reached/);
  const status = JSON.parse((await runCli(['status', db, '--json'])).stdout);
  const spent = status.llm.tokensIn + status.llm.tokensOut;
  t.log(`spent ${spent} tokens in ${status.llm.calls} calls over ${status.iterations} iterations`);
  t.true(spent <= 120_000, `spent ${spent}`);
  t.true(spent > 60_000, 'and it used most of it');
  t.true(status.iterations < 1000);
});

for (const example of ['circle-packing', 'bin-packing']) {
  test(`the shipped ${example} example runs from the CLI against the loopback LLM, with all three LLM operators`, async (t) => {
    const server = await startMutatingLlm();
    t.teardown(() => server.close());
    const db = join(tempDir(), 'run.sqlite');
    const r = await runCli(['run', join(root, 'examples', example, 'config.json'), '--db', db, '--quiet', '--max-iterations', '40', '--base-url', server.baseURL]);
    t.is(r.code, 0, r.stderr);
    const status = JSON.parse((await runCli(['status', db, '--json'])).stdout);
    t.is(status.iterations, 40);
    t.true(status.best.fitness >= status.seedVariant.fitness);
    t.deepEqual(status.operators.map((o: { operator: string }) => o.operator).sort(), ['llm-crossover', 'llm-diff', 'llm-rewrite', 'seed']);
    t.is(status.arms.length, 6, 'three operators times two temperatures');
    t.true(status.evaluations > 20, `${status.evaluations} children were evaluated`);
  });
}

test('with a UCB1 bandit, 1 and 2 workers give the same log, and a run stopped early (arms untried) and resumed matches the uninterrupted one', async (t) => {
  const server = await startMutatingLlm({ latencyMs: 5, jitterMs: 20 });
  t.teardown(() => server.close());
  const dir = tempDir();
  const config = circleConfig(dir, { operatorChoice: { policy: 'ucb1', exploration: 0.5, discount: 0.95 } });
  const one = join(dir, 'one.sqlite');
  const two = join(dir, 'two.sqlite');
  const halves = join(dir, 'halves.sqlite');
  const results = await Promise.all([
    runCli(['run', config, '--db', one, '--quiet', '--workers', '1', '--base-url', server.baseURL]),
    runCli(['run', config, '--db', two, '--quiet', '--workers', '2', '--base-url', server.baseURL]),
    runCli(['run', config, '--db', halves, '--quiet', '--max-iterations', '3', '--base-url', server.baseURL]),
  ]);
  for (const r of results) t.is(r.code, 0, r.stderr);
  const resumed = await runCli(['resume', halves, '--quiet', '--max-iterations', '48', '--base-url', server.baseURL]);
  t.is(resumed.code, 0, resumed.stderr);
  t.deepEqual(logOf(two), logOf(one));
  t.deepEqual(logOf(halves), logOf(one));
  t.deepEqual(archiveOf(halves), archiveOf(one));
  const arms = new Set((logOf(one) as Array<{ arm: string }>).map((r) => r.arm));
  t.true(arms.size >= 3, `the bandit tried ${arms.size} arms`);
});

test('an answer that hangs is cut by requestTimeoutMs and asked again; the run completes', async (t) => {
  let hung = false;
  const server = await startOpenAiLoopback((_index, body): Behaviour => {
    if (!hung) { hung = true; return { hang: true }; }
    return { answer: towardZero(body) };
  });
  t.teardown(() => server.close());
  const dir = tempDir();
  const db = join(dir, 'run.sqlite');
  const config = sphereConfig(dir, { llm: { models: [{ name: 'scripted' }], requestTimeoutMs: 500, retries: 2 } });
  const r = await runCli(['run', config, '--db', db, '--quiet', '--base-url', server.baseURL]);
  t.is(r.code, 0, r.stderr);
  t.is(committedIterations(db), 10);
  // Later requests are answered at once, but on a loaded machine one may still meet the 500 ms limit and
  // be asked a third time: what is certain is a timeout in the ledger and the call answered after it.
  const rows = ledger(db);
  t.true(rows.some((c) => c.outcome === 'timeout'), 'the hung request is in the ledger as a timeout');
  t.true(rows.some((c) => c.outcome === 'ok' && c.attempts >= 2), 'the hung call succeeded on a later attempt');
});

test('an LLM config with no endpoint, or a prompt template with an unknown placeholder, is refused before anything is written', async (t) => {
  const dir = tempDir();
  const db = join(dir, 'run.sqlite');
  const env = { OPENAI_BASE_URL: '' };
  const noEndpoint = await runCli(['run', sphereConfig(dir), '--db', db], env);
  t.is(noEndpoint.code, 2, noEndpoint.stderr);
  t.regex(noEndpoint.stderr, /no LLM endpoint: pass --base-url, set llm\.baseUrl in the config, or set OPENAI_BASE_URL/);
  t.false(existsSync(db));

  const prompts = join(dir, 'prompts');
  mkdirSync(prompts);
  writeFileSync(join(prompts, 'diff.md'), 'Improve {{files}} using {{hints}}.\n');
  const config = sphereConfig(dir, { llm: { models: [{ name: 'scripted' }], prompts: 'prompts' } });
  const badTemplate = await runCli(['run', config, '--db', db, '--base-url', 'http://127.0.0.1:9/v1'], env);
  t.is(badTemplate.code, 2, badTemplate.stderr);
  t.regex(badTemplate.stderr, /config\.json: llm\.prompts \(.*prompts\): diff\.md: unknown placeholder \{\{hints\}\}/);
  t.false(existsSync(db));
});

test('Ctrl-C lets the LLM calls in flight finish and stores them: the resumed run matches the uninterrupted one and no call is paid twice', async (t) => {
  const server = await startMutatingLlm({ latencyMs: 150 });
  t.teardown(() => server.close());
  const dir = tempDir();
  const config = circleConfig(dir, { budget: { iterations: 32 } });
  const reference = join(dir, 'reference.sqlite');
  t.is((await runCli(['run', config, '--db', reference, '--quiet', '--base-url', server.baseURL])).code, 0);
  const before = server.stats().requests;
  const stopped = join(dir, 'stopped.sqlite');
  const { child, done } = startCli(['run', config, '--db', stopped, '--quiet', '--base-url', server.baseURL]);
  await untilCommitted(stopped, 8, done);
  child.kill('SIGINT');
  const first = await done;
  t.is(first.code, 130, first.stderr);
  t.true(committedIterations(stopped) < 32);
  const resumed = await runCli(['resume', stopped, '--quiet', '--base-url', server.baseURL]);
  t.is(resumed.code, 0, resumed.stderr);
  t.deepEqual(logOf(stopped), logOf(reference));
  t.is(server.stats().requests - before, ledger(stopped).length, 'every request the endpoint answered was asked once');
});

/** An OpenAI-like endpoint for reasoning models: refuses max_tokens and any temperature, as OpenAI's o-series does. */
function reasoningEndpoint(body: { max_tokens?: number; temperature?: number; messages: Array<{ role: string; content: string }> }): Behaviour {
  if (body.max_tokens !== undefined) {
    return { status: 400, code: 'unsupported_parameter', param: 'max_tokens', message: "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead." };
  }
  if (body.temperature !== undefined) {
    return { status: 400, code: 'unsupported_value', param: 'temperature', message: `Unsupported value: 'temperature' does not support ${body.temperature} with this model. Only the default (1) value is supported.` };
  }
  return { answer: towardZero(body as never) };
}

test('an endpoint that refuses a parameter stops the run at once (exit 2) with its message and what to set, every request ledgered', async (t) => {
  const server = await startOpenAiLoopback((_index, body) => reasoningEndpoint(body));
  t.teardown(() => server.close());
  const dir = tempDir();
  const db = join(dir, 'run.sqlite');
  // A model name the engine does not know as a reasoning model, so max_tokens and a temperature are sent.
  const config = sphereConfig(dir, { llm: { models: [{ name: 'local-reasoner' }], temperatures: [0.7], consecutiveFailureLimit: 8 } });
  const r = await runCli(['run', config, '--db', db, '--quiet', '--base-url', server.baseURL]);
  t.is(r.code, 2, r.stderr);
  t.regex(r.stderr, /llm\.models\[0\] \(local-reasoner\): .*Unsupported parameter: 'max_tokens' is not supported with this model/);
  t.regex(r.stderr, /set "maxCompletionTokens" for this model/);
  t.true(server.requests.length <= 2, `stopped after ${server.requests.length} requests, not after 8 failures`);
  t.is(ledger(db).length, server.requests.length, 'every request is in the ledger');
  t.is(JSON.parse((await runCli(['status', db, '--json'])).stdout).status, 'stopped');
});

test('o-series and gpt-5 models work out of the box: max_completion_tokens, no temperature, one arm per operator', async (t) => {
  const server = await startOpenAiLoopback((_index, body) => reasoningEndpoint(body));
  t.teardown(() => server.close());
  const dir = tempDir();
  const db = join(dir, 'run.sqlite');
  const config = sphereConfig(dir, { llm: { models: [{ name: 'o3-mini', reasoningEffort: 'low' }, { name: 'gpt-5-mini' }], temperatures: [0.4, 1], maxTokens: 5000 } });
  const r = await runCli(['run', config, '--db', db, '--quiet', '--base-url', server.baseURL]);
  t.is(r.code, 0, r.stderr);
  t.true(server.requests.length > 0);
  for (const q of server.requests) {
    t.is(q.body.max_completion_tokens, 5000);
    t.false('max_tokens' in q.body || 'temperature' in q.body);
    t.is(q.body.reasoning_effort, q.body.model === 'o3-mini' ? 'low' : undefined);
  }
  const status = JSON.parse((await runCli(['status', db, '--json'])).stdout);
  t.deepEqual(status.arms.map((a: { label: string }) => a.label).sort(), ['llm-diff|gpt-5-mini|t=default', 'llm-diff|o3-mini|t=default']);
  t.is(status.llm.calls, server.requests.length);
});

test('answers of HTTP 200 that are no chat completion are retried, never crash the run, and every request is in the ledger', async (t) => {
  const broken: Behaviour[] = [
    { raw: '{"error":{"message":"upstream timed out","type":"server_error"}}' },
    { raw: '<html><body>502 Bad Gateway</body></html>', contentType: 'text/html' },
    { raw: '{"choices":[]}' },
    { raw: 'data: {"choices":[{"delta":{"content":"x"}}]}\n\ndata: [DONE]\n\n', contentType: 'text/event-stream' },
    { truncate: '{"choices":[{"message":{"content":"<<<<<<< SEARCH' },
  ];
  const server = await startOpenAiLoopback((index, body) => (index % 2 === 0 ? broken[(index / 2) % broken.length]! : { answer: towardZero(body) }));
  t.teardown(() => server.close());
  const dir = tempDir();
  const db = join(dir, 'run.sqlite');
  const r = await runCli(['run', sphereConfig(dir), '--db', db, '--quiet', '--base-url', server.baseURL]);
  t.is(r.code, 0, r.stderr);
  t.is(committedIterations(db), 10);
  const rows = ledger(db);
  t.is(rows.length, server.requests.length, 'one ledger row per HTTP request');
  t.true(rows.filter((c) => c.outcome === 'bad-response').length >= 5);
  t.is(JSON.parse((await runCli(['status', db, '--json'])).stdout).llm.calls, server.requests.length);
});
