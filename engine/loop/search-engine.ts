// SearchEngine: the steady-state MAP-Elites loop: select, vary, evaluate, insert, commit, in iteration order.
import { setMaxListeners } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { Elite } from '../../archives/archive.js';
import type { CellChange, IslandModel } from '../../archives/island-model.js';
import { selectFromArchive } from '../../archives/parent-selection.js';
import { contentId } from '../../common/content-id.js';
import { InternalError, OuroborosError, type EvaluatorError } from '../../common/errors.js';
import { rngFor } from '../../common/rng.js';
import type { Variant } from '../../common/types.js';
import type { VariationContext } from '../../operators/operator.js';
import { Bandit } from '../arms/bandit.js';
import { islandsFor, selectionInfo } from '../config/archive-setup.js';
import { committedBudgetSpent, type Progress, type StopReason } from './budget.js';
import { seedFailure, type EngineOptions } from './engine-options.js';
import { InFlightIterations } from './in-flight-iterations.js';
import { buildRecord, creditsOf, creditUnitOf, type ChildOutcome, type CreditUnit, type IterationOutcome } from './iteration-record.js';
import { PromptEvolution, type LaunchedPrompt } from './prompt-evolution.js';
import { OperatorStates } from './operator-states.js';
import { recheckBest } from './recheck.js';
import { VariantEvaluations } from './variant-evaluations.js';
import { buildContext } from './variation-context.js';

export type { Budget, Progress, StopReason } from './budget.js';
export type { EngineLlm, EngineOptions } from './engine-options.js';

/** The longest a commit waits for the outcomes after it while the pool has work queued for every worker. */
const GATHER_HOLD_MS = 50;

/**
 * Invariants (docs/architecture.md):
 * - Iteration i chooses its island, operator and parents with rngFor(seed, i, purpose) from the
 *   archive as committed up to iteration basis(i) = max(i - pipelineDepth, 0), so it is launched
 *   right after that commit, and results are committed strictly in iteration order. The archive
 *   is therefore the same whatever the number of workers and the order evaluations finish in.
 * - On resume the archive is rebuilt by replaying the log, launching each pending iteration at
 *   the same point of the replay as an uninterrupted run would have.
 * - A variant already evaluated is not evaluated again; at commit, the evaluation stored by the
 *   earliest iteration wins, which keeps de-duplication deterministic too.
 */
export class SearchEngine {
  private readonly islands: IslandModel;
  private readonly pending = new InFlightIterations();
  private readonly evaluationsOf: VariantEvaluations;
  private readonly bandit: Bandit;
  private readonly armIndex: Map<string, number>;
  private readonly creditUnit: CreditUnit;
  private readonly depth: number;
  /** Aborted on a second Ctrl-C or when the LLM endpoint fails for good: the signal operators get, to give up their calls. */
  private readonly stopCalls = new AbortController();
  private readonly operatorSignal: AbortSignal;
  /** An error after which the run cannot go on (the endpoint keeps failing, a replay diverged); thrown once everything in flight settled. */
  private fatal: OuroborosError | null = null;
  private llmUsage = { calls: 0, tokens: 0, cost: 0 };
  private llmMax = { tokens: 0, cost: 0 };
  private readonly sessionStart = performance.now();
  private readonly elapsedBefore: number;
  private stopReason: StopReason | null = null;
  /** Best fitness in any island; elitist archives never lose it, so a running maximum is exact. */
  private bestFitness = -Infinity;
  private lastProgress = 0;
  /** Evaluations stored, kept as a running count: counting rows at every commit would grow with the run. */
  private evaluations: number;
  private aborted = false;
  private committed = 0;
  /** Children made from each variant by committed iterations: what score-children selection divides by. */
  private readonly childCounts = new Map<string, number>();
  /** Evolving operator prompts (llm.promptEvolution), when the config asks for them. */
  private readonly evolution: PromptEvolution | null;
  /** Stateful operators (CMA-ES emitters): prepared at launch, told at commit, restored on resume. */
  private readonly states: OperatorStates | null;

