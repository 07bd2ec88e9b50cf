// Checks the loopback stand-in LLM through the real openai client: plausible numeric edits in both answer formats, determinism, usage, latency, concurrency, errors and the CLI entry.
import test from 'ava';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';
import { composeAnswer, NO_FILES_ANSWER, type ChatMessage } from '../../examples/loopback-llm/mutating-answer.js';
import { MODEL_IDS, startMutatingLlm, type MutatingLlm, type MutatingLlmOptions } from '../../examples/loopback-llm/mutating-llm-server.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

const PROGRAM = [
  '// Scores a point; only the evolve block may change.',
  'const SCALE = 10;',
  '// EVOLVE-BLOCK-START',
  'export function score(x) {',
  '  const rate = 0.25; // 5 in a trailing comment',
  '  const steps = 12;',
  '  // 99 in a comment line',
  '  const label = "v3 of 7";',
  '  const zero = 0, none = 0.0;',
  '  return rate * steps * x * SCALE + 1.5e-3 - 2;',
  '}',
  '// EVOLVE-BLOCK-END',
  'export const LIMIT = 100;',
].join('\n');
const programLines = PROGRAM.split('\n');
const blockStart = programLines.findIndex((line) => line.includes('EVOLVE-BLOCK-START'));
const blockEnd = programLines.findIndex((line) => line.includes('EVOLVE-BLOCK-END'));
const untouchable = [programLines[6], programLines[7]]; // a comment line, and a line whose only numbers are in a string

const DIFF_SYSTEM = 'You improve programs. Answer with edits like:\n<<<<<<< SEARCH path\nold line\n=======\nnew line\n>>>>>>> REPLACE';
const REWRITE_SYSTEM = 'You improve programs. Answer with the whole new file in a <file path="..."> block.';

function messages(format: 'diff' | 'rewrite', program = PROGRAM): ChatMessage[] {
  return [
    { role: 'system', content: format === 'diff' ? DIFF_SYSTEM : REWRITE_SYSTEM },
    { role: 'user', content: `Improve the parent.\n<file path="program.js">\n${program}\n</file>\n<file path="helper.js">\nexport const K = 5;\n</file>` },
  ];
}

