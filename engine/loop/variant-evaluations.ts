// Evaluates each distinct variant once: a stored one not again, one already in flight for an earlier iteration shared with it.
import { evaluationSeed } from '../../common/rng.js';
import type { Evaluation, Variant } from '../../common/types.js';
import type { EvaluationService } from '../../fitness/evaluation-pool.js';
import { checkParams } from '../../operators/param-space.js';
import type { Problem } from '../config/problem.js';
import type { RunStore } from '../store/run-store.js';

/**
 * Which iteration evaluates a variant never depends on timing: "earlier" is by (iteration, child
 * index), the order of commit, so the evaluation the log keeps is the same with any number of workers.
 */
export class VariantEvaluations {
  private readonly inflight = new Map<string, { iteration: number; child: number; done: Promise<unknown> }>();

  constructor(private readonly o: { store: RunStore; pool: EvaluationService; problem: Problem; seed: number }) {}

  /** Child k of iteration i's own evaluation, or null when an earlier iteration's evaluation will be used at commit. */
  async of(variant: Variant, i: number, k: number): Promise<Evaluation | null> {
    if (this.o.store.hasEvaluation(variant.id)) return null;
    const earlier = this.inflight.get(variant.id);
    if (earlier !== undefined && (earlier.iteration < i || (earlier.iteration === i && earlier.child < k))) {
      await earlier.done;
      return null;
    }
    const promise = this.evaluate(variant, i, evaluationSeed(this.o.seed, i, k));
    this.inflight.set(variant.id, { iteration: i, child: k, done: promise });
    return promise;
  }

  /** Once iteration i is committed, its evaluations are stored and no longer in flight. */
  committed(i: number, variants: readonly Variant[]): void {
    for (const v of variants) if (this.inflight.get(v.id)?.iteration === i) this.inflight.delete(v.id);
  }

  /** One evaluation on the pool; parameters that do not fit the problem's space are `invalid` without it. */
  async evaluate(variant: Variant, i: number, seed: number): Promise<Evaluation> {
    const p = this.o.problem.params;
    let params = {};
    if (p !== null) {
      let problems: string[];
      try {
        params = JSON.parse(variant.files[p.file] ?? 'null');
        problems = checkParams(params, p.space);
      } catch (error) {
        problems = [`not JSON: ${(error as Error).message}`];
      }
      if (problems.length > 0) return { status: 'invalid', reason: 'invalid-params', message: `${p.file}: ${problems.join('; ')}`, durationMs: 0, seed };
    }
    return this.o.pool.evaluate({ variantId: variant.id, files: variant.files, params, seed, iteration: i, problemDir: this.o.problem.dir });
  }
}
