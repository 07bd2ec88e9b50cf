import test from 'ava';
import { join } from 'node:path';
import { EvaluationPool } from '../../../fitness/evaluation-pool.js';
import { loadRunConfig } from '../../../engine/config/load-config.js';
import { loadProblem } from '../../../engine/config/problem.js';
import { RunStore } from '../../../engine/store/run-store.js';
import { describeArchive } from '../../../engine/config/archive-setup.js';
import { SearchEngine } from '../../../engine/loop/search-engine.js';
import type { Operator } from '../../../operators/operator.js';
import { ParamMutationOperator } from '../../../operators/param-mutation-operator.js';
import { sphereConfig, tempDir } from '../../helpers/cli.js';

/** Returns the same mutated child twice, plus an unchanged copy of its parent. */
class TwinOperator implements Operator {
  readonly name = 'twins';
  readonly parentCount = 1;
  private readonly inner = new ParamMutationOperator();
  async propose(context: Parameters<Operator['propose']>[0]) {
    const r = await this.inner.propose(context);
    if (!r.ok) return r;
    const child = r.children[0]!;
    return { ok: true as const, children: [child, { files: { ...child.files } }, { files: context.parents[0]!.files }] };
  }
}

async function runTwins(db: string, iterations: number) {
  const { config, problemDir } = loadRunConfig(sphereConfig);
  const problem = loadProblem(problemDir);
  const store = RunStore.create(db, { config, seedFiles: problem.seedFiles }) ;
  const pool = await EvaluationPool.open({ evaluatorPath: problem.evaluatorPath, descriptors: problem.descriptors, workers: 2, timeoutMs: 5000 });
  try {
    const engine = new SearchEngine({ store, pool, problem, config, archive: describeArchive(config, problem.descriptors, problemDir), arms: [{ label: 'twin', operator: new TwinOperator(), weight: 1, llm: null }], policy: { kind: 'weights' }, budget: { iterations }, signal: new AbortController().signal });
    return { result: await engine.run(), store };
  } finally {
    await pool.close();
  }
}

test('identical children of one iteration are evaluated once and the later ones reuse that evaluation', async (t) => {
  const db = join(tempDir(), 'twins.sqlite');
  const { result, store } = await runTwins(db, 30);
  t.is(result.iterations, 30);
  const rows = [...store.log()].filter((r) => r.iteration > 0 && r.variantId !== null);
  const byIteration = new Map<number, typeof rows>();
  for (const r of rows) byIteration.set(r.iteration, [...(byIteration.get(r.iteration) ?? []), r]);
  let checked = 0;
  for (const children of byIteration.values()) {
    t.is(children.length, 3);
    t.is(children[0]!.variantId, children[1]!.variantId);
    t.is(children[1]!.cached, true, 'the twin reuses the first child\'s evaluation');
    t.is(children[2]!.cached, true, 'the parent copy reuses the parent\'s evaluation');
    checked++;
  }
  t.true(checked > 20);
  // Each distinct variant is evaluated once: evaluations = seed + one per distinct child.
  t.is(store.evaluationCount(), 1 + new Set(rows.filter((r) => r.cached === false).map((r) => r.variantId)).size);
  store.close();
});

/** Like an LLM call: takes a while, and gives up when the run is stopping. */
class PatientOperator implements Operator {
  readonly name = 'patient';
  readonly parentCount = 1;
  private readonly inner = new ParamMutationOperator();
  async propose(context: Parameters<Operator['propose']>[0]) {
    await new Promise<void>((resolve) => {
      const onAbort = () => { clearTimeout(timer); resolve(); };
      const timer = setTimeout(() => { context.signal.removeEventListener('abort', onAbort); resolve(); }, 15);
      context.signal.addEventListener('abort', onAbort, { once: true });
    });
    if (context.signal.aborted) return { ok: false as const, reason: 'the run is stopping' };
    return this.inner.propose(context);
  }
}

