// LlmClient: chat completions from any OpenAI-compatible endpoint, with one retry layer, a bound on requests in flight and a failure stop.
import OpenAI from 'openai';
import { excerpt, readChatCompletion } from './chat-response.js';
import { LlmEndpointError, LlmResponseError, LlmSettingRejectedError } from './llm-errors.js';
import { RESERVED_BODY_FIELDS, type ReasoningEffort } from './model-settings.js';
import { rejectedSetting } from './rejected-setting.js';
import { retryAfterFromHeaders, retryDelayMs, sleep, type BackoffOptions } from './retry-policy.js';
import { RateLimiter } from './rate-limiter.js';
import { Semaphore } from './semaphore.js';

export interface LlmClientOptions {
  /** e.g. https://api.openai.com/v1 or http://localhost:11434/v1; passed explicitly so the environment is read by the caller only. */
  baseURL: string;
  /** Sent as the bearer token and nowhere else: never logged, never in a result or an error message. */
  apiKey: string;
  model: string;
  temperature?: number;
  maxTokens?: number;
  /** Per HTTP attempt; a request with no answer by then is abandoned and counts as a retryable timeout. */
  requestTimeoutMs: number;
  /** Retries after the first attempt, for 429, 5xx, connection errors and timeouts only. */
  maxRetries: number;
  /** HTTP requests in flight at once, across every call of this client. */
  maxInFlight: number;
  /** Request starts per minute across every call of this client (retries included); unlimited when absent. */
  requestsPerMinute?: number;
  /** Calls in a row that may fail (after their retries) before complete() throws LlmEndpointError. */
  consecutiveFailureLimit: number;
  /** Backoff before the first retry (doubles per retry, jittered). Default 500 ms. */
  baseDelayMs?: number;
  /** Default 30 s. */
  maxDelayMs?: number;
  /** Default 120 s. */
  maxRetryAfterMs?: number;
  /** Names the config entry of a model in errors (e.g. `llm.models[1]`); default `model "<name>"`. */
  settingsField?: (model: string) => string;
}

export interface LlmMessage { role: 'system' | 'user' | 'assistant'; content: string }

export interface LlmRequest {
  messages: LlmMessage[];
  model?: string;
  /** null: no temperature is sent (reasoning models take only their default). Absent: the client's. */
  temperature?: number | null;
  /** Overrides the client's maxTokens for this call; sent as `max_tokens` unless maxCompletionTokens is given. */
  maxTokens?: number;
  /** Sent as `max_completion_tokens`, in place of `max_tokens`. */
  maxCompletionTokens?: number;
  reasoningEffort?: ReasoningEffort;
  topP?: number;
  /** Merged into the body last; the fields the client sets itself (model, messages, stream, n, seed) are kept. */
  extraBody?: Record<string, unknown>;
  /** Sent as the request's `seed`: endpoints that honour it sample reproducibly, and distinct seeds keep identical prompts from getting identical answers. */
  seed?: number;
  /** Aborts waiting for a slot, the request in flight and any backoff. */
  signal?: AbortSignal;
  /**
   * Told, as it ends, of each HTTP request of this call that does not give the call's result: one that
   * failed and is retried, one cut by an abort, one whose refusal stops the client. With the result,
   * that accounts for every request the endpoint received.
   */
  onAttempt?: (attempt: LlmAttemptFailure) => void;
}

export type LlmFailureReason =
  | 'rate-limited' | 'server-error' | 'timeout' | 'connection' | 'bad-response' // retried
  | 'auth' | 'not-found' | 'bad-request' | 'client-error' // the request or the setup is wrong: not retried
  | 'setting-rejected' // a 400 refusing a parameter: thrown as LlmSettingRejectedError, reported through onAttempt only
  | 'empty-answer' | 'aborted';

export interface LlmAnswer {
  ok: true;
  /** The message content; when it was null, the tool calls as lines `[tool call] name(arguments)`, else ''. */
  text: string;
  /** The model the endpoint says answered (may differ from the one asked, e.g. a dated snapshot). */
  model: string;
  /** Why the model stopped: 'stop', 'length' (cut off at the token limit), 'tool_calls', 'content_filter', ...; null when the endpoint does not say. */
  finishReason: string | null;
  /** The model's refusal message when it declined to answer (OpenAI's `message.refusal`), else null. */
  refusal: string | null;
  /** 0 when the endpoint reports no usage (some local servers do not). */
  tokensIn: number;
  tokensOut: number;
  /** Round trip of the attempt that answered, without waits for a slot or backoff. */
  latencyMs: number;
  attempts: number;
}

