// Tests of per-model LLM settings: which models are reasoning models, the settings a request gets, their validation, and the arms they make.
import test from 'ava';
import { check, runConfigSchema } from '../../../engine/config/config-schema.js';
import { armSpecs } from '../../../engine/arms/operator-registry.js';
import { fixedTemperature, isReasoningModel, requestSettings } from '../../../operators/llm/model-settings.js';

test('o-series and gpt-5 models are reasoning models, with or without a provider prefix; chat models are not', (t) => {
  for (const name of ['o1', 'o1-mini', 'o3', 'o3-mini', 'o3-pro', 'o4-mini', 'o4-mini-2025-04-16', 'openai/o3-mini', 'gpt-5', 'gpt-5-mini', 'gpt-5-nano', 'gpt-5.1', 'GPT-5']) {
    t.true(isReasoningModel(name), name);
  }
  for (const name of ['gpt-4.1-mini', 'gpt-4o', 'gpt-5-chat-latest', 'gpt-5.1-chat-latest', 'qwen2.5-coder:7b', 'llama-3-o1', 'omni', 'openai/gpt-4o', 'o']) {
    t.false(isReasoningModel(name), name);
  }
});

test('requestSettings: the defaults, an explicit temperature or none, and the other settings as given', (t) => {
  t.deepEqual(requestSettings('gpt-4.1', undefined, 4096, 0.7), { temperature: 0.7, maxTokens: 4096 });
  t.deepEqual(requestSettings('o3', undefined, 4096, 0.7), { temperature: null, maxCompletionTokens: 4096 });
  t.deepEqual(requestSettings('o3', { temperature: 1, maxCompletionTokens: 30_000 }, 4096, 0.7), { temperature: 1, maxCompletionTokens: 30_000 });
  t.deepEqual(requestSettings('local', { temperature: null, reasoningEffort: 'high', topP: 0.8, extraBody: { top_k: 20 } }, 512, 0.4),
    { temperature: null, maxTokens: 512, reasoningEffort: 'high', topP: 0.8, extraBody: { top_k: 20 } });
  t.deepEqual(requestSettings('local', { maxCompletionTokens: 100 }, 512, 0.4), { temperature: 0.4, maxCompletionTokens: 100 });
  t.is(fixedTemperature('gpt-4.1', {}), undefined);
  t.is(fixedTemperature('gpt-5', {}), null);
  t.is(fixedTemperature('gpt-5', { temperature: 0.3 }), 0.3);
});

const base = { problem: '.', budget: { iterations: 5 }, operators: [{ type: 'llm-diff', weight: 1 }] };
const withModel = (model: Record<string, unknown>) => ({ ...base, llm: { models: [{ name: 'ok' }, { name: 'm', ...model }] } });

const invalid: Array<[string, Record<string, unknown>, string[]]> = [
  ['an unknown reasoning effort', { reasoningEffort: 'extreme' }, ['llm.models[1].reasoningEffort: must be one of "none", "minimal", "low", "medium", "high", "xhigh" (got "extreme")']],
  ['a temperature above 2', { temperature: 3 }, ['llm.models[1].temperature: must be at most 2 (got 3)']],
  ['a temperature given as text', { temperature: 'none' }, ['llm.models[1].temperature: must be a number (got "none")']],
  ['maxCompletionTokens of 0', { maxCompletionTokens: 0 }, ['llm.models[1].maxCompletionTokens: must be at least 1 (got 0)']],
  ['topP above 1', { topP: 1.5 }, ['llm.models[1].topP: must be at most 1 (got 1.5)']],
  ['an extraBody that is not an object', { extraBody: [1] }, ['llm.models[1].extraBody: must be a record (got [1])']],
  ['an extraBody replacing stream and model', { extraBody: { stream: true, model: 'x', top_k: 5 } }, [
    'llm.models[1].extraBody.model: set by the engine; extraBody cannot replace it (reserved: model, messages, stream, n, seed)',
    'llm.models[1].extraBody.stream: set by the engine; extraBody cannot replace it (reserved: model, messages, stream, n, seed)',
  ]],
  ['a misspelt setting', { reasoning_effort: 'low' }, ['llm.models[1].reasoning_effort: unknown key (did you mean "reasoningEffort"?)']],
];

for (const [name, model, problems] of invalid) {
  test(`config validation names the field: ${name}`, (t) => {
    const result = check(runConfigSchema, withModel(model));
    t.false(result.ok);
    t.deepEqual(result.ok ? [] : [...result.problems].sort(), [...problems].sort());
  });
}

test('valid per-model settings are kept as given', (t) => {
  const result = check(runConfigSchema, withModel({ temperature: null, maxCompletionTokens: 20_000, reasoningEffort: 'low', topP: 0.9, extraBody: { service_tier: 'flex' } }));
  t.true(result.ok);
  t.like(result.ok ? result.value.llm!.models[1] : {}, { temperature: null, maxCompletionTokens: 20_000, reasoningEffort: 'low', topP: 0.9, extraBody: { service_tier: 'flex' } });
});

test('a model with a temperature of its own, or none, is one arm per operator; the others one per temperature', (t) => {
  const result = check(runConfigSchema, {
    ...base,
    operators: [{ type: 'llm-diff', weight: 6 }, { type: 'llm-rewrite', weight: 2, temperatures: [0.1, 0.2, 0.3] }],
    llm: { models: [{ name: 'chat', weight: 1 }, { name: 'o3', weight: 1 }, { name: 'fixed', weight: 1, temperature: 0.2 }, { name: 'plain', weight: 1, temperature: null }], temperatures: [0.4, 1] },
  });
  if (!result.ok) return t.fail(result.problems.join('\n'));
  const arms = armSpecs(result.value);
  t.deepEqual(arms.map((a) => a.label), [
    'llm-diff|chat|t=0.4', 'llm-diff|chat|t=1', 'llm-diff|o3|t=default', 'llm-diff|fixed|t=0.2', 'llm-diff|plain|t=default',
    'llm-rewrite|chat|t=0.1', 'llm-rewrite|chat|t=0.2', 'llm-rewrite|chat|t=0.3', 'llm-rewrite|o3|t=default', 'llm-rewrite|fixed|t=0.2', 'llm-rewrite|plain|t=default',
  ]);
  // Each model keeps its share of its operator's weight, however many arms it has.
  const weightOf = (prefix: string) => arms.filter((a) => a.label.startsWith(prefix)).reduce((s, a) => s + a.weight, 0);
  for (const m of ['chat', 'o3', 'fixed', 'plain']) {
    t.is(weightOf(`llm-diff|${m}|`), 1.5, m);
    t.is(weightOf(`llm-rewrite|${m}|`), 0.5, m);
  }
  t.true(Number.isNaN(arms.find((a) => a.label === 'llm-diff|o3|t=default')!.llm!.temperature));
  t.is(arms.find((a) => a.label === 'llm-diff|fixed|t=0.2')!.llm!.temperature, 0.2);
});