async function runPatient(store: RunStore, iterations: number, signal: AbortSignal) {
  const { config, problemDir } = loadRunConfig(sphereConfig);
  const problem = loadProblem(problemDir);
  const pool = await EvaluationPool.open({ evaluatorPath: problem.evaluatorPath, descriptors: problem.descriptors, workers: 2, timeoutMs: 5000 });
  try {
    const engine = new SearchEngine({ store, pool, problem, config, archive: describeArchive(config, problem.descriptors, problemDir), arms: [{ label: 'patient', operator: new PatientOperator(), weight: 1, llm: null }], policy: { kind: 'weights' }, budget: { iterations }, signal });
    return await engine.run();
  } finally {
    await pool.close();
  }
}

test('an operator that gives up because the run is stopping is not committed, and the resumed run matches an uninterrupted one', async (t) => {
  const dir = tempDir();
  const { config, problemDir } = loadRunConfig(sphereConfig);
  const seedFiles = loadProblem(problemDir).seedFiles;
  const reference = RunStore.create(join(dir, 'ref.sqlite'), { config, seedFiles });
  await runPatient(reference, 60, new AbortController().signal);
  const stopped = RunStore.create(join(dir, 'stopped.sqlite'), { config, seedFiles });
  const controller = new AbortController();
  // Stop once a few iterations are in, whatever the machine's speed.
  const poll = setInterval(() => { if (stopped.committedIterations() >= 12) { clearInterval(poll); controller.abort(); } }, 2);
  const first = await runPatient(stopped, 60, controller.signal);
  t.is(first.stopReason, 'interrupted');
  t.true(first.iterations > 1 && first.iterations < 60, `stopped after ${first.iterations}`);
  const failures = [...stopped.log()].filter((r) => r.variantId === null);
  t.deepEqual(failures, [], 'no iteration was committed as an operator failure');
  await runPatient(stopped, 60, new AbortController().signal);
  t.deepEqual([...stopped.log()], [...reference.log()]);
  t.deepEqual(stopped.archiveCells(), reference.archiveCells());
  reference.close();
  stopped.close();
});

async function runTwoArms(store: RunStore, iterations: number) {
  const { config, problemDir } = loadRunConfig(sphereConfig);
  const problem = loadProblem(problemDir);
  const pool = await EvaluationPool.open({ evaluatorPath: problem.evaluatorPath, descriptors: problem.descriptors, workers: 2, timeoutMs: 5000 });
  try {
    const arms = [
      { label: 'small', operator: new ParamMutationOperator({ sigma: 0.05 }, 'small'), weight: 1, llm: null },
      { label: 'large', operator: new ParamMutationOperator({ sigma: 0.3 }, 'large'), weight: 3, llm: null },
    ];
    const engine = new SearchEngine({ store, pool, problem, config, archive: describeArchive(config, problem.descriptors, problemDir), arms, policy: { kind: 'weights' }, budget: { iterations }, signal: new AbortController().signal });
    await engine.run();
    return engine.armStats();
  } finally {
    await pool.close();
  }
}

test('a resume under fixed weights counts each committed iteration as a pull of the arm it logged, as the uninterrupted run did', async (t) => {
  const dir = tempDir();
  const { config, problemDir } = loadRunConfig(sphereConfig);
  const seedFiles = loadProblem(problemDir).seedFiles;
  const whole = RunStore.create(join(dir, 'whole.sqlite'), { config, seedFiles });
  const expected = await runTwoArms(whole, 80);
  const split = RunStore.create(join(dir, 'split.sqlite'), { config, seedFiles });
  await runTwoArms(split, 30);
  const resumed = await runTwoArms(split, 80);
  t.deepEqual(resumed, expected);
  t.is(expected.reduce((n, a) => n + a.pulls, 0), 79, 'iterations 1 to 79 each chose an arm');
  t.true(expected.every((a) => a.pulls > 0));
  t.deepEqual([...split.log()], [...whole.log()]);
  whole.close();
  split.close();
});
