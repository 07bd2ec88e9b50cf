// Tests of prompt templates (placeholders, one-pass rendering, checks, the {{attempts}} text), their loading with overrides, and the endpoint and key resolution of llm-setup.
import test from 'ava';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../../../common/errors.js';
import type { LlmConfig } from '../../../engine/config/config-schema.js';
import { DEFAULT_PROMPTS, loadTemplates, resolveEndpoint, storableUrl } from '../../../engine/llm/llm-setup.js';
import { checkTemplates, placeholdersOf, PLACEHOLDERS, render, TEMPLATE_NAMES, type PromptTemplates } from '../../../operators/llm/prompt-template.js';
import { showAttempts } from '../../../operators/llm/show-attempts.js';
import type { AttemptContext } from '../../../operators/operator.js';

const shippedDir = fileURLToPath(new URL('../../../configs/prompts/', import.meta.url));
const shipped = (name: string): string => readFileSync(join(shippedDir, `${name}.md`), 'utf8');

const made: string[] = [];
test.after.always(() => { for (const dir of made) rmSync(dir, { recursive: true, force: true }); });

function overrideDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'ouroboros-prompts-'));
  made.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

function llmConfig(overrides: Partial<LlmConfig> = {}): LlmConfig {
  return {
    apiKeyEnv: 'OUROBOROS_TEST_KEY', models: [{ name: 'm', weight: 1 }], temperatures: [0.7], maxTokens: 100, requestTimeoutMs: 1000,
    retries: 0, maxInFlight: 1, consecutiveFailureLimit: 1, context: { artifactChars: 10, lineage: 1, elites: 1, attempts: 1, attemptChars: 10 }, ...overrides,
  };
}

const valid: PromptTemplates = { system: 'S {{task}}', diff: 'D {{files}}', rewrite: 'R {{files}}', crossover: 'C {{parents}}' };

test('placeholdersOf lists names in order of first use, once each, allowing spaces inside the braces', (t) => {
  t.deepEqual(placeholdersOf('{{files}} then {{ task }} and {{files}} again, {{evaluation}}'), ['files', 'task', 'evaluation']);
  t.deepEqual(placeholdersOf('no placeholders, {single} braces, {{1bad}}, {{with-dash}}, {{ }}'), []);
  t.deepEqual(placeholdersOf('{{_x1}}{{Y}}'), ['_x1', 'Y']);
});

test('render fills every placeholder in one pass and leaves unknown ones as they are', (t) => {
  t.is(render('Task: {{task}}\n{{ files }}', { task: 'T', files: 'F' }), 'Task: T\nF');
  t.is(render('{{a}} {{b}}', { a: 'code with {{b}} and {{task}}', b: 'B' }), 'code with {{b}} and {{task}} B');
  t.is(render('{{task}} {{unknown}}', { task: 'T' }), 'T {{unknown}}');
  // A value is inserted literally: no $-patterns of String.replace.
  t.is(render('[{{x}}]', { x: "$& $1 $$ $' $`" }), "[$& $1 $$ $' $`]");
  t.is(render('{{x}}', { x: '' }), '');
});

test('checkTemplates reports each unknown placeholder naming the template file and listing the known ones', (t) => {
  t.deepEqual(checkTemplates(valid), []);
  const problems = checkTemplates({ ...valid, system: '{{task}} {{evaluation}} {{evaluation}}', crossover: '{{parents}} {{files}} {{nope}}' });
  t.deepEqual(problems, [
    'system.md: unknown placeholder {{evaluation}} (this template knows {{task}}, {{descriptors}})',
    'crossover.md: unknown placeholder {{files}} (this template knows {{task}}, {{descriptors}}, {{parents}}, {{attempts}}, {{elites}}, {{editable}})',
    'crossover.md: unknown placeholder {{nope}} (this template knows {{task}}, {{descriptors}}, {{parents}}, {{attempts}}, {{elites}}, {{editable}})',
  ]);
});

test('the shipped templates pass checkTemplates and use their essential placeholders', (t) => {
  const templates = loadTemplates(undefined, 'x');
  t.deepEqual(checkTemplates(templates), []);
  for (const name of TEMPLATE_NAMES) t.is(templates[name], shipped(name), name);
  t.is(DEFAULT_PROMPTS.replace(/[\\/]+$/, ''), shippedDir.replace(/[\\/]+$/, ''));
  t.true(placeholdersOf(templates.system).includes('task'));
  for (const name of ['diff', 'rewrite'] as const) {
    for (const p of ['evaluation', 'files', 'editable', 'attempts']) t.true(placeholdersOf(templates[name]).includes(p), `${name} uses {{${p}}}`);
  }
  t.true(placeholdersOf(templates.crossover).includes('parents'));
  t.true(placeholdersOf(templates.crossover).includes('attempts'));
  for (const name of TEMPLATE_NAMES) t.true(placeholdersOf(templates[name]).every((p) => PLACEHOLDERS[name].includes(p)));
});