  constructor(private readonly o: EngineOptions) {
    this.islands = islandsFor(o.config, o.archive);
    this.bandit = new Bandit(o.arms.map((a) => a.label), o.arms.map((a) => a.weight), o.policy);
    this.armIndex = new Map(o.arms.map((a, k) => [a.label, k]));
    this.creditUnit = creditUnitOf(o.config.operatorChoice);
    // Not the run's signal: on a first Ctrl-C the calls in flight are answered and stored (paid for once);
    // only a second Ctrl-C or a fatal error gives them up.
    this.operatorSignal = this.stopCalls.signal;
    // Every LLM call in flight listens to it: as many as pipelineDepth, far beyond the default warning at 10.
    setMaxListeners(0, this.operatorSignal);
    this.depth = o.config.pipelineDepth;
    this.elapsedBefore = o.store.meta<number>('elapsedMs') ?? 0;
    this.evaluations = o.store.evaluationCount();
    this.evaluationsOf = new VariantEvaluations({ store: o.store, pool: o.pool, problem: o.problem, seed: o.config.seed });
    this.states = OperatorStates.create(o.arms, o.store, o.problem.params, this.depth);
    this.evolution = o.llm && o.config.llm ? PromptEvolution.create({ llm: o.config.llm, arms: o.arms, service: o.llm.gateway, records: o.store.prompts(), seed: o.config.seed, depth: this.depth, signal: this.operatorSignal }) : null;
  }

  /** Runs until a budget is spent or the signal stops it; resolves once everything launched is committed. */
  async run(): Promise<{ stopReason: StopReason; iterations: number }> {
    const start = this.o.store.committedIterations();
    this.committed = start;
    if (start === 0) {
      this.launch(0);
    } else {
      this.replay(start);
      this.checkStop();
    }
    while (this.pending.has(this.committed)) {
      const outcome = await this.pending.outcome(this.committed)!;
      if (this.aborted || outcome.abandoned) break;
      if (this.o.config.evaluation.recheck.count > 0) {
        await recheckBest(this.committed, outcome, this.bestFitness, { ...this.o.config, store: this.o.store, evaluate: (v, i, seed) => this.evaluationsOf.evaluate(v, i, seed) });
      }
      if (this.o.config.evaluation.recheck.count === 0) await this.pending.gather(this.committed, Math.max(1, this.depth >> 1), () => this.o.pool.saturated(), GATHER_HOLD_MS);
      if (this.aborted) break;
      this.commitGroup(outcome);
      this.reportProgress(this.pending.size === 0);
    }
    if (this.fatal !== null) {
      this.stopCalls.abort();
      this.o.pool.abortAll();
      await this.pending.settle();
      throw this.fatal;
    }
    if (this.aborted) {
      // Nothing abandoned may still be writing once the caller closes the store and the pool.
      await this.pending.settle();
      this.stopReason = 'aborted';
    } else if (this.pending.size > 0) this.stopReason = 'interrupted';
    return { stopReason: this.stopReason ?? 'iterations', iterations: this.committed };
  }

  /** Gives up on iterations in flight: they are not committed (a second Ctrl-C). */
  abort(): void {
    this.aborted = true;
    this.stopCalls.abort();
    this.o.pool.abortAll();
  }

  archive(): IslandModel {
    return this.islands;
  }

  progress(): Progress {
    const stats = this.islands.stats();
    const sessionMs = performance.now() - this.sessionStart;
    return {
      iterations: this.committed,
      evaluations: this.evaluations,
      evaluationsPerSecond: sessionMs > 0 ? this.o.pool.stats().evaluations / (sessionMs / 1000) : 0,
      coverage: stats.coverage,
      filledCells: stats.filledCells,
      qdScore: stats.qdScore,
      bestFitness: stats.bestFitness,
      inFlight: this.pending.size,
      elapsedMs: this.elapsedMs(),
      budget: this.o.budget,
      llm: { ...this.llmUsage },
    };
  }

  /**
   * Commits iteration `committed` and, in the same SQLite transaction, the iterations after it whose
   * outcomes have already arrived, each exactly as if alone (commit, stop check, launches): the pages
   * they share are written once, not once per iteration. A crash keeps a prefix of the iterations
   * either way. Nothing awaits inside, so a re-check (which evaluates) ends the group.
   */
  private commitGroup(first: IterationOutcome): void {
    let outcome: IterationOutcome | undefined = first;
    const failure = this.o.store.batch(() => {
      while (outcome !== undefined) {
        const i = this.committed;
        this.pending.remove(i);
        const seedFailed = this.commit(i, outcome);
        if (seedFailed) return seedFailed;
        this.committed++;
        this.checkStop();
        if (this.stopReason === null) this.launchAfter(i);
        outcome = this.o.config.evaluation.recheck.count > 0 ? undefined : this.pending.arrivedOutcome(this.committed);
        if (outcome?.abandoned) outcome = undefined;
      }
      return null;
    });
    if (failure) throw failure;
  }