interface Block { path: string; search: string; replace: string }
function parseBlocks(answer: string): Block[] {
  return [...answer.matchAll(/<<<<<<< SEARCH (\S+)\n([\s\S]*?)\n=======\n([\s\S]*?)\n>>>>>>> REPLACE/g)]
    .map((m) => ({ path: m[1]!, search: m[2]!, replace: m[3]! }));
}
function parseFile(answer: string): string | undefined {
  return /<file path="program\.js">\n([\s\S]*?)\n<\/file>/.exec(answer)?.[1];
}
/** A line with every numeric literal replaced by `#`: an edit that only retunes numbers leaves it unchanged. */
const shape = (line: string) => line.replace(/(?<![\w$.])(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?/gi, '#');

async function withLlm(t: { teardown(fn: () => Promise<void>): void }, options: MutatingLlmOptions = {}): Promise<{ llm: MutatingLlm; client: OpenAI }> {
  const llm = await startMutatingLlm(options);
  t.teardown(() => llm.close());
  return { llm, client: new OpenAI({ baseURL: llm.baseURL, apiKey: 'test', maxRetries: 0 }) };
}

async function ask(client: OpenAI, chat: ChatMessage[], extra: { seed?: number; temperature?: number } = {}) {
  return client.chat.completions.create({ model: 'loopback-mutator', messages: chat as OpenAI.ChatCompletionMessageParam[], max_tokens: 4096, ...extra });
}

test('a diff request gets SEARCH/REPLACE blocks for lines inside the evolve block, each changing only numbers', async (t) => {
  const { client } = await withLlm(t);
  const completion = await ask(client, messages('diff'), { seed: 1 });
  const answer = completion.choices[0]!.message.content ?? '';
  const blocks = parseBlocks(answer);
  t.true(blocks.length >= 1 && blocks.length <= 3, answer);
  for (const block of blocks) {
    t.is(block.path, 'program.js');
    const at = programLines.indexOf(block.search);
    t.true(at > blockStart && at < blockEnd, `SEARCH is a verbatim line inside the block: ${block.search}`);
    t.not(block.replace, block.search);
    t.is(shape(block.replace), shape(block.search));
  }
  t.is(completion.model, 'loopback-mutator');
  t.is(completion.choices[0]!.finish_reason, 'stop');
});

test('edits over many seeds stay on code inside the evolve block and always change a value', (t) => {
  for (let seed = 0; seed < 300; seed++) {
    const blocks = parseBlocks(composeAnswer({ model: 'm', temperature: (seed % 5) / 2, seed, messages: messages('diff') }));
    t.true(blocks.length >= 1 && blocks.length <= 3);
    for (const block of blocks) {
      const at = programLines.indexOf(block.search);
      t.true(at > blockStart && at < blockEnd);
      t.false(untouchable.includes(block.search), `seed ${seed} edited ${block.search}`);
      t.is(shape(block.replace), shape(block.search)); // also rules out a literal turned negative: `-#` is not `#`
      t.not(block.replace, block.search);
    }
  }
});

test('a rewrite request gets the whole file back, changed only on lines inside the evolve block', async (t) => {
  const { client } = await withLlm(t);
  const answer = (await ask(client, messages('rewrite'), { seed: 2 })).choices[0]!.message.content ?? '';
  t.deepEqual(parseBlocks(answer), []);
  const file = parseFile(answer);
  if (file === undefined) return t.fail(answer);
  const lines = file.split('\n');
  t.is(lines.length, programLines.length);
  const changed = lines.flatMap((line, index) => (line === programLines[index] ? [] : [index]));
  t.true(changed.length >= 1 && changed.length <= 3, answer);
  for (const index of changed) {
    t.true(index > blockStart && index < blockEnd);
    t.is(shape(lines[index]!), shape(programLines[index]!));
  }
});

test('a file without evolve markers may be edited anywhere', (t) => {
  const answer = composeAnswer({ model: 'm', temperature: 0.7, seed: 4, messages: messages('rewrite', 'const a = 3;\nconst b = 2.5;') });
  t.not(parseFile(answer), undefined);
  t.not(parseFile(answer), 'const a = 3;\nconst b = 2.5;');
});

test('the same request gets the same answer, and different seeds do not all get the same one', async (t) => {
  const { client } = await withLlm(t);
  const first = await ask(client, messages('diff'), { seed: 7, temperature: 0.9 });
  const again = await ask(client, messages('diff'), { seed: 7, temperature: 0.9 });
  t.is(again.choices[0]!.message.content, first.choices[0]!.message.content);
  const answers = await Promise.all([11, 12, 13, 14, 15, 16, 17, 18].map((seed) => ask(client, messages('diff'), { seed })));
  t.true(new Set(answers.map((completion) => completion.choices[0]!.message.content)).size > 1);
});

const repairs = [
  'Your edit did not apply: SEARCH text not found in\n<file path="other.js">\nconst other = 41;\n</file>',
  'Your answer could not be applied, so none of it was. The problems:\n\n- block 1: SEARCH text not found',
];
for (const repair of repairs) {
  test(`a repair request edits the file of the first user message: ${repair.split('\n')[0]}`, async (t) => {
    const { client } = await withLlm(t);
    const chat: ChatMessage[] = [
      ...messages('diff'),
      { role: 'assistant', content: '<<<<<<< SEARCH program.js\nconst nope = 1;\n=======\nconst nope = 2;\n>>>>>>> REPLACE' },
      { role: 'user', content: repair },
    ];
    const blocks = parseBlocks((await ask(client, chat, { seed: 3 })).choices[0]!.message.content ?? '');
    t.true(blocks.length >= 1);
    for (const block of blocks) {
      const at = programLines.indexOf(block.search);
      t.true(at > blockStart && at < blockEnd, block.search);
    }
  });
}

test('a last user message with no file block gets a plain sentence', async (t) => {
  const { client } = await withLlm(t);
  const completion = await ask(client, [{ role: 'user', content: 'Hello there, 42.' }]);
  t.is(completion.choices[0]!.message.content, NO_FILES_ANSWER);
});

test('usage counts a token per four characters, and stats() sums it', async (t) => {
  const { llm, client } = await withLlm(t);
  const chat = messages('rewrite');
  const completion = await ask(client, chat, { seed: 5 });
  const promptChars = chat.reduce((sum, message) => sum + (message.content as string).length, 0);
  const content = completion.choices[0]!.message.content ?? '';
  t.deepEqual(completion.usage, {
    prompt_tokens: Math.ceil(promptChars / 4),
    completion_tokens: Math.ceil(content.length / 4),
    total_tokens: Math.ceil(promptChars / 4) + Math.ceil(content.length / 4),
  });
  await ask(client, chat, { seed: 6 });
  const stats = llm.stats();
  t.is(stats.requests, 2);
  t.true(stats.promptTokens === 2 * Math.ceil(promptChars / 4) && stats.completionTokens > completion.usage!.completion_tokens);
});

test.serial('latencyMs delays every answer by at least that long', async (t) => {
  const { client } = await withLlm(t, { latencyMs: 250 });
  const startedAt = performance.now();
  await ask(client, messages('diff'));
  t.true(performance.now() - startedAt >= 250);
});

// Serial (ava runs serial tests alone, before the concurrent ones): a synchronous test or a tsx child starting in this
// process would block the event loop and spread the 16 arrivals over more than the 200 ms each one waits.
test.serial('16 concurrent requests are served concurrently', async (t) => {
  const { llm, client } = await withLlm(t, { latencyMs: 200 });
  const answers = await Promise.all(Array.from({ length: 16 }, (_, seed) => ask(client, messages('diff'), { seed })));
  t.true(answers.every((completion) => parseBlocks(completion.choices[0]!.message.content ?? '').length >= 1));
  t.is(llm.stats().maxConcurrent, 16);
  t.is(llm.stats().requests, 16);
});

test('malformed JSON gets a 400 with an OpenAI-style error body', async (t) => {
  const { llm } = await withLlm(t);
  const garbling = new OpenAI({
    baseURL: llm.baseURL, apiKey: 'test', maxRetries: 0,
    fetch: (url, init) => fetch(url, { ...init, body: '{"model": "loopback-mutator", "messages": [' }),
  });
  const error = await t.throwsAsync(ask(garbling, messages('diff')), { instanceOf: OpenAI.APIError });
  t.is((error as InstanceType<typeof OpenAI.APIError>).status, 400);
  const raw = await fetch(`${llm.baseURL}/chat/completions`, { method: 'POST', body: 'not json' });
  t.is(raw.status, 400);
  const body = await raw.json() as { error: { message: string; type: string } };
  t.is(body.error.type, 'invalid_request_error');
  t.regex(body.error.message, /JSON/);
});

test('streaming requests are refused with a 400', async (t) => {
  const { client } = await withLlm(t);
  const error = await t.throwsAsync(
    client.chat.completions.create({ model: 'loopback-mutator', messages: [{ role: 'user', content: 'hi' }], stream: true }),
    { instanceOf: OpenAI.APIError },
  );
  t.is((error as InstanceType<typeof OpenAI.APIError>).status, 400);
  t.regex(error!.message, /streaming not supported/);
});

test('GET /v1/models lists the models, and an unknown route is a JSON 404', async (t) => {
  const { llm, client } = await withLlm(t);
  const ids: string[] = [];
  for await (const model of client.models.list()) ids.push(model.id);
  t.deepEqual(ids, [...MODEL_IDS]);
  const missing = await fetch(`${llm.baseURL}/embeddings`, { method: 'POST', body: '{}' });
  t.is(missing.status, 404);
  t.truthy(((await missing.json()) as { error?: { message?: string } }).error?.message);
});

test('failEvery 2 makes the second request answer 500', async (t) => {
  const { llm, client } = await withLlm(t, { failEvery: 2 });
  await t.notThrowsAsync(ask(client, messages('diff')));
  const error = await t.throwsAsync(ask(client, messages('diff')), { instanceOf: OpenAI.APIError });
  t.is((error as InstanceType<typeof OpenAI.APIError>).status, 500);
  await t.notThrowsAsync(ask(client, messages('diff')));
  t.is(llm.stats().requests, 3);
});

test('startMutatingLlm() refuses options out of range', async (t) => {
  await t.throwsAsync(startMutatingLlm({ latencyMs: -1 }), { instanceOf: RangeError, message: /latencyMs/ });
  await t.throwsAsync(startMutatingLlm({ failEvery: 0 }), { instanceOf: RangeError, message: /failEvery/ });
});

function runCli(args: string[]) {
  const child = spawn(process.execPath, ['--import=tsx', 'examples/loopback-llm/mutating-llm-server.ts', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const listening = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening line within 30 s; stdout: ${stdout} stderr: ${stderr}`)), 30_000);
    child.stdout.on('data', () => {
      const url = /loopback LLM listening on (http:\/\/127\.0\.0\.1:\d+\/v1)\n/.exec(stdout)?.[1];
      if (url !== undefined) { clearTimeout(timer); resolve(url); }
    });
    void exited.then(() => { clearTimeout(timer); reject(new Error(`exited before listening; stderr: ${stderr}`)); });
  });
  return { child, listening, exited, output: () => ({ stdout, stderr }) };
}

test('the CLI entry prints its URL, answers, and exits 0 on SIGTERM', async (t) => {
  const cli = runCli(['--port', '0']);
  t.teardown(() => { if (cli.child.exitCode === null && cli.child.signalCode === null) cli.child.kill('SIGKILL'); });
  const baseURL = await cli.listening;
  const client = new OpenAI({ baseURL, apiKey: 'test', maxRetries: 0 });
  const completion = await ask(client, messages('diff'), { seed: 9 });
  t.true(parseBlocks(completion.choices[0]!.message.content ?? '').length >= 1);
  cli.child.kill('SIGTERM');
  t.deepEqual(await cli.exited, { code: 0, signal: null });
  t.regex(cli.output().stderr, /stopped on SIGTERM after 1 requests/);
});

test('the CLI entry exits 2 with usage on a bad flag', async (t) => {
  const cli = runCli(['--latency-ms', 'soon']);
  cli.listening.catch(() => undefined);
  t.deepEqual(await cli.exited, { code: 2, signal: null });
  t.regex(cli.output().stderr, /--latency-ms: must be a non-negative integer \(got soon\)[\s\S]*usage:/);
});
