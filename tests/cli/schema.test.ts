// `ouroboros schema`: the JSON Schema it prints accepts every shipped config, refuses what the engine refuses,
// matches the copies committed under configs/, and a config that names it ("$schema") loads and runs.
import test from 'ava';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { check, runConfigSchema, problemSchema } from '../../engine/config/config-schema.js';
import { loadRunConfig } from '../../engine/config/load-config.js';
import { ConfigError } from '../../common/errors.js';
import { root, runCli, tempDir } from '../helpers/cli.js';
import Database from 'better-sqlite3';

const printed = async (kind: string): Promise<Record<string, unknown>> => {
  const r = await runCli(['schema', kind]);
  if (r.code !== 0) throw new Error(`schema ${kind} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, unknown>;
};
const [runSchema, problemJsonSchema, tuneSchema] = await Promise.all([printed('run-config'), printed('problem'), printed('tune')]);
const ajv = new Ajv2020({ strict: false, allErrors: true, logger: false });
const validRun = ajv.compile(runSchema);
const validProblem = ajv.compile(problemJsonSchema);
const validTune = ajv.compile(tuneSchema);
const json = (path: string): unknown => JSON.parse(readFileSync(join(root, path), 'utf8'));

const runConfigs = ['configs/quickstart.json', 'tests/fixtures/configs/sphere.json', 'examples/suite/base.json',
  ...readdirSync(join(root, 'examples')).map((d) => `examples/${d}/config.json`).filter((p) => existsSync(join(root, p)))];
const manifests = [...readdirSync(join(root, 'examples')).map((d) => `examples/${d}/problem.json`),
  ...readdirSync(join(root, 'examples/suite')).map((d) => `examples/suite/${d}/problem.json`),
  ...readdirSync(join(root, 'tests/fixtures/problems')).map((d) => `tests/fixtures/problems/${d}/problem.json`)].filter((p) => existsSync(join(root, p)));

test('the schema is draft 2020-12 and describes the config file, $schema key included', (t) => {
  t.is(runSchema.$schema, 'https://json-schema.org/draft/2020-12/schema');
  t.is(runSchema.additionalProperties, false);
  const props = runSchema.properties as Record<string, unknown>;
  for (const key of ['$schema', 'problem', 'seed', 'budget', 'operators', 'llm', 'selection', 'islands']) t.truthy(props[key], key);
  t.deepEqual(runSchema.required, ['problem', 'budget', 'operators']);
});

test('every shipped run config and problem manifest validates against the printed schemas', (t) => {
  t.true(runConfigs.length >= 5 && manifests.length >= 7, `${runConfigs.length} configs, ${manifests.length} manifests`);
  for (const p of runConfigs) t.true(validRun(json(p)), `${p}: ${ajv.errorsText(validRun.errors)}`);
  for (const p of manifests) t.true(validProblem(json(p)), `${p}: ${ajv.errorsText(validProblem.errors)}`);
  t.true(validTune(json('examples/suite/tune.json')), ajv.errorsText(validTune.errors));
  t.false(validTune({ ...(json('examples/suite/tune.json') as object), trails: 3 }));
});

test('the schema refuses what the engine refuses, and accepts what it accepts', (t) => {
  const base = json('tests/fixtures/configs/sphere.json') as Record<string, unknown>;
  const variants: Array<[string, (c: Record<string, unknown>) => void, boolean]> = [
    ['as shipped', () => {}, true],
    ['a misspelled key', (c) => { c.workerz = 2; }, false],
    ['a negative seed', (c) => { c.seed = -1; }, false],
    ['a seed past 2^32-1', (c) => { c.seed = 2 ** 32; }, false],
    ['no operators', (c) => { c.operators = []; }, false],
    ['a timeout as a string', (c) => { c.evaluation = { timeoutMs: '30' }; }, false],
    ['an unknown operator type', (c) => { c.operators = [{ type: 'param-mutate', weight: 1 }]; }, false],
    ['an unknown key inside an operator', (c) => { c.operators = [{ type: 'param-mutation', weight: 1, sigmaa: 0.1 }]; }, false],
    ['a tournament of size 0', (c) => { c.selection = { strategy: 'tournament', size: 0 }; }, false],
    ['a missing budget', (c) => { delete c.budget; }, false],
    ['defaults left out', (c) => { delete c.seed; delete c.pipelineDepth; delete c.evaluation; delete c.selection; delete c.islands; }, true],
    ['an LLM operator with its llm section', (c) => {
      c.operators = [{ type: 'llm-diff', weight: 1 }];
      c.llm = { models: [{ name: 'm', weight: 1 }] };
    }, true],
  ];
  for (const [name, change, expected] of variants) {
    const config = structuredClone(base);
    change(config);
    t.is(check(runConfigSchema, config).ok, expected, `engine, ${name}`);
    t.is(validRun(config), expected, `schema, ${name}: ${ajv.errorsText(validRun.errors)}`);
  }
  const manifest = json('tests/fixtures/problems/sphere/problem.json') as Record<string, unknown>;
  for (const [name, change, expected] of [
    ['as shipped', () => {}, true], ['an unknown key', (m: Record<string, unknown>) => { m.evaluatr = 'x'; }, false],
    ['no descriptors field', (m: Record<string, unknown>) => { delete m.descriptors; }, check(problemSchema, { ...manifest, descriptors: undefined }).ok],
  ] as Array<[string, (m: Record<string, unknown>) => void, boolean]>) {
    const m = structuredClone(manifest);
    change(m);
    t.is(check(problemSchema, m).ok, expected, `engine, manifest ${name}`);
    t.is(validProblem(m), expected, `schema, manifest ${name}`);
  }
});

test('the copies under configs/ are what `ouroboros schema` prints (regenerate them with it when the schema changes)', async (t) => {
  t.deepEqual(json('configs/run-config.schema.json'), runSchema, 'run `node dist/cli/main.js schema --out configs/run-config.schema.json`');
  t.deepEqual(json('configs/problem.schema.json'), problemJsonSchema, 'run `node dist/cli/main.js schema problem --out configs/problem.schema.json`');
  t.deepEqual(json('configs/tune-config.schema.json'), tuneSchema, 'run `node dist/cli/main.js schema tune --out configs/tune-config.schema.json`');
  const dir = tempDir();
  const out = join(dir, 's.json');
  const r = await runCli(['schema', '--out', out]);
  t.is(r.code, 0, r.stderr);
  t.deepEqual(JSON.parse(readFileSync(out, 'utf8')), runSchema);
  t.regex(r.stderr, /"\$schema"/);
});

test('a config that names its schema loads and runs, and the key is not stored; a non-string $schema is refused by name', async (t) => {
  const dir = tempDir();
  const config = { $schema: './run-config.schema.json', ...(json('tests/fixtures/configs/sphere.json') as object), problem: join(root, 'tests/fixtures/problems/sphere'), budget: { iterations: 20 } };
  writeFileSync(join(dir, 'c.json'), JSON.stringify(config));
  t.false('$schema' in loadRunConfig(join(dir, 'c.json')).config);
  const db = join(dir, 'c.sqlite');
  const r = await runCli(['run', join(dir, 'c.json'), '--db', db, '--quiet', '--workers', '1']);
  t.is(r.code, 0, r.stderr);
  const conn = new Database(db, { readonly: true });
  const stored = (conn.prepare("SELECT value FROM meta WHERE key = 'config'").get() as { value: string }).value;
  conn.close();
  t.false(stored.includes('$schema'));
  writeFileSync(join(dir, 'bad.json'), JSON.stringify({ ...config, $schema: 5 }));
  const error = t.throws(() => loadRunConfig(join(dir, 'bad.json')), { instanceOf: ConfigError });
  t.regex(error!.message, /bad\.json[\s\S]*\$schema: must be a string/);
});