  /** Progress is computed at most every 100 ms (and at the end). */
  private reportProgress(force: boolean): void {
    if (this.o.onProgress === undefined) return;
    const now = performance.now();
    if (!force && now - this.lastProgress < 100) return;
    this.lastProgress = now;
    this.o.onProgress(this.progress());
  }

  private elapsedMs(): number {
    return this.elapsedBefore + (performance.now() - this.sessionStart);
  }

  private replay(start: number): void {
    let current = -1;
    let island = 0;
    let parentIds: string[] = [];
    let children = 0;
    let batch: Elite[] = [];
    let evaluations = 0;
    let stopped = false;
    let credit: { arm: string | null; reward: number | null; llm: { calls: number; tokens: number; cost: number } } = { arm: null, reward: null, llm: { calls: 0, tokens: 0, cost: 0 } };
    const finish = (c: number): void => {
      // Credited once the iteration's children are counted (per evaluation, each is a credit), before any later choice.
      this.credit(credit.arm, credit.reward, credit.llm, creditsOf(children, this.creditUnit));
      // The same IslandModel.apply as the live commit (buildRecord), so the islands come out the same.
      this.noteApplied(parentIds, children, this.islands.apply(c, island, batch).cells);
      if (c === 0 && this.islands.stats().filledCells === 0) {
        const e = this.o.store.getEvaluation(contentId(this.o.problem.seedFiles))?.evaluation;
        throw seedFailure(e && e.status !== 'ok' ? `${e.status} (${e.reason}): ${e.message}` : 'it was not added');
      }
      // The live run stopped launching once a deterministic budget was spent at some commit; so does the replay.
      stopped ||= this.spent(evaluations) !== null || this.wallClockSpent(this.elapsedBefore);
      // Iterations already committed are not launched again, but their choice is repeated: it counts as a pull
      // (with fixed weights, where pulls change no choice, the logged arm is pulled as its row is read).
      if (!stopped) {
        if (this.successors(c).some((i) => i >= start)) this.states?.restoreAsOf(c);
        for (const i of this.successors(c)) {
          if (i >= start) { this.launch(i); continue; }
          if (!weighted) this.bandit.choose(rngFor(this.o.config.seed, i, 'operator-choice'));
          this.evolution?.replayLaunch(i);
        }
      }
    };
    const weighted = this.o.policy.kind === 'weights';
    this.states?.load();
    for (const row of this.o.store.log()) {
      if (row.iteration !== current) {
        if (current >= 0) finish(current);
        current = row.iteration;
        island = row.island;
        parentIds = row.parentIds;
        children = 0;
        batch = [];
        if (weighted && current > 0) this.pullLogged(current, row.arm);
        credit = { arm: row.arm, reward: row.reward, llm: row.llm };
        this.evolution?.replayCommit(current, row.reward);
      }
      if (row.variantId !== null) children++;
      if (row.cached === false) evaluations++;
      // A child identical to an existing variant was rejected without being inserted again.
      if (row.status === 'ok' && row.variantId !== null && row.cached === false) {
        batch.push({ variantId: row.variantId, fitness: row.fitness!, descriptors: row.descriptors!, iteration: row.iteration });
      }
    }
    if (current >= 0) finish(current);
    this.states?.restoreAsOf(start - 1);
    if (current !== start - 1) throw new InternalError(`log replay ended at iteration ${current}, expected ${start - 1}`);
  }

  /**
   * Repeats a committed iteration's choice under fixed weights without drawing it again: the arm it
   * logged, reached by a draw that chooseWeighted maps to it (the middle of its share). Without a
   * logged arm (a run older than arms), the choice is drawn again.
   */
  private pullLogged(i: number, arm: string | null): void {
    const k = arm === null ? undefined : this.armIndex.get(arm);
    if (k === undefined) { this.bandit.choose(rngFor(this.o.config.seed, i, 'operator-choice')); return; }
    const weights = this.o.arms.map((a) => a.weight);
    const total = weights.reduce((a, b) => a + b, 0);
    const before = weights.slice(0, k).reduce((a, b) => a + b, 0);
    this.bandit.choose({ next: () => (before + weights[k]! / 2) / total });
  }

