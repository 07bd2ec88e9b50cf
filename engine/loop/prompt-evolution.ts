// Operator prompts as genes (llm.promptEvolution): each evolving LLM operator keeps a population of prompt
// variants, chosen per iteration by a UCB1 bandit of its own and credited with the iteration's reward; every
// `interval` iterations a meta-operator (an LLM call through the run's gateway) breeds a new variant from the
// best and the worst ones and the outcomes of their children.
//
// Determinism: everything happens at the points where the engine launches and commits iterations. Breeding
// is due at the launch of iteration i when basis(i) = i - pipelineDepth is a positive multiple of the
// interval; the new variant's arm is added at once (its text arrives later: iteration i waits for it, and an
// iteration that chose it waits too), the meta-operator is shown committed state only (up to the basis), its
// call is tallied to iteration i, and the variant is stored in iteration i's commit. A variant whose answer
// was refused is its parent's text and is retired at that commit. A resumed run replays all of it from the
// stored variants and choices, so it continues exactly.
import { InternalError } from '../../common/errors.js';
import { rngFor } from '../../common/rng.js';
import { LlmOperator } from '../../operators/llm/llm-operator.js';
import { breedMessages, parseBred, type PromptVariant, type VariantRecord } from '../../operators/llm/prompt-breeder.js';
import type { LlmService } from '../../operators/llm/llm-service.js';
import { Bandit, type BanditPolicy } from '../arms/bandit.js';
import type { Arm } from '../arms/operator-registry.js';
import type { LlmConfig } from '../config/config-schema.js';
import type { PromptRecords, PromptVariantRow } from '../store/prompt-records.js';

/** Outcomes of a variant's children shown to the meta-operator. */
const OUTCOMES_SHOWN = 6;

interface Population {
  operator: LlmOperator;
  labels: string[];
  weights: number[];
  bandit: Bandit;
  /** Each variant's text, by index; pending while it is being bred. */
  texts: Array<Promise<PromptVariant>>;
}

export interface LaunchedPrompt {
  /** The variant the iteration uses, when its arm is an evolving operator's. */
  choice: { operator: string; idx: number; prompt: Promise<PromptVariant> } | null;
  /** Variants bred at this launch, to store at the iteration's commit. */
  bred: Promise<PromptVariantRow[]> | null;
}

export interface PromptEvolutionOptions {
  llm: LlmConfig;
  arms: readonly Arm[];
  service: LlmService;
  records: PromptRecords;
  seed: number;
  depth: number;
  signal: AbortSignal;
}

export class PromptEvolution {
  private readonly populations = new Map<string, Population>();
  private readonly settings: NonNullable<LlmConfig['promptEvolution']>;
  private readonly policy: BanditPolicy;
  private readonly model: string;
  /** In a resumed run: the stored variants by the iteration that bred them, and each committed iteration's choice. */
  private storedBred = new Map<number, PromptVariantRow[]>();
  private storedChoice = new Map<number, { operator: string; idx: number }>();
  private readonly invalidAt = new Map<number, Array<{ operator: string; idx: number }>>();

  /** The run's prompt evolution, or null when its config has none. */
  static create(o: PromptEvolutionOptions): PromptEvolution | null {
    return o.llm.promptEvolution === undefined ? null : new PromptEvolution(o);
  }

  private constructor(private readonly o: PromptEvolutionOptions) {
    this.settings = o.llm.promptEvolution!;
    this.policy = { kind: 'ucb1', exploration: this.settings.exploration, discount: 1 };
    this.model = this.settings.model ?? o.llm.models.find((m) => m.weight > 0)!.name;
    const names = this.settings.operators;
    for (const arm of o.arms) {
      const op = arm.operator;
      if (!(op instanceof LlmOperator) || this.populations.has(op.name) || (names !== undefined && !names.includes(op.name))) continue;
      const t = op.templatesOf();
      const label = `${op.name}#0`;
      this.populations.set(op.name, { operator: op, labels: [label], weights: [1], bandit: new Bandit([label], [1], this.policy), texts: [Promise.resolve({ system: t.system, template: t[op.mode] })] });
    }
    for (const row of o.records.variants()) if (row.idx > 0) this.storedBred.set(row.createdBy, [...(this.storedBred.get(row.createdBy) ?? []), row]);
    for (const c of o.records.choices()) this.storedChoice.set(c.iteration, { operator: c.operator, idx: c.idx });
  }

