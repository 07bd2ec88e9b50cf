// Tests of run config and problem validation (config-schema.ts, load-config.ts, problem.ts): every problem, with its path, at once.
import test, { type ExecutionContext } from 'ava';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../../../common/errors.js';
import { closest } from '../../../engine/config/closest-key.js';
import { loadRunConfig } from '../../../engine/config/load-config.js';
import { loadProblem } from '../../../engine/config/problem.js';

const sphereDir = fileURLToPath(new URL('../../fixtures/problems/sphere', import.meta.url));

const made: string[] = [];
test.after.always(() => { for (const dir of made) rmSync(dir, { recursive: true, force: true }); });

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ouroboros-config-'));
  made.push(dir);
  return dir;
}

function writeConfig(value: unknown): string {
  const file = join(tempDir(), 'run.json');
  writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value, null, 2));
  return file;
}

/** The ConfigError that `load` must throw. */
function configError(t: ExecutionContext, load: () => unknown): ConfigError {
  return t.throws(load, { instanceOf: ConfigError })!;
}

const valid = { problem: './problem', budget: { iterations: 10 }, operators: [{ type: 'param-mutation', weight: 1 }] };

const badConfigs: Array<[string, unknown, string[]]> = [
  ['a misspelt top-level key', { problem: 'p', budjet: { iterations: 10 }, operators: valid.operators },
    ['budget: required (an object)', 'budjet: unknown key (did you mean "budget"?)']],
  ['a misspelt operator option', { ...valid, operators: [{ type: 'param-mutation', weight: 1, sigmaa: 0.1 }] },
    ['operators[0].sigmaa: unknown key (did you mean "sigma"?)']],
  ['an unknown key close to no known one', { ...valid, zzzzzzzzzz: 1 },
    ['zzzzzzzzzz: unknown key (expected one of problem, seed, db, workers, pipelineDepth, budget, evaluation, operators, selection, islands, archive, llm, operatorChoice)']],
  ['a misspelt nested key', { ...valid, islands: { count: 2, migrationIntervl: 3 } },
    ['islands.migrationIntervl: unknown key (did you mean "migrationInterval"?)']],
  ['a string where a number belongs', { ...valid, seed: 'seven' }, ['seed: must be a number (got "seven")']],
  ['a fraction where an integer belongs', { ...valid, seed: 1.5 }, ['seed: must be an integer (got 1.5)']],
  ['a negative seed', { ...valid, seed: -1 }, ['seed: must be at least 0 (got -1)']],
  ['a pipeline depth of 0', { ...valid, pipelineDepth: 0 }, ['pipelineDepth: must be at least 1 (got 0)']],
  ['a pipeline depth above the maximum', { ...valid, pipelineDepth: 5000 }, ['pipelineDepth: must be at most 1024 (got 5000)']],
  ['a sigma of 0', { ...valid, operators: [{ type: 'param-mutation', weight: 1, sigma: 0 }] }, ['operators[0].sigma: must be greater than 0 (got 0)']],
  ['a sigma above 1', { ...valid, operators: [{ type: 'param-mutation', weight: 1, sigma: 2 }] }, ['operators[0].sigma: must be at most 1 (got 2)']],
  ['an unknown operator type', { ...valid, operators: [valid.operators[0], { type: 'llm-rewrit', weight: 1 }] },
    ['operators[1].type: must be one of "param-mutation", "param-crossover", "param-iso-line", "param-cma-me", "param-cma-mae", "llm-diff", "llm-rewrite", "llm-crossover" (got "llm-rewrit")']],
  ['an operator without a type', { ...valid, operators: [{ weight: 1 }] },
    ['operators[0].type: must be one of "param-mutation", "param-crossover", "param-iso-line", "param-cma-me", "param-cma-mae", "llm-diff", "llm-rewrite", "llm-crossover" (got nothing)']],
  ['an LLM operator without an llm section', { ...valid, operators: [{ type: 'llm-diff', weight: 1 }] },
    ['llm: required, since operators include LLM operators (it names the models; see docs/llm.md, "Endpoints")']],
  ['an operator naming a model the llm section lacks', { ...valid, llm: { models: [{ name: 'a' }] }, operators: [{ type: 'llm-diff', weight: 1, models: ['b'] }] },
    ['operators[0].models: "b" is not in llm.models (a)']],
  ['a cost budget without prices', { ...valid, budget: { iterations: 5, costUsd: 1 }, llm: { models: [{ name: 'a' }] }, operators: [{ type: 'llm-diff', weight: 1 }] },
    ['llm.models[0].price: required by budget.costUsd (inputPerMillion and outputPerMillion, in US dollars)']],
  ['two operators of one name', { ...valid, operators: [{ type: 'param-mutation', weight: 1 }, { type: 'param-mutation', weight: 1 }] },
    ['operators[1]: name "param-mutation" is also operators[0]\'s; give one of them a distinct "name"']],
  ['an API key variable that is not a name', { ...valid, llm: { models: [{ name: 'a' }], apiKeyEnv: 'sk-123' }, operators: [{ type: 'llm-diff', weight: 1 }] },
    ['llm.apiKeyEnv: must be an environment variable name']],
  ['an unknown bandit policy', { ...valid, operatorChoice: { policy: 'ucb' } },
    ['operatorChoice.policy: must be one of "weights", "ucb1", "thompson" (got "ucb")']],
  ['an empty operator list', { ...valid, operators: [] }, ['operators: must have at least 1 item(s)']],
  ['a missing budget', { problem: 'p', operators: valid.operators }, ['budget: required (an object)']],
  ['a budget with a target fitness only', { ...valid, budget: { targetFitness: 1 } },
    ['budget: needs at least one of iterations, evaluations, wallClockSeconds (a targetFitness alone may never be reached)']],
  ['a wall-clock budget of 0', { ...valid, budget: { wallClockSeconds: 0 } }, ['budget.wallClockSeconds: must be greater than 0 (got 0)']],
  ['operators that all weigh 0', { ...valid, operators: [{ type: 'param-mutation', weight: 0 }, { type: 'param-crossover', weight: 0 }] },
    ['operators: at least one operator needs a weight above 0']],
  ['an unknown selection strategy', { ...valid, selection: { strategy: 'roulette' } },
    ['selection.strategy: must be one of "uniform", "tournament", "fitness-proportional", "rank", "score-children", "novelty" (got "roulette")']],
  ['a tournament of size 1', { ...valid, selection: { strategy: 'tournament', size: 1 } }, ['selection.size: must be at least 2 (got 1)']],
  ['too many islands', { ...valid, islands: { count: 100 } }, ['islands.count: must be at most 64 (got 100)']],
  ['a timeout of 0', { ...valid, evaluation: { timeoutMs: 0 } }, ['evaluation.timeoutMs: must be at least 1 (got 0)']],
  ['an empty problem path', { ...valid, problem: '' }, ['problem: must not be empty']],
  ['an array instead of an object', [1, 2], ['(top level): must be an object (got [1,2])']],
  ['many problems, all reported at once',
    { problem: 3, budget: { iterations: 0 }, operators: [{ type: 'param-crossover', weight: -1, blend: 2 }], evaluation: { timeoutMs: 'x' }, islandz: {} },
    [
      'problem: must be a string (got 3)',
      'budget.iterations: must be at least 1 (got 0)',
      'evaluation.timeoutMs: must be a number (got "x")',
      'operators[0].weight: must be at least 0 (got -1)',
      'operators[0].blend: must be at most 1 (got 2)',
      'islandz: unknown key (did you mean "islands"?)',
    ]],
];