export interface LlmFailure {
  ok: false;
  reason: LlmFailureReason;
  status?: number;
  message: string;
  attempts: number;
  /** Tokens the endpoint reported for a body that was no usable answer (an empty message, choices: []). */
  tokensIn?: number;
  tokensOut?: number;
}

export type LlmResult = LlmAnswer | LlmFailure;

/** One HTTP request that did not give its call's result, as onAttempt reports it. */
export interface LlmAttemptFailure {
  /** 1-based, within the call. */
  attempt: number;
  reason: LlmFailureReason;
  status?: number;
  message: string;
  tokensIn?: number;
  tokensOut?: number;
}

interface Classified {
  reason: LlmFailureReason; status?: number; message: string; retryable: boolean; retryAfterMs?: number;
  tokensIn?: number; tokensOut?: number;
  /** Set when the failure stops the client at once (a refused setting). */
  fatal?: LlmSettingRejectedError;
}

/** Longest endpoint message kept: a proxy's 502 can be a whole HTML page. */
const MESSAGE_CHARS = 400;

export class LlmClient {
  readonly #openai: OpenAI;
  readonly #options: LlmClientOptions;
  readonly #backoff: BackoffOptions;
  readonly #slots: Semaphore;
  readonly #rate: RateLimiter | undefined;
  #consecutiveFailures = 0;
  #stopped: LlmEndpointError | LlmSettingRejectedError | undefined;
  /** Set by a Retry-After: every call waits until then, since the limit the server enforces is shared. */
  #pausedUntil = 0;

  constructor(options: LlmClientOptions) {
    this.#options = options;
    this.#backoff = { baseDelayMs: options.baseDelayMs ?? 500, maxDelayMs: options.maxDelayMs ?? 30_000, maxRetryAfterMs: options.maxRetryAfterMs ?? 120_000 };
    this.#slots = new Semaphore(options.maxInFlight);
    this.#rate = options.requestsPerMinute === undefined ? undefined : new RateLimiter(options.requestsPerMinute);
    // The SDK's own retries are off so that there is exactly one retry layer (ours, with the shared pause)
    // and every request the endpoint receives is one our caller is told of; its logging is off because its
    // debug output would be ours to vet. Its timeout stops at the headers: #attempt times the body too.
    this.#openai = new OpenAI({ baseURL: options.baseURL, apiKey: options.apiKey, maxRetries: 0, timeout: options.requestTimeoutMs, logLevel: 'off' });
  }

