// SharedPools: local evaluation pools kept open from one run to the next (a tune worker's inner searches), so
// each run does not pay for starting worker threads and loading the evaluator again.
import type { EvaluationService } from './evaluation-pool.js';

/**
 * Pools by key (what a pool is made of: evaluator, descriptors, stages, workers, limits). get() hands out a
 * view whose close() leaves the pool open for the next run; abortAll() (an interrupted run) ends the pool for
 * good, and the next get() opens a new one. close() ends them all. Evaluations do not depend on which worker
 * or pool ran them, so sharing changes no result, only the time spent starting workers. A view's stats() are the
 * pool's since it opened, not one run's.
 */
export class SharedPools {
  readonly #pools = new Map<string, Promise<EvaluationService>>();

  async get(key: string, open: () => Promise<EvaluationService>): Promise<EvaluationService> {
    const opening = this.#pools.get(key) ?? open();
    const forget = () => { if (this.#pools.get(key) === opening) this.#pools.delete(key); };
    if (!this.#pools.has(key)) {
      this.#pools.set(key, opening);
      opening.catch(forget);
    }
    const pool = await opening;
    return {
      evaluate: (input) => pool.evaluate(input),
      saturated: () => pool.saturated(),
      liveWorkers: () => pool.liveWorkers(),
      stats: () => pool.stats(),
      // An aborted pool takes no more work: its threads end now, not with the process.
      abortAll: () => { forget(); pool.abortAll(); void pool.close().catch(() => {}); },
      close: async () => {},
    };
  }

  /** How many pools are open. */
  get size(): number {
    return this.#pools.size;
  }

  async close(): Promise<void> {
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.all(pools.map(async (p) => (await p.catch(() => null))?.close()));
  }
}