for (const [what, config, problems] of badConfigs) {
  test(`loadRunConfig() reports ${what}`, (t) => {
    const file = writeConfig(config);
    const error = configError(t, () => loadRunConfig(file));
    t.deepEqual(error.problems, problems);
    t.is(error.code, 'E_CONFIG');
    t.is(error.message, problems.map((p) => `${file}: ${p}`).join('\n'));
  });
}

const malformed: Array<[string, string, RegExp]> = [
  ['a trailing comma', '{\n  "problem": "p",\n  "seed": 1,\n}\n', /^malformed JSON at line 4, column 1: /],
  ['a missing comma between lines', '{\n  "problem": "p"\n  "seed": 1\n}\n', /^malformed JSON at line 3, column 3: /],
  ['text after the object', '{ "problem": "p" }\n\n  x', /^malformed JSON at line 3, column 3: /],
];

for (const [what, text, problem] of malformed) {
  test(`loadRunConfig() reports the line and column of ${what}, naming the file`, (t) => {
    const file = writeConfig(text);
    const error = configError(t, () => loadRunConfig(file));
    t.is(error.problems.length, 1);
    t.regex(error.problems[0]!, problem);
    t.true(error.message.startsWith(`${file}: malformed JSON`));
  });
}

// On Node 20, V8's "Unexpected token" and "Unexpected end of JSON input" messages carry no
// position; load-json.ts must still locate the error.
const malformedWithoutPosition: Array<[string, string, RegExp]> = [
  ['a missing value', '{\n  "problem": "p",\n  "seed": }\n', /^malformed JSON at line 3, column 11: /],
  ['a file truncated inside a value', '{\n  "problem": "p",\n  "seed": tr', /^malformed JSON at line 3, column \d+: /],
];

