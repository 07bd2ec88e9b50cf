// The tune functions used from TypeScript (as bench/tune.ts does, under tsx): the generated problem folder
// loads the tune evaluator from source, and the baseline is the base config's mean metric per problem.
import test from 'ava';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadTuneConfig, prepareTune, tuneDir } from '../../../engine/tune/tune-setup.js';
import type { TuneTask } from '../../../engine/tune/tune-task.js';
import { root, tempDir } from '../../helpers/cli.js';

test('prepareTune writes the problem folder and computes the baseline through the worker pool', async (t) => {
  const dir = tempDir();
  const suite = join(root, 'examples/suite');
  const file = join(dir, 'tune.json');
  writeFileSync(file, JSON.stringify({
    base: join(suite, 'base.json'), seeds: 2, budget: { iterations: 25 }, trials: 2,
    problems: { train: [join(suite, 'sphere-20')], heldOut: [join(suite, 'rastrigin-20')] },
    space: { 'operators.mutate.sigma': { type: 'float', min: 0.01, max: 1, log: true } },
  }));
  const loaded = loadTuneConfig(file);
  const db = join(dir, 'tune.sqlite');
  const messages: string[] = [];
  const outer = await prepareTune(loaded, db, 2, (m) => messages.push(m));
  t.is(outer, join(tuneDir(db), 'tune-run.json'));
  const task = JSON.parse(readFileSync(join(tuneDir(db), 'problem', 'task.json'), 'utf8')) as TuneTask;
  t.deepEqual(task.seeds, [1, 2]);
  t.true(task.baseline!['sphere-20']! > 0, JSON.stringify(task.baseline));
  t.deepEqual(JSON.parse(readFileSync(join(tuneDir(db), 'problem', 'seed', 'params.json'), 'utf8')), { 'operators.mutate.sigma': 0.15 });
  t.regex(messages[0]!, /baseline: the base config on 1 training problem\(s\) x 2 seed\(s\)/);
  // Prepared again with the same task, the stored baseline is reused (nothing is recomputed).
  const again: string[] = [];
  await prepareTune(loaded, db, 2, (m) => again.push(m));
  t.deepEqual(again, []);
});
