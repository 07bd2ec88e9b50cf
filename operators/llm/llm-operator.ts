// LLM operators: diff mutation, whole-file rewrite and crossover, one class with three prompt/answer modes.
import { shortNumber } from '../../common/format.js';
import type { VariantFiles } from '../../common/types.js';
import type { Operator, OperatorContext, OperatorResult, ParentContext, VariationContext } from '../operator.js';
import { applyDiff, formatFiles, parseRewrite, repairMessage, splitReasoning } from './edit-format.js';
import type { LlmAnswer, LlmMessage } from './llm-client.js';
import type { LlmService } from './llm-service.js';
import { render, type PromptTemplates } from './prompt-template.js';
import { showAttempts } from './show-attempts.js';

export type LlmOperatorMode = 'diff' | 'rewrite' | 'crossover';

export interface LlmOperatorOptions {
  name: string;
  mode: LlmOperatorMode;
  service: LlmService;
  templates: PromptTemplates;
  /** Send a failed answer back once with its errors. */
  repair: boolean;
  /** Files the LLM may change; all of the variant's files when absent. */
  files?: readonly string[];
  /** Parents combined by crossover (1 for the other modes). */
  parents?: number;
}

/**
 * Contract: propose() makes at most two calls (the proposal and one repair) and returns one child,
 * or a failure whose reason says what the endpoint or the answer did wrong. The only throws are the
 * service's (the run cannot go on). Every input to the prompt comes from the context, the arm and
 * the rng, so the request, and with the answer cache the child, is a function of the iteration.
 */
export class LlmOperator implements Operator {
  readonly name: string;
  readonly parentCount: number;
  readonly usesLlm = true;

  constructor(private readonly o: LlmOperatorOptions) {
    this.name = o.name;
    this.parentCount = o.mode === 'crossover' ? (o.parents ?? 2) : 1;
  }

  async propose(ctx: OperatorContext): Promise<OperatorResult> {
    if (ctx.arm === undefined || ctx.context === undefined) return { ok: false, reason: `${this.name}: the engine gave no model or context` };
    const base = ctx.parents[0]!.files;
    const editable = (path: string) => this.o.files === undefined || this.o.files.includes(path);
    const messages = this.messages(ctx.context, base, editable, ctx.prompt);
    const call = { model: ctx.arm.model, temperature: ctx.arm.temperature, iteration: ctx.iteration, operator: this.name, signal: ctx.signal };
    const seed = Math.floor(ctx.rng.next() * 2 ** 31);
    const first = await this.o.service.complete({ ...call, messages, seed, purpose: 'propose' });
    if (!first.ok) return { ok: false, reason: `the LLM call failed: ${describe(first)}` };
    if (refused(first)) return { ok: false, reason: `the model refused: ${first.refusal}` };
    let answer = splitReasoning(first.text).answer;
    let applied = this.apply(base, first, editable);
    if (!applied.ok && this.o.repair) {
      // The reasoning stays out of the conversation, as reasoning models' chat templates leave it out of earlier turns.
      const said = answer.trim() === '' ? first.text : answer;
      const again = [...messages, { role: 'assistant' as const, content: said }, { role: 'user' as const, content: repairMessage(applied.errors) }];
      const second = await this.o.service.complete({ ...call, messages: again, seed: seed + 1, purpose: 'repair' });
      if (!second.ok) return { ok: false, reason: `the answer did not apply (${applied.errors.join('; ')}) and the repair call failed: ${describe(second)}` };
      if (refused(second)) return { ok: false, reason: `the answer did not apply (${applied.errors.join('; ')}) and the model refused the repair: ${second.refusal}` };
      const repaired = this.apply(base, second, editable);
      if (!repaired.ok) return { ok: false, reason: `the answer did not apply, even after one repair: ${repaired.errors.join('; ')}` };
      applied = repaired;
      answer = splitReasoning(second.text).answer;
    }
    if (!applied.ok) return { ok: false, reason: `the answer did not apply: ${applied.errors.join('; ')}` };
    return { ok: true, children: [{ files: applied.files, note: noteOf(ctx.arm, applied.changed, answer) }] };
  }

