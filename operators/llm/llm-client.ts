// LlmClient: chat completions from any OpenAI-compatible endpoint, with one retry layer, a bound on requests in flight and a failure stop.
import OpenAI from 'openai';
import { LlmEndpointError } from './llm-errors.js';
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
}

export interface LlmMessage { role: 'system' | 'user' | 'assistant'; content: string }

export interface LlmRequest {
  messages: LlmMessage[];
  model?: string;
  temperature?: number;
  /** Overrides the client's maxTokens for this call. */
  maxTokens?: number;
  /** Sent as the request's `seed`: endpoints that honour it sample reproducibly, and distinct seeds keep identical prompts from getting identical answers. */
  seed?: number;
  /** Aborts waiting for a slot, the request in flight and any backoff. */
  signal?: AbortSignal;
}

export type LlmFailureReason =
  | 'rate-limited' | 'server-error' | 'timeout' | 'connection' // retried
  | 'auth' | 'not-found' | 'bad-request' | 'client-error' // the request or the setup is wrong: not retried
  | 'empty-answer' | 'aborted';

export interface LlmAnswer {
  ok: true;
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

export interface LlmFailure { ok: false; reason: LlmFailureReason; status?: number; message: string; attempts: number }

export type LlmResult = LlmAnswer | LlmFailure;

interface Classified { reason: LlmFailureReason; status?: number; message: string; retryable: boolean; retryAfterMs?: number }

export class LlmClient {
  readonly #openai: OpenAI;
  readonly #options: LlmClientOptions;
  readonly #backoff: BackoffOptions;
  readonly #slots: Semaphore;
  readonly #rate: RateLimiter | undefined;
  #consecutiveFailures = 0;
  #stopped: LlmEndpointError | undefined;
  /** Set by a Retry-After: every call waits until then, since the limit the server enforces is shared. */
  #pausedUntil = 0;

  constructor(options: LlmClientOptions) {
    this.#options = options;
    this.#backoff = { baseDelayMs: options.baseDelayMs ?? 500, maxDelayMs: options.maxDelayMs ?? 30_000, maxRetryAfterMs: options.maxRetryAfterMs ?? 120_000 };
    this.#slots = new Semaphore(options.maxInFlight);
    this.#rate = options.requestsPerMinute === undefined ? undefined : new RateLimiter(options.requestsPerMinute);
    // The SDK's own retries are off so that there is exactly one retry layer (ours, with the shared pause);
    // its logging is off because its debug output would be ours to vet.
    this.#openai = new OpenAI({ baseURL: options.baseURL, apiKey: options.apiKey, maxRetries: 0, timeout: options.requestTimeoutMs, logLevel: 'off' });
  }

  /**
   * One chat completion. Failures are values; the only throw is LlmEndpointError, once
   * `consecutiveFailureLimit` calls in a row have failed (and on every call after that).
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
        this.#stopped = new LlmEndpointError(
          `the LLM endpoint ${this.#options.baseURL} failed ${this.#consecutiveFailures} calls in a row; it last answered: ${answered}`,
          { status: result.status, reason: result.reason, consecutiveFailures: this.#consecutiveFailures });
        throw this.#stopped;
      }
    }
    return result;
  }

  async #withRetries(request: LlmRequest): Promise<LlmResult> {
    const { signal } = request;
    for (let attempt = 1; ; attempt++) {
      let failure: Classified;
      try {
        const paused = this.#pausedUntil - Date.now();
        if (paused > 0) await sleep(paused, signal);
        const release = await this.#slots.acquire(signal);
        try {
          await this.#rate?.wait(signal);
          return await this.#attempt(request, attempt);
        } finally {
          release();
        }
      } catch (error) {
        failure = this.#classify(error, signal);
      }
      const { retryable, retryAfterMs, ...reported } = failure;
      if (!retryable || attempt > this.#options.maxRetries) return { ok: false, ...reported, attempts: attempt };
      const wait = retryDelayMs(attempt, retryAfterMs, this.#backoff);
      if (retryAfterMs !== undefined) this.#pausedUntil = Math.max(this.#pausedUntil, Date.now() + wait);
      try {
        await sleep(wait, signal);
      } catch {
        return { ok: false, reason: 'aborted', message: 'aborted during backoff', attempts: attempt };
      }
    }
  }

  async #attempt(request: LlmRequest, attempts: number): Promise<LlmResult> {
    const started = performance.now();
    const temperature = request.temperature ?? this.#options.temperature;
    const completion = await this.#openai.chat.completions.create({
      model: request.model ?? this.#options.model,
      messages: request.messages,
      // Omitted rather than null when unset: some compatible servers reject a null temperature.
      ...(temperature === undefined ? {} : { temperature }),
      // max_tokens rather than max_completion_tokens: the OpenAI-compatible servers (vLLM, Ollama, llama.cpp) know this one.
      ...((request.maxTokens ?? this.#options.maxTokens) === undefined ? {} : { max_tokens: request.maxTokens ?? this.#options.maxTokens }),
      ...(request.seed === undefined ? {} : { seed: request.seed }),
    }, { signal: request.signal ?? null });
    const latencyMs = performance.now() - started;
    const text = completion.choices[0]?.message.content;
    if (typeof text !== 'string') return { ok: false, reason: 'empty-answer', message: 'the answer had no message content', attempts };
    return {
      ok: true, text, model: completion.model, latencyMs, attempts,
      finishReason: completion.choices[0]?.finish_reason ?? null, refusal: completion.choices[0]?.message.refusal ?? null,
      tokensIn: completion.usage?.prompt_tokens ?? 0,
      tokensOut: completion.usage?.completion_tokens ?? 0,
    };
  }

  /** The one place where the SDK's errors become our reasons. Anything else is a bug and is rethrown. */
  #classify(error: unknown, signal: AbortSignal | undefined): Classified {
    if (signal?.aborted || error instanceof OpenAI.APIUserAbortError) return { reason: 'aborted', message: 'aborted', retryable: false };
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
      const message = this.#redact(error.message.replace(/^\d{3}\s+/, ''));
      if (status === 429) return { reason: 'rate-limited', status, message, retryable: true, retryAfterMs: retryAfterFromHeaders((h) => error.headers?.get(h)) };
      if (status >= 500) return { reason: 'server-error', status, message, retryable: true, retryAfterMs: retryAfterFromHeaders((h) => error.headers?.get(h)) };
      const reason = status === 401 || status === 403 ? 'auth' : status === 404 ? 'not-found' : status === 400 || status === 422 ? 'bad-request' : 'client-error';
      return { reason, status, message, retryable: false };
    }
    throw error;
  }

  /** Endpoints echo keys back ("Incorrect API key provided: sk-…"); such text must not reach results, logs or the database. */
  #redact(text: string): string {
    const key = this.#options.apiKey;
    return key.length >= 4 ? text.replaceAll(key, '[redacted]') : text;
  }
}
