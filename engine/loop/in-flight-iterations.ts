// The iterations launched and not yet committed, and which of them have finished: the engine commits them in order, several at once when it can.
import { performance } from 'node:perf_hooks';
import type { IterationOutcome } from './iteration-record.js';

export class InFlightIterations {
  private readonly pending = new Map<number, Promise<IterationOutcome>>();
  /** Outcomes of pending iterations that have arrived: what a commit group takes without waiting. */
  private readonly arrived = new Map<number, IterationOutcome>();

  get size(): number {
    return this.pending.size;
  }

  has(i: number): boolean {
    return this.pending.has(i);
  }

  add(i: number, outcome: Promise<IterationOutcome>): void {
    this.pending.set(i, outcome);
    outcome.then((o) => { if (this.pending.has(i)) this.arrived.set(i, o); }, () => { /* whoever awaits it reports it */ });
  }

  /** Iteration i's outcome, to await. */
  outcome(i: number): Promise<IterationOutcome> | undefined {
    return this.pending.get(i);
  }

  /** Iteration i's outcome if it has already arrived. */
  arrivedOutcome(i: number): IterationOutcome | undefined {
    return this.arrived.get(i);
  }

  remove(i: number): void {
    this.pending.delete(i);
    this.arrived.delete(i);
  }

  /** Resolves once every iteration in flight has settled. */
  async settle(): Promise<void> {
    await Promise.allSettled(this.pending.values());
  }

  /**
   * Waits while the outcomes after iteration `from` (which has arrived) keep arriving, up to `limit` in a
   * row, so that they are committed together. While `busy()` (the pool has work queued for every worker,
   * so launching later costs it nothing), it waits for the next outcome itself, for at most `holdMs` in
   * all; otherwise one turn of the event loop at a time, and it stops at the first turn that brings none.
   */
  async gather(from: number, limit: number, busy: () => boolean, holdMs: number): Promise<void> {
    const until = performance.now() + holdMs;
    let ready = this.readyFrom(from);
    while (ready < limit && this.pending.has(from + ready)) {
      const left = until - performance.now();
      if (busy() && left > 0) {
        let timer: NodeJS.Timeout | undefined;
        const next = this.pending.get(from + ready)!.then(() => {}, () => { /* whoever awaits it reports it */ });
        await Promise.race([next, new Promise((resolve) => { timer = setTimeout(resolve, left); })]);
        clearTimeout(timer);
        // Its arrival is noted by a reaction registered before this one: it is in `arrived` now if it came.
      } else {
        // Two checks of the event loop: the poll between them takes the workers' replies.
        await new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
      }
      const now = this.readyFrom(from);
      if (now === ready) return;
      ready = now;
    }
  }

  /** How many iterations from `from` on have arrived without a gap. */
  private readyFrom(from: number): number {
    let n = 0;
    while (this.arrived.has(from + n)) n++;
    return n;
  }
}