  /** Parses an answer; one cut off at the token limit is never applied (its missing part may be half the change). */
  private apply(base: VariantFiles, answer: LlmAnswer, editable: (path: string) => boolean) {
    const options = { editable, cutOff: answer.finishReason === 'length' };
    return this.o.mode === 'diff' ? applyDiff(base, answer.text, options) : parseRewrite(base, answer.text, options);
  }

  /** The templates of this mode: the operator's own, or the evolved variant the engine chose. */
  get mode(): LlmOperatorMode {
    return this.o.mode;
  }

  templatesOf(prompt?: { system: string; template: string }): PromptTemplates {
    const t = this.o.templates;
    return prompt === undefined ? t : { ...t, system: prompt.system, [this.o.mode]: prompt.template };
  }

  private messages(context: VariationContext, base: VariantFiles, editable: (path: string) => boolean, prompt?: { system: string; template: string }): LlmMessage[] {
    const t = this.templatesOf(prompt);
    const editableList = Object.keys(base).filter(editable).sort().join(', ') || '(none)';
    const common = { task: context.task, descriptors: context.descriptors, editable: editableList, elites: showElites(context), attempts: showAttempts(context) };
    const parent = context.parents[0]!;
    const user = this.o.mode === 'crossover'
      ? render(t.crossover, { ...common, parents: context.parents.map((p, k) => `### Parent ${k + 1}\n${showEvaluation(p)}\n\n${formatFiles(p.files)}`).join('\n\n') })
      : render(this.o.mode === 'diff' ? t.diff : t.rewrite, { ...common, evaluation: showEvaluation(parent), files: formatFiles(base), lineage: showLineage(parent) });
    return [{ role: 'system', content: render(t.system, common) }, { role: 'user', content: user }];
  }
}

function describe(failure: { reason: string; status?: number; message: string; attempts: number }): string {
  return `${failure.reason}${failure.status === undefined ? '' : ` ${failure.status}`}: ${failure.message} (after ${failure.attempts} attempt(s))`;
}

/** A refusal with nothing else: an answer that also has text is parsed like any other. */
function refused(answer: LlmAnswer): boolean {
  return answer.refusal !== null && answer.refusal !== undefined && answer.text.trim() === '';
}

function showEvaluation(p: ParentContext): string {
  return p.artifacts === '' ? p.evaluation : `${p.evaluation}\nArtifacts:\n${p.artifacts}`;
}

function showLineage(p: ParentContext): string {
  if (p.lineage.length === 0) return '(not shown: llm.context.lineage is 0)';
  return p.lineage.map((a) => `- iteration ${a.iteration}, ${a.operator}: ${a.fitness === null ? 'failed' : `fitness ${shortNumber(a.fitness)}`}${a.note ? ` (${a.note})` : ''}`).join('\n');
}

function showElites(context: VariationContext): string {
  if (context.elites.length === 0) return '(none yet)';
  return context.elites.map((e, k) => `### Elite ${k + 1}: fitness ${shortNumber(e.fitness)}, descriptors [${e.descriptors.map((v) => (typeof v === 'number' ? shortNumber(v) : JSON.stringify(v))).join(', ')}]\n${formatFiles(e.files)}`).join('\n\n');
}


/**
 * What the log keeps about the child (and later prompts quote in its lineage): the arm, the files changed, and the
 * LLM's own one-line summary, taken only from prose before the first edit block of the answer without its reasoning
 * (an answer that is blocks alone has no summary, never a quoted code line or a line of reasoning).
 */
function noteOf(arm: { model: string; temperature: number }, changed: string[], answer: string): string {
  const lines = answer.split('\n').map((l) => l.trim());
  const firstBlock = lines.findIndex((l) => l.startsWith('<<<<<<<') || l.startsWith('<file'));
  const prose = firstBlock === -1 ? lines : lines.slice(0, firstBlock);
  const summary = prose.find((l) => l !== '' && !l.startsWith('<') && !l.startsWith('```') && !l.startsWith('='));
  // A NaN temperature is an arm of a model that sends none (reasoning models): its label says 'default' too.
  const t = Number.isFinite(arm.temperature) ? String(arm.temperature) : 'default';
  const text = `${arm.model} t=${t}, ${changed.join(', ')}${summary ? `: ${summary}` : ''}`;
  return text.length > 240 ? `${text.slice(0, 237)}...` : text;
}
