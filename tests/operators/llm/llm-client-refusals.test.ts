// Tests of how LlmClient meets a 400 against a loopback server: one refusing a setting the request sent stops it at once, one about the request's content is that call's failure.
import test from 'ava';
import type { LlmAttemptFailure, LlmRequest } from '../../../operators/llm/llm-client.js';
import { LlmSettingRejectedError } from '../../../operators/llm/llm-errors.js';
import { clientFor, messages, withServer } from '../../helpers/llm-client-setup.js';
import type { Behaviour } from '../../helpers/openai-loopback-server.js';

/** 400s that refuse a parameter or value, in the words of several servers, with the settings of the request that sends it. */
const refusals: Array<{ server: string; behaviour: Behaviour; parameter: string | null; hint: RegExp; settings?: Partial<LlmRequest> }> = [
  {
    server: 'OpenAI (max_tokens)', parameter: 'max_tokens', hint: /maxCompletionTokens/,
    behaviour: { status: 400, code: 'unsupported_parameter', param: 'max_tokens', message: "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead." },
  },
  {
    server: 'OpenAI (temperature)', parameter: 'temperature', hint: /"temperature": null/,
    behaviour: { status: 400, code: 'unsupported_value', param: 'temperature', message: "Unsupported value: 'temperature' does not support 0.7 with this model. Only the default (1) value is supported." },
  },
  {
    server: 'vLLM', parameter: 'reasoning_effort', hint: /reasoningEffort/, settings: { reasoningEffort: 'high' },
    behaviour: { status: 400, message: "[{'type': 'extra_forbidden', 'loc': ('body', 'reasoning_effort'), 'msg': 'Extra inputs are not permitted', 'input': 'high'}]" },
  },
  { server: 'llama.cpp', parameter: 'top_p', hint: /topP/, settings: { topP: 0.9 }, behaviour: { status: 400, message: 'Unsupported param: top_p' } },
  {
    server: 'Ollama', parameter: 'temperature', hint: /temperature/,
    behaviour: { status: 400, message: 'json: cannot unmarshal string into Go struct field ChatCompletionRequest.temperature of type float64' },
  },
  {
    server: 'Azure', parameter: 'max_completion_tokens', hint: /remove "maxCompletionTokens"/, settings: { maxCompletionTokens: 5000 },
    behaviour: { status: 400, message: 'Unrecognized request argument supplied: max_completion_tokens' },
  },
  {
    server: 'an extra body key', parameter: 'response_format.type', hint: /"extraBody"/, settings: { extraBody: { response_format: { type: 'json_schema' } } },
    behaviour: { status: 400, code: 'invalid_parameter', param: 'response_format.type', message: "Invalid value for 'response_format.type': this model does not support 'json_schema'." },
  },
];

for (const { server: name, behaviour, parameter, hint, settings } of refusals) {
  test(`a 400 refusing a parameter (${name}) stops the client at once with the endpoint's message`, async (t) => {
    await withServer([], async (server) => {
      const attempts: LlmAttemptFailure[] = [];
      const client = clientFor(server, { consecutiveFailureLimit: 8, settingsField: (m) => `llm.models[0] (${m})` });
      const error = await t.throwsAsync(client.complete({ messages, ...settings, onAttempt: (a) => attempts.push(a) }), { instanceOf: LlmSettingRejectedError });
      t.is(error.code, 'E_CONFIG');
      t.is(error.status, 400);
      t.is(error.parameter, parameter);
      t.true(error.message.startsWith('llm.models[0] (loop-model): '), error.message);
      t.true(error.message.includes((behaviour as { message: string }).message), error.message);
      t.regex(error.message, hint);
      t.is(server.requests.length, 1, 'not retried');
      t.like(attempts, [{ attempt: 1, reason: 'setting-rejected', status: 400 }]);
      // Every later call fails the same way without asking.
      await t.throwsAsync(client.complete({ messages }), { is: error });
      t.is(server.requests.length, 1);
    }, behaviour);
  });
}

/** 400s in the words of a refusal that are about the request's messages, or name a parameter the request did not send. */
const contentRefusals: Array<{ what: string; behaviour: Behaviour }> = [
  { what: 'DeepSeek refusing successive messages of one role', behaviour: { status: 400, code: 'invalid_request_error', message: 'deepseek-reasoner does not support successive user or assistant messages (messages[1] and messages[2] in your input). You should interleave the user/assistant messages in the message sequence.' } },
  { what: "a server refusing the 'content' of a message, sending no param", behaviour: { status: 400, message: "Invalid value for 'content': expected a string, got null." } },
  { what: 'a refusal of a parameter this request did not send', behaviour: { status: 400, code: 'unsupported_parameter', param: 'top_p', message: "Unsupported parameter: 'top_p' is not supported with this model." } },
];

for (const { what, behaviour } of contentRefusals) {
  test(`a 400 that refuses no setting the request sent (${what}) is this call's bad request and does not stop the client`, async (t) => {
    await withServer([behaviour, { answer: 'next call' }], async (server) => {
      const attempts: LlmAttemptFailure[] = [];
      const client = clientFor(server, { consecutiveFailureLimit: 2 });
      const result = await client.complete({ messages, onAttempt: (a) => attempts.push(a) });
      t.like(result, { ok: false, reason: 'bad-request', status: 400, attempts: 1 });
      t.true(!result.ok && result.message.includes((behaviour as { message: string }).message), result.ok ? '' : result.message);
      t.is(server.requests.length, 1, 'not retried');
      t.deepEqual(attempts, [], 'the failure is the result, not a refusal reported on the side');
      t.like(await client.complete({ messages }), { ok: true, text: 'next call' });
      t.is(server.requests.length, 2);
    });
  });
}

test('a 200 wrapping a 400 that refuses a parameter stops the client too', async (t) => {
  await withServer([], async (server) => {
    const error = await t.throwsAsync(clientFor(server).complete({ messages }), { instanceOf: LlmSettingRejectedError });
    t.regex(error.message, /Unsupported parameter: 'max_tokens'/);
    t.is(server.requests.length, 1);
  }, { raw: JSON.stringify({ error: { code: 400, message: "Unsupported parameter: 'max_tokens' is not supported with this model." } }) });
});

test('a call waiting to retry when another call finds a refused setting sends nothing more and throws that error', async (t) => {
  const refusal: Behaviour = { status: 400, code: 'unsupported_parameter', param: 'max_tokens', message: "Unsupported parameter: 'max_tokens' is not supported with this model." };
  await withServer((_index, body) => (body.model === 'retrying' ? { status: 503, message: 'busy' } : refusal), async (server) => {
    // The retry waits at least 2 s (half of baseDelayMs, jittered up), while the refusing call takes one round trip.
    const client = clientFor(server, { baseDelayMs: 4_000 });
    const retrying = client.complete({ messages, model: 'retrying' });
    await server.waitForRequests(1);
    const refused = await t.throwsAsync(client.complete({ messages, model: 'refused' }), { instanceOf: LlmSettingRejectedError });
    await t.throwsAsync(retrying, { is: refused });
    t.is(server.requests.length, 2);
  });
});