  /** The original prompts, stored with the seed's iteration (index 0 of each population). */
  commitSeed(): void {
    for (const [name, p] of this.populations) {
      const t = p.operator.templatesOf();
      this.o.records.addVariant({ operator: name, idx: 0, createdBy: 0, parent: null, status: 'ok', system: t.system, template: t[p.operator.mode], note: 'the operator\'s own templates' });
    }
  }

  /** At the launch of iteration i (live, or resumed past the stored log): breeds when due, and chooses the arm's variant. */
  launch(i: number, arm: Arm): LaunchedPrompt {
    const basis = i - this.o.depth;
    const bred = basis > 0 && basis % this.settings.interval === 0 ? this.breedAll(i, basis) : null;
    return { choice: this.choose(i, arm), bred };
  }

  /** At the replayed launch of a committed iteration: the same arms and the same choice, from what was stored. */
  replayLaunch(i: number): void {
    for (const row of this.storedBred.get(i) ?? []) {
      const p = this.population(row.operator);
      const { best } = bestAndWorst(p);
      this.addArm(p, row.operator, row.idx, Promise.resolve({ system: row.system, template: row.template }));
      this.limitPopulation(p, row.idx, best);
      if (row.status === 'invalid') this.invalidAt.set(i, [...(this.invalidAt.get(i) ?? []), { operator: row.operator, idx: row.idx }]);
    }
    const stored = this.storedChoice.get(i);
    if (stored === undefined) return;
    const idx = this.population(stored.operator).bandit.choose(rngFor(this.o.seed, i, 'prompt-variant'));
    if (idx !== stored.idx) throw new InternalError(`iteration ${i}: the stored prompt choice ${stored.operator}#${stored.idx} is not what the replay chooses (#${idx})`);
  }

  /** At the commit of iteration i: stores what it bred and the variant it used, retires refused variants, credits the choice. */
  commit(i: number, bred: PromptVariantRow[] | undefined, choice: { operator: string; idx: number } | undefined, reward: number): void {
    for (const row of bred ?? []) {
      this.o.records.addVariant(row);
      if (row.status === 'invalid') this.retire(this.population(row.operator), row.idx);
    }
    if (choice !== undefined) {
      this.o.records.addChoice({ iteration: i, ...choice });
      this.population(choice.operator).bandit.credit(choice.idx, reward);
    }
  }

  /** The replayed commit of a stored iteration. */
  replayCommit(i: number, reward: number | null): void {
    for (const { operator, idx } of this.invalidAt.get(i) ?? []) this.retire(this.population(operator), idx);
    this.invalidAt.delete(i);
    const choice = this.storedChoice.get(i);
    if (choice !== undefined && reward !== null) this.population(choice.operator).bandit.credit(choice.idx, reward);
  }

  /** Each population's variants as the bandit sees them now: label, weight (0 once retired), pulls, mean reward. */
  stats(): Array<{ operator: string; variants: ReturnType<Bandit['stats']> }> {
    return [...this.populations].map(([operator, p]) => ({ operator, variants: p.bandit.stats() }));
  }

  private choose(i: number, arm: Arm): LaunchedPrompt['choice'] {
    const p = this.populations.get(arm.operator.name);
    if (p === undefined || arm.llm === null) return null;
    const idx = p.bandit.choose(rngFor(this.o.seed, i, 'prompt-variant'));
    return { operator: arm.operator.name, idx, prompt: p.texts[idx]! };
  }

  private breedAll(i: number, basis: number): Promise<PromptVariantRow[]> {
    return Promise.all([...this.populations].map(([name, p]) => this.breed(i, basis, name, p)));
  }

