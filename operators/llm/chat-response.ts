// Reads the body of an HTTP 200 as a chat completion, or says in a typed error what it was instead (an error object, HTML, an event stream, ...).
import { LlmResponseError } from './llm-errors.js';

/** What the client keeps of a chat completion. */
export interface ChatCompletionBody {
  /** null when content was null and there was no tool call either. */
  text: string | null;
  model: string | null;
  finishReason: string | null;
  refusal: string | null;
  tokensIn: number;
  tokensOut: number;
}

/**
 * Parses `raw`, the whole body of a 200 answer to a non-streaming chat completion request.
 * Anything that is not a completion with a message throws LlmResponseError naming what it was,
 * with the start of the body: an endpoint behind a proxy or a gateway may answer 200 with an
 * HTML page, an `{error: ...}` object or an event stream, and none of that may surface as a TypeError.
 * A message whose content is null while it calls tools keeps the calls, as text.
 */
export function readChatCompletion(raw: string, contentType: string | null): ChatCompletionBody {
  // Typed on the binding, so that TypeScript narrows after `if (...) fail(...)`.
  const fail: (what: string, usage?: unknown, embedded?: LlmResponseError['embedded']) => never = (what, usage, embedded) => {
    throw new LlmResponseError(`the endpoint answered HTTP 200 with ${what}, not a chat completion: ${excerpt(raw)}`, usageOf(usage), embedded);
  };
  const type = contentType?.split(';')[0]?.trim().toLowerCase() ?? '';
  const start = raw.trimStart();
  if (start === '') fail('an empty body');
  if (type === 'text/event-stream' || /^(data|event|id|retry):/.test(start)) fail('an event stream although no stream was asked for');
  if (type === 'text/html' || start.startsWith('<')) fail('an HTML page');
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    fail(start.startsWith('{') || start.startsWith('[') ? 'JSON that is cut off or malformed' : 'a body that is not JSON');
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) fail('JSON that is not an object');
  const o = body as Record<string, unknown>;
  if (!('choices' in o)) {
    if (o.error !== undefined && o.error !== null) fail(`an error object (${errorMessage(o.error)})`, o.usage, embeddedStatus(o.error));
    fail('an object without "choices"', o.usage);
  }
  if (!Array.isArray(o.choices)) fail('"choices" that is not a list', o.usage);
  const choices = o.choices as unknown[];
  if (choices.length === 0) fail('an empty "choices" list', o.usage);
  const choice = choices[0] as Record<string, unknown> | null;
  if (choice === null || typeof choice !== 'object') fail('choices[0] that is not an object', o.usage);
  const message = choice.message as Record<string, unknown> | null | undefined;
  if (message === null || typeof message !== 'object') fail('choices[0] without a message', o.usage);
  const content = message.content;
  if (content !== null && content !== undefined && typeof content !== 'string') fail('a message content that is not text', o.usage);
  const tools = toolCallText(message);
  const usage = usageOf(o.usage);
  return {
    text: typeof content === 'string' ? content : tools,
    model: typeof o.model === 'string' ? o.model : null,
    finishReason: typeof choice.finish_reason === 'string' ? choice.finish_reason : null,
    refusal: typeof message.refusal === 'string' ? message.refusal : null,
    ...usage,
  };
}

/** Tool calls (and the legacy function_call) as lines `name(arguments)`; null when there are none. */
function toolCallText(message: Record<string, unknown>): string | null {
  const calls: unknown[] = Array.isArray(message.tool_calls) ? message.tool_calls : [];
  const lines = calls.map((c) => {
    const call = (c ?? {}) as Record<string, unknown>;
    const fn = (call.function ?? call.custom ?? {}) as Record<string, unknown>;
    return `[tool call] ${String(fn.name ?? call.type ?? 'unnamed')}(${String(fn.arguments ?? fn.input ?? '')})`;
  });
  const legacy = message.function_call as Record<string, unknown> | null | undefined;
  if (legacy && typeof legacy === 'object') lines.push(`[function call] ${String(legacy.name ?? 'unnamed')}(${String(legacy.arguments ?? '')})`);
  return lines.length === 0 ? null : lines.join('\n');
}

function usageOf(usage: unknown): { tokensIn: number; tokensOut: number } {
  const u = (usage ?? {}) as Record<string, unknown>;
  const count = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : 0);
  return { tokensIn: count(u.prompt_tokens), tokensOut: count(u.completion_tokens) };
}

/** The status an error object names (`code: 400` or `status: 400`), with its message, code and param. */
function embeddedStatus(error: unknown): LlmResponseError['embedded'] {
  const e = (error ?? {}) as Record<string, unknown>;
  const status = [e.status, e.code].find((v): v is number => typeof v === 'number');
  return status === undefined ? undefined : { status, message: errorMessage(error), code: e.type, param: e.param };
}

function errorMessage(error: unknown): string {
  if (typeof error === 'string') return error;
  const e = (error ?? {}) as Record<string, unknown>;
  return typeof e.message === 'string' ? e.message : JSON.stringify(error) ?? String(error);
}

/** The start of a body on one line, so that a message stays readable when the body is a whole HTML page. */
export function excerpt(text: string, length = 160): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > length ? `${JSON.stringify(flat.slice(0, length))}...` : JSON.stringify(flat);
}