  /** Bookkeeping after an iteration's children entered the islands, identical live and in replay. */
  private noteApplied(parentIds: readonly string[], children: number, cells: ReadonlyArray<Pick<CellChange, 'elite'>>): void {
    // Only score-children selection reads them: kept for every parent, they would grow with the run.
    if (this.o.config.selection.strategy === 'score-children') for (const id of parentIds) this.childCounts.set(id, (this.childCounts.get(id) ?? 0) + children);
    // Elitist result archives never lose their best (a reset keeps the best survivors), so a running maximum is exact.
    for (const c of cells) this.bestFitness = Math.max(this.bestFitness, c.elite.fitness);
  }

  /** Iterations whose parents come from the archive as committed up to iteration c. */
  private successors(c: number): number[] {
    if (c === 0) return Array.from({ length: this.depth }, (_, k) => k + 1);
    return [c + this.depth];
  }

  private launchAfter(c: number): void {
    for (const i of this.successors(c)) this.launch(i);
  }

  private launch(i: number): void {
    if (this.o.budget.iterations !== undefined && i >= this.o.budget.iterations) return;
    if (this.pending.has(i) || i < this.committed) throw new InternalError(`iteration ${i} launched twice`);
    if (i === 0) {
      const files = this.o.problem.seedFiles;
      const variant: Variant = { id: contentId(files), files, lineage: { parentIds: [], operator: 'seed', iteration: 0, island: 0 } };
      this.pending.add(0, this.evaluateChildren(0, 0, -1, 'seed', [], [{ variant }]));
      return;
    }
    const island = i % this.islands.islands.length;
    const armIndex = this.bandit.choose(rngFor(this.o.config.seed, i, 'operator-choice'));
    const arm = this.o.arms[armIndex]!;
    const archive = this.islands.island(island);
    const { selection } = this.o.config;
    const chosen = selectFromArchive(archive, arm.operator.parentCount, rngFor(this.o.config.seed, i, 'select'), selection, (elites) => selectionInfo(archive, elites, selection, this.childCounts));
    const parents = chosen.map((e) => {
      const v = this.o.store.getVariant(e.variantId);
      if (v === undefined) throw new InternalError(`elite ${e.variantId} is not stored`);
      return v;
    });
    // Built now, right after the commit of the basis, from committed state only.
    this.states?.launch(i, arm.label);
    const context = arm.operator.usesLlm && this.o.llm ? buildContext(this.o.llm.context, parents, archive.elites(), { basis: Math.max(i - this.depth, 0), island }) : undefined;
    this.pending.add(i, this.vary(i, island, armIndex, parents, context, this.evolution?.launch(i, arm)));
  }

  private async vary(i: number, island: number, armIndex: number, parents: Variant[], context: VariationContext | undefined, launched?: LaunchedPrompt): Promise<IterationOutcome> {
    const { operator, llm } = this.o.arms[armIndex]!;
    const parentIds = parents.map((p) => p.id);
    const base: Pick<IterationOutcome, 'island' | 'arm' | 'operator' | 'parentIds' | 'prompts'> = { island, arm: armIndex, operator: operator.name, parentIds };
    let result;
    try {
      // Variants bred at this launch are waited for (and stored with this iteration); so is the chosen variant's text.
      const bred = launched?.bred ? await launched.bred : undefined;
      const prompt = launched?.choice ? await launched.choice.prompt : undefined;
      if (launched?.bred || launched?.choice) base.prompts = { ...(bred ? { bred } : {}), ...(launched.choice ? { choice: { operator: launched.choice.operator, idx: launched.choice.idx } } : {}) };
      result = await operator.propose({
        parents, rng: rngFor(this.o.config.seed, i, 'operator'), iteration: i, params: this.o.problem.params, signal: this.operatorSignal,
        ...(llm ? { arm: llm } : {}), ...(context ? { context } : {}), ...(prompt ? { prompt } : {}),
      });
    } catch (error) {
      // The endpoint failing for good, or a replay that diverged, stops the run; the iteration is left to a resume.
      if (error instanceof OuroborosError) {
        this.fatal ??= error;
        this.stopCalls.abort();
        return { ...base, failure: error.message, children: [], abandoned: true };
      }
      result = { ok: false as const, reason: `the operator threw: ${(error as Error).message ?? String(error)}` };
    }
    // An operator that gave up because the run is stopping did not fail: committing that would make
    // the resumed run differ from an uninterrupted one, so the iteration is left to the resume.
    if (!result.ok && this.operatorSignal.aborted) return { ...base, failure: result.reason, children: [], abandoned: true };
    if (!result.ok) return { ...base, failure: result.reason, children: [] };
    if (result.children.length === 0) return { ...base, failure: 'the operator returned no children', children: [] };
    const children = result.children.map((p) => ({
      variant: { id: contentId(p.files), files: p.files, lineage: { parentIds, operator: operator.name, iteration: i, island }, ...(p.note ? { note: p.note } : {}) },
    }));
    return { ...(await this.evaluateChildren(i, island, armIndex, operator.name, parentIds, children)), ...(base.prompts ? { prompts: base.prompts } : {}) };
  }

