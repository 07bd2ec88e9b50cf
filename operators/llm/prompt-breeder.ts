// Operator prompts as genes: the meta-operator's request (Promptbreeder-style hyper-mutation of the best
// variant, with GEPA-style reflection on the failures its children met and on the worst variant), and the
// checks a bred variant passes before it joins the population.
import type { LlmMessage } from './llm-client.js';
import { PLACEHOLDERS, placeholdersOf } from './prompt-template.js';
import { splitReasoning } from './reasoning-sections.js';

/** One variant of an operator's prompt: its system template and its instruction template (diff, rewrite or crossover). */
export interface PromptVariant {
  system: string;
  template: string;
}

export type PromptMode = 'diff' | 'rewrite' | 'crossover';

/** What the meta-operator is shown of a variant: its text and how its children fared. */
export interface VariantRecord {
  label: string;
  variant: PromptVariant;
  /** Iterations that used it, and their mean bandit reward (1 new cell, 0.5 improved, 0 otherwise). */
  uses: number;
  meanReward: number | null;
  /** The latest outcomes of its children, newest first: "new cell", "improved", "no gain", or a failure with its reason. */
  outcomes: string[];
}

/** The placeholder each mode's template must keep: without it the model would never see what to change. */
const REQUIRED: Record<PromptMode, string[]> = { diff: ['files'], rewrite: ['files'], crossover: ['parents'] };
/** A bred template longer than this many times its parent's (or 20,000 characters) is refused: prompts grow without bound otherwise. */
const MAX_GROWTH = 3;
const MAX_CHARS = 20_000;
const MIN_CHARS = 40;

const BREEDER_SYSTEM = `You improve the instructions that another language model follows when it edits programs in an evolutionary search. A prompt is two templates: a system template and an instruction template. Placeholders in double braces ({{name}}) are filled in by the search at every call; keep the ones you need, exactly as written, and never invent new ones.`;

function show(r: VariantRecord): string {
  const record = r.uses === 0 ? 'not used yet' : `used ${r.uses} time(s), mean reward ${r.meanReward === null ? 'n/a' : r.meanReward.toFixed(3)}`;
  const outcomes = r.outcomes.length === 0 ? '(none yet)' : r.outcomes.map((o) => `- ${o}`).join('\n');
  return `### ${r.label}: ${record}\n<system>\n${r.variant.system}\n</system>\n<template>\n${r.variant.template}\n</template>\nRecent outcomes of its children (newest first):\n${outcomes}`;
}

/** The meta-operator's request: rewrite the best variant, learning from its failures and from what the worst one does differently. */
export function breedMessages(mode: PromptMode, best: VariantRecord, worst: VariantRecord | null): LlmMessage[] {
  const allowed = (name: 'system' | PromptMode) => PLACEHOLDERS[name].map((p) => `{{${p}}}`).join(', ');
  const user = [
    `The search uses these prompts for its "${mode}" edits. Reward: 1 when a child reaches a new kind of behaviour, 0.5 when it beats the incumbent, 0 otherwise.`,
    '## The best prompt so far',
    show(best),
    ...(worst === null ? [] : ['## The worst prompt so far', show(worst)]),
    '## Your task',
    `Reflect on why the failures above happened${worst === null ? '' : ' and what the best prompt does better than the worst'}, then write an improved version of the best prompt: clearer, more specific instructions that lead to more children that score higher. Change the wording, not the answer format the search parses.`,
    `The system template may use only ${allowed('system')}. The instruction template may use only ${allowed(mode)}, and must keep ${REQUIRED[mode].map((p) => `{{${p}}}`).join(' and ')}.`,
    'Answer with one line on what you changed, then exactly:\n<system>\n...the new system template...\n</system>\n<template>\n...the new instruction template...\n</template>',
  ].join('\n\n');
  return [{ role: 'system', content: BREEDER_SYSTEM }, { role: 'user', content: user }];
}

/** The last <tag>...</tag> of the answer (a model may quote the request's tags before writing its own). */
function lastTagged(text: string, tag: string): string | undefined {
  const re = new RegExp(`<${tag}>\\r?\\n?([\\s\\S]*?)\\r?\\n?</${tag}>`, 'g');
  let found: string | undefined;
  for (const m of text.matchAll(re)) found = m[1];
  return found;
}

/**
 * The variant a meta-operator's answer proposes, or every reason it cannot join: no tags, an answer cut off
 * at the token limit, an unknown or missing placeholder, a template too short or grown too large, or a copy
 * of its parent.
 */
export function parseBred(answer: string, cutOff: boolean, mode: PromptMode, parent: PromptVariant): { ok: true; variant: PromptVariant } | { ok: false; errors: string[] } {
  if (cutOff) return { ok: false, errors: ['the answer was cut off at the token limit'] };
  const text = splitReasoning(answer).answer;
  const system = lastTagged(text, 'system');
  const template = lastTagged(text, 'template');
  const errors: string[] = [];
  if (system === undefined) errors.push('no <system>...</system> block');
  if (template === undefined) errors.push('no <template>...</template> block');
  if (system === undefined || template === undefined) return { ok: false, errors };
  const check = (name: string, value: string, known: readonly string[], original: string) => {
    for (const p of placeholdersOf(value)) if (!known.includes(p)) errors.push(`${name}: unknown placeholder {{${p}}}`);
    if (value.trim().length < MIN_CHARS) errors.push(`${name}: too short (${value.trim().length} characters)`);
    const limit = Math.min(MAX_CHARS, Math.max(MIN_CHARS * 10, original.length * MAX_GROWTH));
    if (value.length > limit) errors.push(`${name}: ${value.length} characters, more than ${limit} (${MAX_GROWTH}x its parent's, at most ${MAX_CHARS})`);
  };
  check('system', system, PLACEHOLDERS.system, parent.system);
  check('template', template, PLACEHOLDERS[mode], parent.template);
  const used = placeholdersOf(template);
  for (const p of REQUIRED[mode]) if (!used.includes(p)) errors.push(`template: must keep {{${p}}}`);
  if (system.trim() === parent.system.trim() && template.trim() === parent.template.trim()) errors.push('the same prompt as its parent');
  return errors.length > 0 ? { ok: false, errors } : { ok: true, variant: { system, template } };
}