for (const [what, text, problem] of malformedWithoutPosition) {
  test(`loadRunConfig() reports the line and column of ${what}`, (t) => {
    const file = writeConfig(text);
    const error = configError(t, () => loadRunConfig(file));
    t.regex(error.problems[0]!, problem);
  });
}

test('loadRunConfig() of a missing file reports it, naming the path', (t) => {
  const file = join(tempDir(), 'nowhere.json');
  const error = configError(t, () => loadRunConfig(file));
  t.deepEqual(error.problems, ['file not found']);
  t.is(error.message, `${file}: file not found`);
});

test('a minimal config is filled with the documented defaults and its problem resolved against the config folder', (t) => {
  const file = writeConfig(valid);
  const loaded = loadRunConfig(file);
  t.is(loaded.path, file);
  t.is(loaded.problemDir, join(file, '..', 'problem'));
  t.deepEqual(loaded.config, {
    problem: './problem',
    seed: 0,
    pipelineDepth: 8,
    budget: { iterations: 10 },
    evaluation: { timeoutMs: 30_000, memoryLimitMb: 2048, recheck: { count: 0, aggregate: 'mean' } },
    operators: [{ type: 'param-mutation', weight: 1 }],
    selection: { strategy: 'uniform' },
    islands: { count: 1, migrationInterval: 50, migrationRate: 1, topology: 'ring', stagnation: 0, survivors: 4 },
    archive: {
      layout: 'grid', cvt: { cells: 1000, iterations: 20, clip: false }, rule: 'elitist', soft: { learningRate: 0.1 }, novelty: { neighbours: 15, threshold: 0.05 },
      epsilon: 0, qdOffset: 0, metricsInterval: 10,
    },
    operatorChoice: { policy: 'weights' },
  });
});

test('a tournament without a size gets size 3', (t) => {
  const loaded = loadRunConfig(writeConfig({ ...valid, selection: { strategy: 'tournament' } }));
  t.deepEqual(loaded.config.selection, { strategy: 'tournament', size: 3 });
});

test('closest() suggests a known key only when it is near enough to be a typo', (t) => {
  t.is(closest('budjet', ['budget', 'seed']), 'budget');
  t.is(closest('SEED', ['budget', 'seed']), 'seed');
  t.is(closest('zzzzzzzzzz', ['budget', 'seed']), undefined);
  t.is(closest('x', []), undefined);
});

// Problem folders.

interface ProblemFixture {
  manifest?: unknown;
  evaluator?: boolean;
  seed?: Record<string, string> | null;
}

const goodManifest = {
  name: 'toy',
  evaluator: 'evaluator.mjs',
  seed: 'seed',
  params: {
    file: 'params.json',
    space: {
      x: { type: 'float', min: -5, max: 5 },
      lr: { type: 'float', min: 0.0001, max: 1, log: true },
      n: { type: 'int', min: 0, max: 10 },
      mode: { type: 'categorical', values: ['a', 'b'] },
    },
  },
  descriptors: [{ name: 'x', min: -5, max: 5, bins: 4 }, { name: 'n', min: 0, max: 10, bins: 5 }],
};
const goodSeed = { 'params.json': JSON.stringify({ x: 1, lr: 0.01, n: 3, mode: 'a' }), 'notes/readme.txt': 'hello\n' };

function writeProblem({ manifest = goodManifest, evaluator = true, seed = goodSeed }: ProblemFixture = {}): string {
  const dir = join(tempDir(), 'problem');
  mkdirSync(dir);
  writeFileSync(join(dir, 'problem.json'), JSON.stringify(manifest, null, 2));
  if (evaluator) writeFileSync(join(dir, 'evaluator.mjs'), 'export function evaluate() { return { fitness: 0, descriptors: [0, 0] }; }\n');
  if (seed !== null) {
    mkdirSync(join(dir, 'seed'));
    for (const [name, text] of Object.entries(seed)) {
      mkdirSync(join(dir, 'seed', name, '..'), { recursive: true });
      writeFileSync(join(dir, 'seed', name), text);
    }
  }
  return dir;
}

