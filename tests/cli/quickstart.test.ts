import test from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { root, runCli, tempDir } from '../helpers/cli.js';

test('the quickstart config runs through the compiled CLI, improves on the seed and writes its exports', async (t) => {
  const dir = tempDir();
  const db = join(dir, 'quickstart.sqlite');
  const result = await runCli(['run', join(root, 'configs/quickstart.json'), '--db', db, '--max-iterations', '120']);
  t.is(result.code, 0, result.stderr);
  t.regex(result.stdout, /iteration \d+\/120/, 'progress lines');
  const best = /best fitness ([\d.]+) \(seed ([\d.]+), \+[\d.]+\)/.exec(result.stdout);
  t.truthy(best, result.stdout);
  t.true(Number(best![1]) > Number(best![2]) + 0.1, 'a clear improvement over the seed');
  t.regex(result.stdout, /archive: \d+\/100 cells filled \(coverage [\d.]+%\)/);
  t.regex(result.stdout, /pool utilisation \d+%/);
  t.true(existsSync(join(dir, 'quickstart.elites.jsonl')));
  t.true(existsSync(join(dir, 'quickstart.elites.csv')));
  const params = JSON.parse(readFileSync(join(dir, 'quickstart.best', 'params.json'), 'utf8'));
  t.is(typeof params.learningRate, 'number');
  const jsonl = readFileSync(join(dir, 'quickstart.elites.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  t.true(jsonl.length > 5);
  t.is(jsonl[0].header.format, 'ouroboros-archive');
  t.deepEqual(Object.keys(jsonl[1].descriptors), ['log10ParamCount', 'log10TrainingBudget']);
});
