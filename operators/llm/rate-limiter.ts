// RateLimiter: spaces the starts of HTTP requests evenly, one limiter for every call of a client.
import { sleep } from './retry-policy.js';

/**
 * At most `perMinute` request starts per minute, spaced 60000 / perMinute ms apart, in the order
 * the waits were asked for. Retries pass through it too, so a burst of retries cannot exceed it.
 */
export class RateLimiter {
  readonly #intervalMs: number;
  #next = 0;

  constructor(perMinute: number) {
    if (!(perMinute > 0)) throw new RangeError(`requests per minute must be above 0 (got ${perMinute})`);
    this.#intervalMs = 60_000 / perMinute;
  }

  /** Resolves when this request may start; rejects if `signal` aborts first. */
  async wait(signal?: AbortSignal): Promise<void> {
    const now = performance.now();
    const at = Math.max(now, this.#next);
    this.#next = at + this.#intervalMs;
    if (at > now) await sleep(at - now, signal);
  }
}