function withSpace(space: Record<string, unknown>): Record<string, unknown> {
  return { ...goodManifest, params: { file: 'params.json', space: { ...goodManifest.params.space, ...space } } };
}

const badProblems: Array<[string, ProblemFixture, (dir: string) => string[]]> = [
  ['a missing evaluator file', { evaluator: false }, (dir) => [`evaluator: ${join(dir, 'evaluator.mjs')} not found`]],
  ['a missing seed folder', { seed: null }, (dir) => [`seed: folder ${join(dir, 'seed')} not found`]],
  ['an empty seed folder', { seed: {} }, (dir) => [`seed: folder ${join(dir, 'seed')} holds no files`]],
  ['a seed without its parameter file', { seed: { 'notes.txt': 'x' } }, () => ['params.file: the seed folder has no params.json']],
  ['seed parameters outside the space', { seed: { 'params.json': JSON.stringify({ x: 7, lr: 0.01, n: 2.5, mode: 'c', extra: 1 }) } }, () => [
    'seed params.json: x: must be between -5 and 5 (got 7)',
    'seed params.json: n: must be an integer (got 2.5)',
    'seed params.json: mode: must be one of ["a","b"] (got "c")',
    'seed params.json: extra: not in the parameter space',
  ]],
  ['a seed missing a declared parameter', { seed: { 'params.json': JSON.stringify({ x: 1, lr: 0.01, n: 3 }) } }, () => ['seed params.json: mode: missing (the space declares it)']],
  ['a log-scale float with min 0', { manifest: withSpace({ lr: { type: 'float', min: 0, max: 1, log: true } }) }, () => ['params.space.lr.min: must be positive on a log scale (got 0)']],
  ['a log-scale float with a negative min', { manifest: withSpace({ lr: { type: 'float', min: -1, max: 1, log: true } }) }, () => ['params.space.lr.min: must be positive on a log scale (got -1)']],
  ['a parameter whose max is not above its min', { manifest: withSpace({ n: { type: 'int', min: 3, max: 3 } }) }, () => ['params.space.n.max: must be greater than min (3), got 3']],
  ['a descriptor whose max equals its min', { manifest: { ...goodManifest, descriptors: [{ name: 'x', min: 1, max: 1, bins: 4 }] } }, () => ['descriptors[0].max: must be greater than min (1), got 1']],
  ['a descriptor whose max is below its min', { manifest: { ...goodManifest, descriptors: [{ name: 'x', min: 2, max: -2, bins: 4 }] } }, () => ['descriptors[0].max: must be greater than min (2), got -2']],
  ['duplicate descriptor names', { manifest: { ...goodManifest, descriptors: [{ name: 'x', min: 0, max: 1, bins: 2 }, { name: 'x', min: 0, max: 1, bins: 3 }] } }, () => ['descriptors[1].name: "x" is declared twice']],
  ['a misspelt manifest key', { manifest: { ...goodManifest, evaluator: undefined, evaluatr: 'evaluator.mjs' } }, () => ['evaluator: required (a string)', 'evaluatr: unknown key (did you mean "evaluator"?)']],
  ['a misspelt key in a parameter spec', { manifest: withSpace({ x: { type: 'float', mni: 0, max: 1 } }) }, () => ['params.space.x.min: required (a number)', 'params.space.x.mni: unknown key (did you mean "min"?)']],
  ['an unknown parameter type', { manifest: withSpace({ x: { type: 'double', min: 0, max: 1 } }) }, () => ['params.space.x.type: must be one of "float", "int", "categorical" (got "double")']],
  ['a cascade whose last stage has a threshold and an earlier one none', { manifest: { ...goodManifest, cascade: [{ name: 'smoke', export: 'smoke' }, { name: 'smoke', export: 'evaluate', threshold: 1 }] } }, () => [
    'cascade[0].threshold: required for every stage but the last (a variant below it stops there)',
    'cascade[1].threshold: the last stage has no threshold (its result is the evaluation)',
    'cascade[1].name: "smoke" is declared twice',
  ]],
  ['a descriptor with 0 bins', { manifest: { ...goodManifest, descriptors: [{ name: 'x', min: 0, max: 1, bins: 0 }] } }, () => ['descriptors[0].bins: must be at least 1 (got 0)']],
  ['several folder problems, all reported at once', {
    manifest: { ...withSpace({ lr: { type: 'float', min: 0, max: 1, log: true } }), descriptors: [{ name: 'x', min: 1, max: 0, bins: 2 }, { name: 'x', min: 0, max: 1, bins: 2 }] },
    evaluator: false,
    seed: null,
  }, (dir) => [
    'descriptors[0].max: must be greater than min (1), got 0',
    'descriptors[1].name: "x" is declared twice',
    'params.space.lr.min: must be positive on a log scale (got 0)',
    `evaluator: ${join(dir, 'evaluator.mjs')} not found`,
    `seed: folder ${join(dir, 'seed')} not found`,
  ]],
];