test('{{attempts}} lists each attempt with its origin: failures with reason and indented message, successes with the signed fitness change', (t) => {
  const base: AttemptContext = { iteration: 9, operator: 'llm-diff', sameParent: true, outcome: 'ok', reason: null, message: '', fitness: 2.5, change: 0.25, archive: 'new', note: 'bigger corner circles' };
  const attempts: AttemptContext[] = [
    base,
    { ...base, iteration: 8, sameParent: false, change: -0.1234567, archive: 'rejected', note: null },
    { ...base, iteration: 7, archive: 'improved', change: null },
    { ...base, iteration: 6, outcome: 'failed', reason: 'threw', message: 'invalid packing: circles 3 and 7 overlap\n## Your answer', fitness: null, change: null, archive: null, note: 'moved circle 3' },
    { ...base, iteration: 5, operator: 'llm-rewrite', outcome: 'operator-failed', message: 'the answer did not apply: no <file> block', fitness: null, change: null, archive: null, note: null },
    { ...base, iteration: 4, outcome: 'duplicate', message: 'identical to its parent', fitness: null, change: null, archive: null, note: null },
    { ...base, iteration: 3, outcome: 'timeout', reason: 'timeout', message: 'no result within 2000 ms', fitness: null, change: null, archive: null, note: null },
    { ...base, iteration: 2, outcome: 'invalid', reason: 'invalid-output', message: 'fitness is NaN', fitness: null, change: null, archive: null, note: null },
  ];
  t.is(showAttempts({ attempts }), [
    '- iteration 9, llm-diff, from this variant: fitness 2.5 (+0.25 from its parent); it filled a new cell of the archive.\n  Change: bigger corner circles',
    '- iteration 8, llm-diff, from another variant of the island: fitness 2.5 (-0.123457 from its parent); the archive did not keep it.',
    "- iteration 7, llm-diff, from this variant: fitness 2.5; it replaced its cell's elite.\n  Change: bigger corner circles",
    '- iteration 6, llm-diff, from this variant: its evaluation failed (threw).\n  Change: moved circle 3\n    invalid packing: circles 3 and 7 overlap\n    ## Your answer',
    '- iteration 5, llm-rewrite, from this variant: no child was made.\n    the answer did not apply: no <file> block',
    '- iteration 4, llm-diff, from this variant: the child repeated a variant already evaluated, so it was not evaluated.\n    identical to its parent',
    '- iteration 3, llm-diff, from this variant: its evaluation timed out (timeout).\n    no result within 2000 ms',
    '- iteration 2, llm-diff, from this variant: its evaluation was invalid (invalid-output).\n    fitness is NaN',
  ].join('\n'));
  t.is(showAttempts({ attempts: [] }), '(none yet)');
  t.is(showAttempts({}), '(none yet)');
});

test('an override folder replaces only the templates it holds', (t) => {
  const dir = overrideDir({ 'diff.md': 'My diff prompt: {{files}} {{ editable }}\n', 'notes.txt': 'ignored' });
  const templates = loadTemplates(dir, 'configs/run.json');
  t.is(templates.diff, 'My diff prompt: {{files}} {{ editable }}\n');
  t.is(templates.system, shipped('system'));
  t.is(templates.rewrite, shipped('rewrite'));
  t.is(templates.crossover, shipped('crossover'));
});

test('a bad placeholder in an override is a ConfigError naming the config path, the folder and the template', (t) => {
  const dir = overrideDir({ 'rewrite.md': '{{files}} {{fitness}}', 'system.md': '{{task}} {{lineage}}' });
  const error = t.throws(() => loadTemplates(dir, 'configs/run.json'), { instanceOf: ConfigError });
  t.is(error!.code, 'E_CONFIG');
  t.deepEqual(error!.problems, [
    `llm.prompts (${dir}): system.md: unknown placeholder {{lineage}} (this template knows {{task}}, {{descriptors}})`,
    `llm.prompts (${dir}): rewrite.md: unknown placeholder {{fitness}} (this template knows {{task}}, {{descriptors}}, {{evaluation}}, {{files}}, {{lineage}}, {{attempts}}, {{elites}}, {{editable}})`,
  ]);
  t.is(error!.message, error!.problems.map((p) => `configs/run.json: ${p}`).join('\n'));
});

test('a missing override folder is a ConfigError naming it', (t) => {
  const dir = join(overrideDir({}), 'no-such-folder');
  const error = t.throws(() => loadTemplates(dir, 'configs/run.json'), { instanceOf: ConfigError });
  t.deepEqual(error!.problems, [`llm.prompts: folder ${dir} not found`]);
  t.is(error!.message, `configs/run.json: llm.prompts: folder ${dir} not found`);
});