  private async evaluateChildren(i: number, island: number, arm: number, operator: string, parentIds: string[], children: Array<{ variant: ChildOutcome['variant'] }>): Promise<IterationOutcome> {
    const evaluations = await Promise.all(children.map((c, k) => this.evaluationsOf.of(c.variant, i, k)));
    return { island, arm, operator, parentIds, failure: null, children: children.map((c, k) => ({ variant: c.variant, evaluation: evaluations[k]! })) };
  }

  /** Commits one iteration; for the seed's iteration, returns the error to throw when the seed could not enter the archive. */
  private commit(i: number, outcome: IterationOutcome): EvaluatorError | null {
    const llm = this.o.llm?.gateway.takeUsage(i) ?? { calls: 0, tokens: 0, cost: 0 };
    const arm = outcome.arm < 0 ? 'seed' : this.o.arms[outcome.arm]!.label;
    const record = buildRecord(i, outcome, this.o.store, this.islands, { elapsedMs: this.elapsedMs(), arm, llm, metricsInterval: this.o.config.archive.metricsInterval, creditUnit: this.creditUnit });
    this.o.store.commit(record);
    this.states?.commit(i, arm, outcome.parentIds, record);
    this.credit(arm, record.reward, llm, creditsOf(record.children.length, this.creditUnit));
    if (i === 0) this.evolution?.commitSeed();
    else this.evolution?.commit(i, outcome.prompts?.bred, outcome.prompts?.choice, record.reward);
    this.noteApplied(record.parentIds, record.children.length, record.cells);
    this.evaluations += record.children.filter((c) => c.evaluation !== null).length;
    this.evaluationsOf.committed(i, outcome.children.map((c) => c.variant));
    if (i !== 0 || this.islands.stats().filledCells > 0) return null;
    const e = record.children[0]?.evaluation;
    return seedFailure(e && e.status !== 'ok' ? `${e.status} (${e.reason}): ${e.message}` : record.children[0]?.reason ?? 'unknown');
  }

  private checkStop(): void {
    if (this.stopReason !== null) return;
    const b = this.o.budget;
    if (this.o.signal.aborted) this.stopReason = 'interrupted';
    else if (b.iterations !== undefined && this.committed >= b.iterations) this.stopReason = 'iterations';
    else if (this.wallClockSpent(this.elapsedMs())) this.stopReason = 'wall-clock';
    else this.stopReason = this.spent(this.evaluations);
  }

  private wallClockSpent(elapsedMs: number): boolean {
    const limit = this.o.budget.wallClockSeconds;
    return limit !== undefined && elapsedMs >= limit * 1000;
  }

  /** The budgets that depend only on what has been committed, so a replay reaches the same verdict. */
  private spent(evaluations: number): StopReason | null {
    return committedBudgetSpent(this.o.budget, { evaluations, bestFitness: this.bestFitness, llm: this.llmUsage, llmMax: this.llmMax, inFlight: this.depth, maxTokens: this.o.llm?.maxTokens ?? 0 });
  }

  /** Credits the bandit with a committed iteration's reward and adds up its LLM usage; identical live and in replay. */
  private credit(arm: string | null, reward: number | null, llm: { calls: number; tokens: number; cost: number }, credits: number): void {
    this.llmUsage = { calls: this.llmUsage.calls + llm.calls, tokens: this.llmUsage.tokens + llm.tokens, cost: this.llmUsage.cost + llm.cost };
    this.llmMax = { tokens: Math.max(this.llmMax.tokens, llm.tokens), cost: Math.max(this.llmMax.cost, llm.cost) };
    if (arm === null || arm === 'seed' || reward === null) return;
    const k = this.armIndex.get(arm);
    if (k === undefined) throw new InternalError(`iteration log names arm "${arm}", which the run's config does not have`);
    this.bandit.credit(k, reward, credits);
  }

  /** The arms' statistics as the bandit sees them now. */
  armStats(): ReturnType<Bandit['stats']> {
    return this.bandit.stats();
  }
}