for (const [what, fixture, expected] of badProblems) {
  test(`loadProblem() reports ${what}, naming problem.json`, (t) => {
    const probe = writeProblem(fixture);
    const error = configError(t, () => loadProblem(probe));
    const problems = expected(probe);
    t.deepEqual(error.problems, problems);
    t.is(error.message, problems.map((p) => `${join(probe, 'problem.json')}: ${p}`).join('\n'));
  });
}

test('loadProblem() of a missing folder or a folder without problem.json says so', (t) => {
  const missing = join(tempDir(), 'absent');
  t.deepEqual(configError(t, () => loadProblem(missing)).problems, ['problem folder not found']);
  const empty = tempDir();
  const error = configError(t, () => loadProblem(empty));
  t.deepEqual(error.problems, ['file not found']);
  t.is(error.message, `${join(empty, 'problem.json')}: file not found`);
});

test('loadProblem() reads a good folder with every seed file, nested ones included', (t) => {
  const dir = writeProblem();
  const problem = loadProblem(dir);
  t.is(problem.dir, dir);
  t.is(problem.evaluatorPath, join(dir, 'evaluator.mjs'));
  t.deepEqual(problem.seedFiles, goodSeed);
  t.deepEqual(Object.keys(problem.seedFiles), ['notes/readme.txt', 'params.json']);
  t.is(problem.manifest.description, '');
  t.deepEqual(problem.params, { file: 'params.json', space: goodManifest.params.space });
});

test('the sphere fixture problem loads', (t) => {
  const problem = loadProblem(sphereDir);
  t.is(problem.manifest.name, 'sphere');
  t.deepEqual(problem.descriptors.map((d) => [d.name, d.bins]), [['x', 8], ['n', 6]]);
  t.is(problem.params?.file, 'params.json');
  t.deepEqual(Object.keys(problem.params?.space ?? {}).sort(), ['n', 'shape', 'x', 'y']);
  t.deepEqual(Object.keys(problem.seedFiles).sort(), ['notes.txt', 'params.json']);
  t.is(problem.evaluatorPath, join(sphereDir, 'evaluator.mjs'));
});

test('a problem without a parameter space loads with params null', (t) => {
  const { params: _params, ...manifest } = goodManifest;
  const problem = loadProblem(writeProblem({ manifest, seed: { 'prompt.txt': 'hi' } }));
  t.is(problem.params, null);
  t.deepEqual(problem.seedFiles, { 'prompt.txt': 'hi' });
});

test('llm.promptEvolution: its operators must be LLM operators of the config and its model one of llm.models', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ouroboros-evolve-'));
  const file = join(dir, 'c.json');
  writeFileSync(file, JSON.stringify({
    problem: '.', budget: { iterations: 10 },
    operators: [{ type: 'llm-diff', name: 'diff', weight: 1 }, { type: 'param-mutation', name: 'mutate', weight: 1 }],
    llm: { models: [{ name: 'm' }], promptEvolution: { operators: ['mutate', 'dif'], model: 'gpt', interval: 0 } },
  }));
  const error = t.throws(() => loadRunConfig(file), { instanceOf: ConfigError });
  t.regex(error!.message, /llm\.promptEvolution\.interval: must be at least 1/);
  writeFileSync(file, JSON.stringify({
    problem: '.', budget: { iterations: 10 },
    operators: [{ type: 'llm-diff', name: 'diff', weight: 1 }, { type: 'param-mutation', name: 'mutate', weight: 1 }],
    llm: { models: [{ name: 'm' }], promptEvolution: { operators: ['mutate', 'dif'], model: 'gpt' } },
  }));
  const again = t.throws(() => loadRunConfig(file), { instanceOf: ConfigError });
  t.regex(again!.message, /llm\.promptEvolution\.operators: "mutate" is not an LLM operator of this config \(diff\)/);
  t.regex(again!.message, /llm\.promptEvolution\.operators: "dif" is not an LLM operator/);
  t.regex(again!.message, /llm\.promptEvolution\.model: "gpt" is not in llm\.models \(m\)/);
});
