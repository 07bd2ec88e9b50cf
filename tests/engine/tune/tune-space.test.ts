// The tune search space: which keys are tunable, the defaults it reads from the base config, how a point
// becomes a run config, and the errors that name the key.
import test from 'ava';
import { check, runConfigSchema, type RunConfig } from '../../../engine/config/config-schema.js';
import { applySettings, baseValue, checkSpace, configDescriptors, seedPoint, whyNotTunable, type ParamSpec } from '../../../engine/tune/tune-space.js';
import { bootstrapMean } from '../../../engine/tune/tune-validate.js';

const parse = (value: unknown): RunConfig => {
  const r = check(runConfigSchema, value);
  if (!r.ok) throw new Error(r.problems.join('\n'));
  return r.value;
};
const base = parse({
  problem: 'p', budget: { iterations: 100 },
  operators: [{ type: 'param-mutation', name: 'mutate', weight: 3, sigma: 0.2 }, { type: 'param-crossover', weight: 1 }],
  selection: { strategy: 'tournament', size: 4 },
});

test('tunable keys: operator settings by name, selection and bandit options, islands; archive, budget and unknown names are refused with the reason', (t) => {
  for (const key of ['operators.mutate.sigma', 'operators.mutate.rate', 'operators.mutate.weight', 'operators.param-crossover.blend',
    'selection.strategy', 'selection.size', 'selection.exponent', 'operatorChoice.policy', 'operatorChoice.discount', 'operatorChoice.credit', 'islands.count', 'pipelineDepth', 'evaluation.recheck.count']) {
    t.is(whyNotTunable(key, base), undefined, key);
  }
  t.regex(whyNotTunable('operators.mutat.sigma', base)!, /no operator named "mutat" \(it has mutate, param-crossover\)/);
  t.regex(whyNotTunable('operators.param-crossover.sigma', base)!, /a param-crossover operator has no setting "sigma"/);
  t.regex(whyNotTunable('archive.qdOffset', base)!, /not a tunable setting.*archive, budget, problem and evaluation limits are fixed/);
  t.regex(whyNotTunable('budget.iterations', base)!, /not a tunable setting/);
  t.regex(whyNotTunable('llm.temperature', base)!, /no llm section/);
  t.regex(whyNotTunable('llm.models.gpt.weight', base)!, /no model named "gpt"/);
});

test('defaults come from the base config, with the schema\'s and the operators\' defaults where it says nothing', (t) => {
  t.is(baseValue('operators.mutate.sigma', base), 0.2);
  t.is(baseValue('operators.mutate.rate', base), 0.3);
  t.is(baseValue('operators.param-crossover.blend', base), 0.3);
  t.is(baseValue('selection.size', base), 4);
  t.is(baseValue('selection.exponent', base), 1);
  t.is(baseValue('operatorChoice.discount', base), 1);
  t.is(baseValue('operatorChoice.credit', base), 'iteration');
  t.is(baseValue('islands.migrationInterval', base), 50);
  t.deepEqual(seedPoint({ 'operators.mutate.weight': { type: 'float', min: 0, max: 5 }, 'selection.strategy': { type: 'categorical', values: ['uniform', 'tournament'] } }, base),
    { 'operators.mutate.weight': 3, 'selection.strategy': 'tournament' });
});

test('a point becomes a valid run config; options of another strategy or policy are left out', (t) => {
  const a = parse(applySettings(base, { 'operators.mutate.sigma': 0.5, 'selection.strategy': 'rank', 'selection.size': 7, 'selection.exponent': 2, 'islands.count': 3 }));
  t.deepEqual(a.selection, { strategy: 'rank', exponent: 2 });
  t.is((a.operators[0] as { sigma: number }).sigma, 0.5);
  t.is(a.islands.count, 3);
  const b = parse(applySettings(base, { 'selection.strategy': 'uniform', 'selection.size': 7, 'operatorChoice.discount': 0.9 }));
  t.deepEqual(b.selection, { strategy: 'uniform' });
  t.deepEqual(b.operatorChoice, { policy: 'weights' });
  const c = parse(applySettings(base, { 'operatorChoice.policy': 'thompson', 'operatorChoice.discount': 0.9, 'operatorChoice.exploration': 3, 'operatorChoice.credit': 'evaluation' }));
  t.deepEqual(c.operatorChoice, { policy: 'thompson', discount: 0.9, credit: 'evaluation' });
  t.is((base.operators[0] as { sigma: number }).sigma, 0.2, 'the base is not changed');
});

