// The LLM answer cache's key (requestKey): a function of what the endpoint is asked, and nothing about who asks.
import test from 'ava';
import { requestKey } from '../../../engine/llm/llm-gateway.js';

test('requestKey is stable for equal requests and changes with model, temperature, seed, messages or maxTokens', (t) => {
  const base = { model: 'm', temperature: 0.5, seed: 7, messages: [{ role: 'system' as const, content: 'S' }, { role: 'user' as const, content: 'U' }] };
  const key = requestKey(base, 100);
  t.regex(key, /^[0-9a-f]{32}$/);
  t.is(requestKey(structuredClone(base), 100), key);
  // Property order inside a message does not matter (canonical JSON), nor does who asks.
  t.is(requestKey({ ...base, messages: [{ content: 'S', role: 'system' as const }, { content: 'U', role: 'user' as const }] }, 100), key);
  t.is(requestKey({ ...base, iteration: 1, operator: 'x', purpose: 'repair' } as typeof base, 100), key);

  const variants: Array<[string, string]> = [
    ['model', requestKey({ ...base, model: 'm2' }, 100)],
    ['temperature', requestKey({ ...base, temperature: 0.6 }, 100)],
    ['seed', requestKey({ ...base, seed: 8 }, 100)],
    ['message content', requestKey({ ...base, messages: [base.messages[0]!, { role: 'user', content: 'U!' }] }, 100)],
    ['message role', requestKey({ ...base, messages: [base.messages[0]!, { role: 'assistant', content: 'U' }] }, 100)],
    ['message order', requestKey({ ...base, messages: [base.messages[1]!, base.messages[0]!] }, 100)],
    ['maxTokens', requestKey(base, 101)],
  ];
  for (const [what, other] of variants) t.not(other, key, what);
  t.is(new Set(variants.map(([, k]) => k)).size, variants.length);
});


test('requestKey keeps the key of a plain request as before per-model settings, so older runs resume from their answers', (t) => {
  const plain = { model: 'gw-model', temperature: 0.7, seed: 1234, messages: [{ role: 'system' as const, content: 'You improve code.' }, { role: 'user' as const, content: 'Make f faster.' }] };
  const maxTokens = 321;
  t.is(requestKey(plain, { temperature: 0.7, maxTokens }), requestKey(plain, maxTokens));
  const keys = new Set([
    requestKey(plain, maxTokens),
    requestKey(plain, { temperature: null, maxTokens }),
    requestKey(plain, { temperature: 0.7, maxCompletionTokens: maxTokens }),
    requestKey(plain, { temperature: 0.7, maxTokens, reasoningEffort: 'low' }),
    requestKey(plain, { temperature: 0.7, maxTokens, topP: 0.9 }),
    requestKey(plain, { temperature: 0.7, maxTokens, extraBody: { a: 1 } }),
    requestKey(plain, { temperature: 0.7, maxTokens, extraBody: { a: 2 } }),
  ]);
  t.is(keys.size, 7);
});