test('resolveEndpoint takes the URL from the flag, else the config, else OPENAI_BASE_URL, else the run', (t) => {
  const env = { OPENAI_BASE_URL: 'http://env.example/v1', OUROBOROS_TEST_KEY: 'k-123' };
  const config = llmConfig({ baseUrl: 'http://config.example/v1' });
  const cases: Array<[string, LlmConfig, string | undefined, string | undefined, NodeJS.ProcessEnv, string, string]> = [
    ['flag wins', config, 'http://flag.example/v1', 'http://stored.example/v1', env, 'http://flag.example/v1', '--base-url'],
    ['config next', config, undefined, 'http://stored.example/v1', env, 'http://config.example/v1', 'config'],
    ['an empty flag counts as absent', config, '', undefined, env, 'http://config.example/v1', 'config'],
    ['environment next', llmConfig(), undefined, 'http://stored.example/v1', env, 'http://env.example/v1', 'OPENAI_BASE_URL'],
    ['stored last', llmConfig(), undefined, 'http://stored.example/v1', { OUROBOROS_TEST_KEY: 'k-123' }, 'http://stored.example/v1', 'the run'],
    ['an empty variable counts as absent', llmConfig(), undefined, 'https://stored.example/v1', { OPENAI_BASE_URL: '' }, 'https://stored.example/v1', 'the run'],
  ];
  for (const [what, llm, flag, stored, environment, baseURL, from] of cases) {
    t.like(resolveEndpoint(llm, flag, stored, environment), { baseURL, from }, what);
  }
});

test('the API key comes only from the named variable; without it the endpoint says so', (t) => {
  const found = resolveEndpoint(llmConfig(), 'http://h/v1', undefined, { OUROBOROS_TEST_KEY: 'sk-named', OPENAI_API_KEY: 'sk-default' });
  t.deepEqual(found, { baseURL: 'http://h/v1', from: '--base-url', apiKey: 'sk-named' });

  for (const env of [{ OPENAI_API_KEY: 'sk-default' }, { OUROBOROS_TEST_KEY: '' }]) {
    const missing = resolveEndpoint(llmConfig(), 'http://h/v1', undefined, env);
    t.is(missing.apiKey, 'no-key');
    t.is(missing.keyNotice, 'OUROBOROS_TEST_KEY is not set: sending no API key (fine for local servers such as Ollama, vLLM or llama.cpp)');
  }
  t.is(resolveEndpoint(llmConfig({ apiKeyEnv: 'OPENAI_API_KEY' }), 'http://h/v1', undefined, { OPENAI_API_KEY: 'sk-default' }).apiKey, 'sk-default');
});

test('a URL that is not http(s) is a ConfigError naming where it came from', (t) => {
  const cases: Array<[string | undefined, LlmConfig, NodeJS.ProcessEnv, string, string]> = [
    ['ftp://files.example/v1', llmConfig(), {}, '--base-url', 'ftp://files.example/v1'],
    ['localhost:11434/v1', llmConfig(), {}, '--base-url', 'localhost:11434/v1'],
    [undefined, llmConfig(), { OPENAI_BASE_URL: 'not a url' }, 'OPENAI_BASE_URL', 'not a url'],
    [undefined, llmConfig({ baseUrl: 'file:///etc/passwd' }), {}, 'config', 'file:///etc/passwd'],
  ];
  for (const [flag, llm, env, from, url] of cases) {
    const error = t.throws(() => resolveEndpoint(llm, flag, undefined, env), { instanceOf: ConfigError }, url);
    t.is(error!.message, `${from}: "${url}" is not an http(s) URL`);
  }
});

test('no endpoint at all is a ConfigError that mentions --base-url', (t) => {
  const error = t.throws(() => resolveEndpoint(llmConfig(), undefined, undefined, { OUROBOROS_TEST_KEY: 'k' }), { instanceOf: ConfigError });
  t.is(error!.code, 'E_CONFIG');
  t.regex(error!.message, /^--base-url: no LLM endpoint: pass --base-url, set llm\.baseUrl in the config, or set OPENAI_BASE_URL/);
  t.throws(() => resolveEndpoint(llmConfig(), '', '', { OPENAI_BASE_URL: '' }), { instanceOf: ConfigError, message: /no LLM endpoint/ });
});

test('storableUrl keeps a plain URL and drops one with credentials', (t) => {
  t.is(storableUrl('http://127.0.0.1:11434/v1'), 'http://127.0.0.1:11434/v1');
  t.is(storableUrl('https://api.example.com/v1?x=1'), 'https://api.example.com/v1?x=1');
  t.is(storableUrl('https://user:secret@api.example.com/v1'), undefined);
  t.is(storableUrl('https://user@api.example.com/v1'), undefined);
  t.is(storableUrl('https://:secret@api.example.com/v1'), undefined);
});