test('checkSpace names the key: untunable, empty range, a base value outside the range, an extreme that makes an invalid config', (t) => {
  const space: Record<string, ParamSpec> = {
    'operators.mutate.sigma': { type: 'float', min: 0.3, max: 0.9 },
    'selection.size': { type: 'int', min: 2, max: 100 },
    'islands.count': { type: 'int', min: 3, max: 3 },
    'archive.rule': { type: 'categorical', values: ['soft'] },
    'operators.mutate.rate': { type: 'float', min: 0, max: 1, log: true },
  };
  const problems = checkSpace(space, base, 'space');
  t.true(problems.some((p) => /^space\.operators\.mutate\.sigma: the base config's value 0\.2 is outside the space \(float 0\.3\.\.0\.9\)/.test(p)), problems.join('\n'));
  t.true(problems.some((p) => /^space\.selection\.size: the value 100 gives an invalid run config: selection\.size: must be at most 64/.test(p)), problems.join('\n'));
  t.true(problems.some((p) => /^space\.islands\.count: max must be greater than min/.test(p)));
  t.true(problems.some((p) => /^space\.archive\.rule: not a tunable setting/.test(p)));
  t.true(problems.some((p) => /^space\.operators\.mutate\.rate: a log range needs min > 0/.test(p)));
  t.deepEqual(checkSpace({ 'operators.mutate.sigma': { type: 'float', min: 0.01, max: 1, log: true } }, base, 'space'), []);
});

test('descriptors: mutation share and exploration strength of a config', (t) => {
  const d = configDescriptors(base);
  t.is(d.mutationShare, 0.75);
  t.true(Math.abs(d.exploration - (3 * 0.2 + 1 * 0.3) / 4) < 1e-12);
  t.is(d.llmShare, 0);
});

test('the bootstrap interval is seeded, contains the mean, and is a point when every ratio is equal', (t) => {
  const ratios = [1.2, 0.9, 1.1, 1.3, 1.05, 0.95, 1.15, 1.25, 1.0, 1.1];
  const a = bootstrapMean(ratios, 7, 'x');
  t.deepEqual(a, bootstrapMean(ratios, 7, 'x'));
  t.true(a.interval[0] < a.mean && a.mean < a.interval[1]);
  t.true(a.interval[0] > 0.95 && a.interval[1] < 1.25, JSON.stringify(a));
  t.deepEqual(bootstrapMean([1.5, 1.5, 1.5], 1, 'y'), { mean: 1.5, interval: [1.5, 1.5] });
});

test('with an LLM base config: prompt folders and prompt-evolution settings are tunable; the engine\'s own prompts are the default folder', (t) => {
  const llmBase = parse({
    problem: 'p', budget: { iterations: 100 }, operators: [{ type: 'llm-diff', name: 'diff', weight: 1 }],
    llm: { models: [{ name: 'm' }], promptEvolution: { interval: 20 } },
  });
  for (const key of ['llm.prompts', 'llm.temperature', 'llm.models.m.weight', 'operators.diff.temperature', 'llm.promptEvolution.interval', 'llm.promptEvolution.population']) t.is(whyNotTunable(key, llmBase), undefined, key);
  t.regex(whyNotTunable('llm.promptEvolution.interval', parse({ ...llmBase, llm: { models: [{ name: 'm' }] } }))!, /no llm\.promptEvolution section/);
  t.regex(baseValue('llm.prompts', llmBase) as string, /configs\/prompts$/);
  t.is(baseValue('llm.promptEvolution.interval', llmBase), 20);
  t.is(baseValue('llm.promptEvolution.population', llmBase), 4);
  const c = parse(applySettings(llmBase, { 'llm.prompts': '/somewhere/prompts', 'llm.promptEvolution.population': 6, 'operators.diff.temperature': 1.1 }));
  t.is(c.llm!.prompts, '/somewhere/prompts');
  t.is(c.llm!.promptEvolution!.population, 6);
  t.deepEqual((c.operators[0] as { temperatures: number[] }).temperatures, [1.1]);
});
