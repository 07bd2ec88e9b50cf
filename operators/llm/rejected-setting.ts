// Tells a 400 that refuses a request parameter or value (a configuration error) from one about this request's content.

/** The parameter a refusal names (null when it cannot be told) and what to change in `llm.models[]`. */
export interface RejectedSetting { parameter: string | null; hint: string }

/**
 * Phrasings of OpenAI ("Unsupported parameter: 'max_tokens' is not supported with this model",
 * "Unsupported value: 'temperature' does not support 0.7", "Unrecognized request argument supplied"),
 * vLLM and other pydantic servers ("Extra inputs are not permitted"), llama.cpp ("Unsupported param:"),
 * Ollama (a Go "cannot unmarshal ... into ... field") and JSON-schema validators. A context-length
 * error is not among them: it depends on the prompt, not on the settings.
 */
const REFUSALS: readonly RegExp[] = [
  /unsupported[ _](parameter|param|value|argument|field|option)/i,
  /unrecogni[sz]ed[ _](request[ _])?(argument|parameter|field|key|option)/i,
  /unknown[ _](parameter|param|field|argument|key|option)/i,
  /extra[ _]inputs are not permitted|extra_forbidden|additional properties are not allowed/i,
  /(is|are) not supported (with|by|for|on|in) this model/i,
  /\bdoes not support\b/i,
  /cannot unmarshal .* into .*(field|value)/i,
  /invalid (value|type) for ['"`]?[a-z_]+['"`]?/i,
];

const CODES = new Set(['unsupported_parameter', 'unsupported_value', 'unknown_parameter', 'invalid_parameter', 'extra_forbidden']);

/**
 * undefined unless `status` is 400 or 422 and the endpoint's error refuses a parameter or value that
 * is one of `sent`, the settings this request carried (its body keys other than model and messages:
 * max_tokens, temperature, top_p, seed, the extra body's keys...). The wording alone does not tell:
 * "deepseek-reasoner does not support successive user or assistant messages" or "Invalid value for
 * 'content'" refuse the request's content, which another request may not have, so such a 400, and one
 * naming no parameter at all, stays an ordinary failure.
 */
export function rejectedSetting(
  status: number, message: string, code: unknown, param: unknown, sent: readonly string[],
): RejectedSetting | undefined {
  if (status !== 400 && status !== 422) return undefined;
  if (!(typeof code === 'string' && CODES.has(code)) && !REFUSALS.some((r) => r.test(message))) return undefined;
  const parameter = typeof param === 'string' && param !== '' ? param : parameterIn(message);
  // A nested name ("response_format.type", "stop[0]") refuses the top-level key that was sent.
  const key = parameter?.split(/[.[]/, 1)[0];
  if (key === undefined || !sent.includes(key)) return undefined;
  return { parameter, hint: hintFor(parameter) };
}

function parameterIn(message: string): string | null {
  const patterns = [
    /unsupported[ _](?:parameter|param|value|argument|field|option)s?:?\s*['"`]?([a-z_][\w.]*)/i,
    /\(\s*['"]body['"]\s*,\s*['"]([a-z_]\w*)['"]/i, // pydantic loc ('body', 'reasoning_effort')
    /into Go struct field \w+\.([a-z_]\w*)/i,
    /['"`]([a-z_][a-z0-9_]*)['"`]/i,
    /argument(?:s)? supplied:?\s*([a-z_]\w*)/i,
  ];
  for (const p of patterns) {
    const m = p.exec(message);
    if (m?.[1]) return m[1];
  }
  return null;
}

function hintFor(parameter: string | null): string {
  switch (parameter) {
    case 'max_tokens': return 'set "maxCompletionTokens" for this model (sent as max_completion_tokens instead)';
    case 'max_completion_tokens': return 'this endpoint takes max_tokens: remove "maxCompletionTokens" for this model (llm.maxTokens is then sent as max_tokens)';
    case 'temperature': return 'set "temperature": null for this model (no temperature is sent), or a temperature it accepts';
    case 'top_p': return 'remove "topP" for this model, or give a value it accepts';
    case 'reasoning_effort': return 'remove "reasoningEffort" for this model, or give a value it accepts';
    case 'seed': return 'this endpoint refuses the seed the engine sends with every request; use another endpoint or server version';
    default: return 'change or remove that setting of this model (its "extraBody" included)';
  }
}
