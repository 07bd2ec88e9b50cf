import test from 'ava';
import { cpSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { root, runCli, tempDir } from '../helpers/cli.js';

const sphere = join(root, 'tests/fixtures/problems/sphere');
const good = {
  problem: sphere,
  budget: { iterations: 10 },
  operators: [{ type: 'param-mutation', weight: 1 }],
};

/** Writes `config` (an object, or raw text) and runs it; the run database must never appear. */
async function runConfig(t: import('ava').ExecutionContext, config: unknown, setup?: (dir: string) => void) {
  const dir = tempDir();
  setup?.(dir);
  const file = join(dir, 'config.json');
  writeFileSync(file, typeof config === 'string' ? config : JSON.stringify(config, null, 2));
  const db = join(dir, 'runs', 'out.sqlite');
  const result = await runCli(['run', file, '--db', db, '--quiet']);
  t.false(existsSync(db), 'no half-written run is left behind');
  t.false(existsSync(join(dir, 'runs')) && readdirSync(join(dir, 'runs')).length > 0, 'nothing is written next to it either');
  return { ...result, file };
}

const cases: Array<[string, (dir: string) => unknown, number, RegExp[], ((dir: string) => void)?]> = [
  ['malformed JSON', () => '{\n  "problem": "x",\n  "budget": { "iterations": 10 },,\n}', 2, [/config\.json: malformed JSON at line 3, column \d+/]],
  ['an unknown key, with a did-you-mean', () => ({ ...good, budjet: {} }), 2, [/config\.json: budjet: unknown key \(did you mean "budget"\?\)/]],
  ['a misspelt operator option', () => ({ ...good, operators: [{ type: 'param-mutation', weight: 1, sigm: 0.1 }] }), 2, [/operators\[0\]\.sigm: unknown key \(did you mean "sigma"\?\)/]],
  ['a wrong type and an out-of-range value, both reported', () => ({ ...good, seed: 'seven', evaluation: { timeoutMs: 0 } }), 2,
    [/seed: must be a number \(got "seven"\)/, /evaluation\.timeoutMs: must be at least 1 \(got 0\)/]],
  ['an unknown operator type', () => ({ ...good, operators: [{ type: 'param-mutate', weight: 1 }] }), 2, [/operators\[0\]\.type: must be one of "param-mutation", "param-crossover", "param-iso-line", "param-cma-me", "param-cma-mae", "llm-diff", "llm-rewrite", "llm-crossover" \(got "param-mutate"\)/]],
  ['a queue URL holding a password, which the stored config would keep', () => ({ ...good, evaluation: { queue: { url: 'redis://:s3cret@10.0.0.5:6379' } } }), 2,
    [/evaluation\.queue\.url: holds a password, which would be stored in the run; put it in OUROBOROS_REDIS_PASSWORD, or pass the URL with --queue/]],
  ['a queue URL that is not redis:// or rediss://', () => ({ ...good, evaluation: { queue: { url: 'http://10.0.0.5:6379' } } }), 2, [/evaluation\.queue\.url: must start with redis:\/\/ or rediss:\/\//]],
  ['a missing problem folder', (dir) => ({ ...good, problem: join(dir, 'nope') }), 2, [/nope: problem folder not found/]],
  ['a problem without its evaluator file', (dir) => ({ ...good, problem: join(dir, 'p') }), 2, [/problem\.json: evaluator: .*evaluator\.mjs not found/],
    (dir) => { cpSync(sphere, join(dir, 'p'), { recursive: true, filter: (src) => !src.endsWith('evaluator.mjs') }); }],
  ['an evaluator that fails to load', (dir) => ({ ...good, problem: join(dir, 'p') }), 4, [/evaluator\.mjs: the evaluator could not be loaded: SyntaxError/],
    (dir) => { cpSync(sphere, join(dir, 'p'), { recursive: true }); writeFileSync(join(dir, 'p', 'evaluator.mjs'), 'export function evaluate( {\n'); }],
  ['a seed whose parameters leave the space', (dir) => ({ ...good, problem: join(dir, 'p') }), 2, [/seed params\.json: x: must be between -5 and 5 \(got 9\)/],
    (dir) => { cpSync(sphere, join(dir, 'p'), { recursive: true }); writeFileSync(join(dir, 'p', 'seed', 'params.json'), '{"x": 9, "y": 1, "n": 1, "shape": "round"}'); }],
];

for (const [name, make, code, messages, setup] of cases) {
  test(`run rejects ${name} with a clear message, exit code ${code} and no run database`, async (t) => {
    const dir = tempDir();
    mkdirSync(dir, { recursive: true });
    const result = await runConfig(t, make(dir), setup ? () => setup(dir) : undefined);
    t.is(result.code, code, result.stderr);
    for (const m of messages) t.regex(result.stderr, m);
    t.notRegex(result.stderr, /\n\s+at /, 'no stack trace without --debug');
  });
}

test('a missing config file is named', async (t) => {
  const result = await runCli(['run', '/nonexistent/config.json', '--quiet']);
  t.is(result.code, 2);
  t.regex(result.stderr, /\/nonexistent\/config\.json: file not found/);
});

test('an unknown command or flag is a usage error', async (t) => {
  const a = await runCli(['runn', 'x']);
  t.is(a.code, 2);
  t.regex(a.stderr, /Unknown argument|Did you mean run/i);
  const b = await runCli(['run', 'x.json', '--max-iteration', '3']);
  t.is(b.code, 2);
  t.regex(b.stderr, /Unknown argument/i);
  const c = await runCli(['run', 'x.json', '--workers', '0']);
  t.is(c.code, 2);
  t.regex(c.stderr, /--workers must be a positive integer/);
  for (const seed of ['-5', '1.5', 'abc', '4294967296']) {
    const d = await runCli(['run', 'x.json', '--seed', seed]);
    t.is(d.code, 2, seed);
    t.regex(d.stderr, /--seed must be an integer from 0 to 4294967295/);
  }
});

test('run refuses to overwrite an existing run database and points to resume', async (t) => {
  const dir = tempDir();
  const file = join(dir, 'c.json');
  writeFileSync(file, JSON.stringify(good));
  const db = join(dir, 'r.sqlite');
  t.is((await runCli(['run', file, '--db', db, '--quiet'])).code, 0);
  const again = await runCli(['run', file, '--db', db, '--quiet']);
  t.is(again.code, 3);
  t.regex(again.stderr, /already exists; resume it with `ouroboros resume/);
});

test('status, export and show name a missing database', async (t) => {
  for (const args of [['status', '/tmp/none.sqlite'], ['export', '/tmp/none.sqlite'], ['show', '/tmp/none.sqlite', 'abc']]) {
    const r = await runCli(args);
    t.is(r.code, 3, args.join(' '));
    t.regex(r.stderr, /\/tmp\/none\.sqlite: no such run database/);
  }
});

test('--help explains every command', async (t) => {
  const r = await runCli(['--help']);
  t.is(r.code, 0);
  for (const c of ['run [config]', 'resume <db>', 'status <db>', 'export <db>', 'show <db> <variant>']) t.true(r.stdout.includes(c), c);
  const run = await runCli(['run', '--help']);
  t.regex(run.stdout, /--max-iterations/);
});