  /** Adds the new variant's arm now and returns its row once the meta-operator has answered. */
  private breed(i: number, basis: number, name: string, p: Population): Promise<PromptVariantRow> {
    const stats = p.bandit.stats();
    const { best, worst } = bestAndWorst(p);
    const idx = p.labels.length;
    // What the meta-operator is shown of the committed iterations is read now, at the launch (up to the basis).
    const record = async (k: number, outcomes: string[]): Promise<VariantRecord> => ({ label: p.labels[k]!, variant: await p.texts[k]!, uses: stats[k]!.pulls, meanReward: stats[k]!.mean, outcomes });
    const outcomesOf = (k: number) => this.o.records.outcomes(name, k, basis, OUTCOMES_SHOWN).map(describeOutcome);
    const outcomesBest = record(best, outcomesOf(best));
    const outcomesWorst = worst === null ? Promise.resolve(null) : record(worst, outcomesOf(worst));
    const row = (async (): Promise<PromptVariantRow> => {
      const [b, w] = [await outcomesBest, await outcomesWorst];
      const messages = breedMessages(p.operator.mode, b, w);
      const seed = Math.floor(rngFor(this.o.seed, i, `prompt-breed/${name}`).next() * 2 ** 31);
      const answer = await this.o.service.complete({ messages, model: this.model, temperature: this.settings.temperature, seed, iteration: i, operator: name, purpose: 'evolve-prompt', signal: this.o.signal });
      const base = { operator: name, idx, createdBy: i, parent: best };
      if (!answer.ok) return { ...base, status: 'invalid', ...b.variant, note: `the meta-operator's call failed: ${answer.reason}: ${answer.message}` };
      const parsed = parseBred(answer.text, answer.finishReason === 'length', p.operator.mode, b.variant);
      if (!parsed.ok) return { ...base, status: 'invalid', ...b.variant, note: `refused: ${parsed.errors.join('; ')}` };
      const summary = answer.text.split('\n').map((l) => l.trim()).find((l) => l !== '' && !l.startsWith('<'));
      return { ...base, status: 'ok', ...parsed.variant, note: summary === undefined ? null : summary.slice(0, 240) };
    })();
    this.addArm(p, name, idx, row.then((r) => ({ system: r.system, template: r.template })));
    this.limitPopulation(p, idx, best);
    return row;
  }

  private addArm(p: Population, name: string, idx: number, text: Promise<PromptVariant>): void {
    if (idx !== p.labels.length) throw new InternalError(`prompt variant ${name}#${idx} added out of order (next is #${p.labels.length})`);
    const label = `${name}#${idx}`;
    const state = p.bandit.toJSON();
    p.labels.push(label);
    p.weights.push(1);
    p.texts.push(text);
    p.bandit = Bandit.restore(p.labels, p.weights, this.policy, { arms: [...state.arms, { label, pulls: 0, credits: 0, discountedCount: 0, discountedReward: 0 }] });
  }

  /** Past the population size, the active variant with the lowest mean reward (not the new one, not the best) is retired. */
  private limitPopulation(p: Population, newest: number, best: number): void {
    const active = p.weights.filter((w) => w > 0).length;
    if (active <= this.settings.population) return;
    const stats = p.bandit.stats();
    const candidates = stats.map((s, k) => ({ k, mean: s.mean })).filter(({ k, mean }) => p.weights[k]! > 0 && k !== newest && k !== best && mean !== null);
    candidates.sort((a, b) => a.mean! - b.mean! || a.k - b.k);
    if (candidates[0] !== undefined) this.retire(p, candidates[0].k);
  }

  private retire(p: Population, idx: number): void {
    if (p.weights[idx] === 0 || p.weights.filter((w) => w > 0).length <= 1) return;
    p.weights[idx] = 0;
    p.bandit = Bandit.restore(p.labels, p.weights, this.policy, p.bandit.toJSON());
  }

  private population(name: string): Population {
    const p = this.populations.get(name);
    if (p === undefined) throw new InternalError(`no evolving prompt population for operator ${name}`);
    return p;
  }
}

/** The active variants with the highest and the lowest mean reward (ties: the older); the best is the oldest active one before any credit. */
function bestAndWorst(p: Population): { best: number; worst: number | null } {
  const active = p.bandit.stats().map((s, k) => ({ k, s })).filter(({ k }) => p.weights[k]! > 0);
  const ranked = active.filter(({ s }) => s.mean !== null).sort((a, b) => b.s.mean! - a.s.mean! || a.k - b.k);
  return { best: ranked[0]?.k ?? active[0]!.k, worst: ranked.length > 1 ? ranked[ranked.length - 1]!.k : null };
}

function describeOutcome(o: { iteration: number; status: string; reason: string | null; reward: number | null; childStatus: string | null; childReason: string | null; childMessage: string | null }): string {
  const at = `iteration ${o.iteration}: `;
  if (o.status === 'operator-failed') return `${at}no child: ${(o.reason ?? '').slice(0, 300)}`;
  if (o.childStatus !== null && o.childStatus !== 'ok') return `${at}the child's evaluation ${o.childStatus}${o.childReason ? ` (${o.childReason})` : ''}${o.childMessage ? `: ${o.childMessage.slice(0, 300)}` : ''}`;
  return `${at}${o.reward === 1 ? 'new cell' : o.reward === 0.5 ? 'improved its cell' : 'no gain'}`;
}