  /**
   * One chat completion. Failures are values; it throws LlmEndpointError once `consecutiveFailureLimit`
   * calls in a row have failed, and LlmSettingRejectedError as soon as the endpoint refuses a parameter
   * of the request (every call would fail alike); after either, every call throws it again unsent.
   * An aborted call is neither a success nor a failure of the endpoint.
   */
  async complete(request: LlmRequest): Promise<LlmResult> {
    if (this.#stopped) throw this.#stopped;
    const result = await this.#withRetries(request);
    if (result.ok) this.#consecutiveFailures = 0;
    else if (result.reason !== 'aborted' && result.reason !== 'empty-answer') {
      this.#consecutiveFailures++;
      if (this.#consecutiveFailures >= this.#options.consecutiveFailureLimit) {
        const answered = result.status === undefined ? result.message : `${result.status} (${result.message})`;
        this.#stopped ??= new LlmEndpointError(
          `the LLM endpoint ${this.#options.baseURL} failed ${this.#consecutiveFailures} calls in a row; it last answered: ${answered}`,
          { status: result.status, reason: result.reason, consecutiveFailures: this.#consecutiveFailures });
        // The call's result is not returned, so its last request is reported like a retried one.
        const { ok: _ok, attempts, ...failure } = result;
        request.onAttempt?.({ attempt: attempts, ...failure });
        throw this.#stopped;
      }
    }
    return result;
  }

  async #withRetries(request: LlmRequest): Promise<LlmResult> {
    const { signal } = request;
    const model = request.model ?? this.#options.model;
    for (let attempt = 1; ; attempt++) {
      // Another call may have stopped the client while this one waited to retry: it sends nothing more.
      if (this.#stopped) throw this.#stopped;
      let failure: Classified;
      let sent = false;
      try {
        const paused = this.#pausedUntil - Date.now();
        if (paused > 0) await sleep(paused, signal);
        const release = await this.#slots.acquire(signal);
        try {
          await this.#rate?.wait(signal);
          sent = true;
          return await this.#attempt(request, attempt);
        } finally {
          release();
        }
      } catch (error) {
        failure = this.#classify(error, signal, model, request);
      }
      const { retryable, retryAfterMs, fatal, ...reported } = failure;
      const report = () => { if (sent) request.onAttempt?.({ attempt, ...reported }); };
      if (fatal !== undefined) {
        report();
        this.#stopped ??= fatal;
        throw fatal;
      }
      if (reported.reason === 'aborted') {
        report();
        return { ok: false, ...reported, attempts: attempt };
      }
      if (!retryable || attempt > this.#options.maxRetries) return { ok: false, ...reported, attempts: attempt };
      report();
      const wait = retryDelayMs(attempt, retryAfterMs, this.#backoff);
      if (retryAfterMs !== undefined) this.#pausedUntil = Math.max(this.#pausedUntil, Date.now() + wait);
      try {
        await sleep(wait, signal);
      } catch {
        return { ok: false, reason: 'aborted', message: 'aborted during backoff', attempts: attempt };
      }
    }
  }

  /** One HTTP request, timed from its start to the end of its body. */
  async #attempt(request: LlmRequest, attempts: number): Promise<LlmResult> {
    const started = performance.now();
    // The SDK's timeout ends when the headers arrive; this one then bounds the body by what is left.
    const bodyTimeout = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const signal = request.signal === undefined ? bodyTimeout.signal : AbortSignal.any([request.signal, bodyTimeout.signal]);
    try {
      // The raw response, parsed here: the SDK would hand back an HTML page or an event stream as a string,
      // and a missing `choices` would then surface as a TypeError.
      const response = await this.#openai.chat.completions.create(this.#body(request), { signal }).asResponse();
      timer = setTimeout(() => bodyTimeout.abort(), Math.max(1, this.#options.requestTimeoutMs - (performance.now() - started)));
      let raw: string;
      try {
        raw = await response.text();
      } catch (error) {
        if (signal.aborted) throw error;
        throw new LlmResponseError(`the body of the endpoint's HTTP ${response.status} answer was cut off (${(error as Error).message})`);
      }
      const latencyMs = performance.now() - started;
      const body = readChatCompletion(raw, response.headers.get('content-type'));
      const usage = { tokensIn: body.tokensIn, tokensOut: body.tokensOut };
      // A null content is an answer when the model refused, called tools, or was cut off (a reasoning model that
      // spent its tokens thinking): the caller sees why. With none of these there is nothing to use.
      if (body.text === null && body.refusal === null && body.finishReason !== 'length') {
        return { ok: false, reason: 'empty-answer', message: `the answer had no message content (finish_reason: ${body.finishReason ?? 'none'})`, attempts, ...usage };
      }
      return {
        ok: true, text: body.text ?? '', model: body.model ?? request.model ?? this.#options.model, finishReason: body.finishReason, refusal: body.refusal,
        latencyMs, attempts, ...usage,
      };
    } catch (error) {
      if (bodyTimeout.signal.aborted && !request.signal?.aborted) throw new OpenAI.APIConnectionTimeoutError();
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  #body(request: LlmRequest): OpenAI.ChatCompletionCreateParamsNonStreaming {
    const temperature = request.temperature === undefined ? this.#options.temperature : request.temperature;
    const maxTokens = request.maxTokens ?? this.#options.maxTokens;
    const extra = Object.fromEntries(Object.entries(request.extraBody ?? {}).filter(([k]) => !(RESERVED_BODY_FIELDS as readonly string[]).includes(k)));
    return {
      model: request.model ?? this.#options.model,
      messages: request.messages,
      // Omitted rather than null when unset: some compatible servers reject a null temperature.
      ...(temperature === undefined || temperature === null ? {} : { temperature }),
      // max_tokens unless asked otherwise: the OpenAI-compatible servers (vLLM, Ollama, llama.cpp) know this one;
      // OpenAI's reasoning models take only max_completion_tokens.
      ...(request.maxCompletionTokens !== undefined ? { max_completion_tokens: request.maxCompletionTokens } : maxTokens === undefined ? {} : { max_tokens: maxTokens }),
      ...(request.topP === undefined ? {} : { top_p: request.topP }),
      ...(request.reasoningEffort === undefined ? {} : { reasoning_effort: request.reasoningEffort }),
      ...(request.seed === undefined ? {} : { seed: request.seed }),
      ...extra,
    } as OpenAI.ChatCompletionCreateParamsNonStreaming;
  }

  /** The settings a request sends: its body's keys but the model and the messages, which are no setting of the model's config. */
  #settingsSent(request: LlmRequest): string[] {
    return Object.keys(this.#body(request)).filter((k) => k !== 'model' && k !== 'messages');
  }

  /** The one place where the SDK's errors become our reasons. Anything else is a bug and is rethrown. */
  #classify(error: unknown, signal: AbortSignal | undefined, model: string, request: LlmRequest): Classified {
    if (signal?.aborted || error instanceof OpenAI.APIUserAbortError) return { reason: 'aborted', message: 'aborted', retryable: false };
    if (error instanceof LlmResponseError) {
      const { embedded } = error;
      const refused = embedded && rejectedSetting(embedded.status, embedded.message, embedded.code, embedded.param, this.#settingsSent(request));
      if (embedded && refused) return this.#refusal(model, embedded.status, embedded.message, refused);
      return { reason: 'bad-response', status: 200, message: this.#redact(error.message), retryable: true, tokensIn: error.tokensIn, tokensOut: error.tokensOut };
    }
    if (error instanceof OpenAI.APIConnectionTimeoutError) {
      return { reason: 'timeout', message: `no answer within ${this.#options.requestTimeoutMs} ms`, retryable: true };
    }
    if (error instanceof OpenAI.APIConnectionError) {
      const cause = error.cause instanceof Error ? error.cause : undefined;
      const detail = cause?.cause instanceof Error ? cause.cause.message : cause?.message;
      return { reason: 'connection', message: this.#redact(detail ? `${error.message} ${detail}` : error.message), retryable: true };
    }
    if (error instanceof OpenAI.APIError && typeof error.status === 'number') {
      const status = error.status;
      // The SDK's message starts with the status; ours carries the status separately.
      const full = error.message.replace(/^\d{3}\s+/, '');
      const message = this.#redact(full.length > MESSAGE_CHARS || full.trimStart().startsWith('<') ? excerpt(full, MESSAGE_CHARS) : full);
      if (status === 429) return { reason: 'rate-limited', status, message, retryable: true, retryAfterMs: retryAfterFromHeaders((h) => error.headers?.get(h)) };
      if (status >= 500) return { reason: 'server-error', status, message, retryable: true, retryAfterMs: retryAfterFromHeaders((h) => error.headers?.get(h)) };
      // Only a 400 naming a setting this request sent stops the client; any other is this call's bad request.
      const refused = rejectedSetting(status, full, error.code, error.param, this.#settingsSent(request));
      if (refused) return this.#refusal(model, status, message, refused);
      const reason = status === 401 || status === 403 ? 'auth' : status === 404 ? 'not-found' : status === 400 || status === 422 ? 'bad-request' : 'client-error';
      return { reason, status, message, retryable: false };
    }
    throw error;
  }

  #refusal(model: string, status: number, message: string, refused: { parameter: string | null; hint: string }): Classified {
    const field = this.#options.settingsField?.(model) ?? `model "${model}"`;
    const said = this.#redact(message);
    const fatal = new LlmSettingRejectedError(field,
      `the endpoint ${this.#options.baseURL} refuses a setting of requests to "${model}" (HTTP ${status}: ${said}); ${refused.hint}`,
      { status, parameter: refused.parameter });
    return { reason: 'setting-rejected', status, message: said, retryable: false, fatal };
  }

  /** Endpoints echo keys back ("Incorrect API key provided: sk-…"); such text must not reach results, logs or the database. */
  #redact(text: string): string {
    const key = this.#options.apiKey;
    return key.length >= 4 ? text.replaceAll(key, '[redacted]') : text;
  }
}
