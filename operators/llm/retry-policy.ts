// When to retry an LLM request and how long to wait: exponential backoff with jitter, Retry-After, abortable sleep.

export interface BackoffOptions {
  /** Delay before the first retry, before jitter. */
  baseDelayMs: number;
  /** Cap on the exponential delay (Retry-After is capped separately). */
  maxDelayMs: number;
  /** Cap on a server's Retry-After, so that a misconfigured server cannot park the run for hours. */
  maxRetryAfterMs: number;
}

/**
 * The wait before retry number `retry` (1-based): the server's Retry-After when it gave one,
 * else base * 2^(retry-1) capped, with "equal jitter" (half fixed, half random) so that calls
 * failing together do not retry together. Math.random is fine here: retry timing never reaches
 * a run's results, which come from the answers alone.
 */
export function retryDelayMs(retry: number, retryAfterMs: number | undefined, options: BackoffOptions, random: () => number = Math.random): number {
  if (retryAfterMs !== undefined) return Math.min(Math.max(retryAfterMs, 0), options.maxRetryAfterMs);
  const exponential = Math.min(options.baseDelayMs * 2 ** (retry - 1), options.maxDelayMs);
  return exponential / 2 + random() * (exponential / 2);
}

/**
 * Milliseconds to wait according to the response headers: `retry-after-ms` (sent by OpenAI),
 * else `retry-after` as seconds or as an HTTP date. Undefined when absent or unparsable.
 */
export function retryAfterFromHeaders(get: (name: string) => string | null | undefined, now = Date.now()): number | undefined {
  const ms = get('retry-after-ms');
  if (ms != null && ms.trim() !== '' && Number.isFinite(Number(ms))) return Math.max(Number(ms), 0);
  const value = get('retry-after')?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(date - now, 0);
}

/** Waits `ms`, or rejects with the signal's reason as soon as it aborts (a stopping run must not sit out a backoff). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
