// Builds what an LLM operator is shown about its parents and the archive, from committed state only.
import { shortNumber } from '../../common/format.js';
import type { Elite } from '../../archives/archive.js';
import type { DescriptorSpec, Variant } from '../../common/types.js';
import type { AttemptContext, ParentContext, VariationContext } from '../../operators/operator.js';
import type { StoredAttempt } from '../store/attempt-records.js';
import type { LlmConfig } from '../config/config-schema.js';
import type { RunStore } from '../store/run-store.js';

export interface ContextSource {
  store: RunStore;
  task: string;
  descriptors: readonly DescriptorSpec[];
  limits: LlmConfig['context'];
}

/** Where the iteration stands: the iteration whose commit it was launched after, and the island it works on. */
export interface ContextPoint {
  basis: number;
  island: number;
}

/**
 * Called when an iteration is launched, i.e. right after the commit of its basis: parents, their
 * ancestors and the island's elites are all committed by then, live and in a resume's replay alike,
 * so the prompt (and the cache key made from it) is the same in both. Recent attempts are read up to
 * `at.basis` explicitly, since a replay's file already holds the iterations after it.
 */
export function buildContext(source: ContextSource, parents: Variant[], islandElites: readonly Elite[], at: ContextPoint): VariationContext {
  const descriptors = source.descriptors.map((d) => `- ${d.name} ${'values' in d ? `one of ${d.values.map((v) => JSON.stringify(v)).join(', ')}` : `in [${d.min}, ${d.max}]`}${d.description ? `: ${d.description}` : ''}`).join('\n');
  return {
    task: source.task.trim() === '' ? '(the problem gives no description)' : source.task.trim(),
    descriptors,
    parents: parents.map((p) => parentContext(source, p)),
    elites: pickElites(source, parents, islandElites),
    attempts: parents.length === 0 ? [] : source.store.attempts().recent(parents[0]!.id, at.island, at.basis, source.limits.attempts).map((a) => attemptContext(source, parents[0]!.id, a)),
  };
}

/** What became of one earlier attempt; a failure's message and public output capped at limits.attemptChars. */
function attemptContext(source: ContextSource, parentId: string, a: StoredAttempt): AttemptContext {
  const outcome: AttemptContext['outcome'] = a.variantId === null ? 'operator-failed' : a.duplicate || a.status === null ? 'duplicate' : a.status;
  const failed = outcome === 'failed' || outcome === 'timeout' || outcome === 'invalid';
  const output = Object.entries(a.artifacts ?? {}).map(([k, v]) => `${k}: ${v}`);
  const text = outcome === 'operator-failed' ? a.operatorFailure ?? '' : outcome === 'ok' ? '' : [a.message ?? '', ...output].filter((x) => x !== '').join('\n');
  const ok = outcome === 'ok' && a.fitness !== null;
  return {
    iteration: a.iteration,
    operator: a.operator,
    sameParent: a.parentId === parentId,
    outcome,
    reason: failed ? a.reason : null,
    message: cap(text, source.limits.attemptChars),
    fitness: ok ? a.fitness : null,
    change: ok && a.parentFitness !== null ? a.fitness! - a.parentFitness : null,
    archive: ok ? a.addStatus : null,
    note: a.note,
  };
}

/** `text` cut to `limit` characters, saying how much was cut. */
function cap(text: string, limit: number): string {
  return text.length > limit ? `${text.slice(0, limit)}\n[... ${text.length - limit} more characters cut]` : text;
}

/** name=value of one descriptor; a categorical one shows its value, not the index the archive keeps. */
function descriptorText(spec: DescriptorSpec | undefined, v: number, k: number): string {
  if (spec === undefined) return `${k}=${shortNumber(v)}`;
  return `${spec.name}=${'values' in spec ? JSON.stringify(spec.values[v]) : shortNumber(v)}`;
}

function parentContext(source: ContextSource, parent: Variant): ParentContext {
  const stored = source.store.getEvaluation(parent.id)?.evaluation;
  let evaluation: string;
  let artifacts = '';
  if (stored === undefined) evaluation = 'Not evaluated.';
  else if (stored.status === 'ok') {
    const metrics = Object.entries(stored.metrics ?? {}).map(([k, v]) => `${k}=${typeof v === 'number' ? shortNumber(v) : String(v)}`).join(', ');
    evaluation = `Fitness ${shortNumber(stored.fitness)}; descriptors ${stored.descriptors.map((v, k) => descriptorText(source.descriptors[k], v, k)).join(', ')}${metrics ? `; metrics ${metrics}` : ''}.`;
    artifacts = Object.entries(stored.artifacts ?? {}).map(([k, v]) => `${k}: ${v}`).join('\n');
    if (stored.recheck) evaluation += ` Re-checked with ${stored.recheck.samples.length - 1} fresh seed(s): first score ${shortNumber(stored.recheck.first)}, spread ${shortNumber(stored.recheck.spread)}.`;
  } else {
    evaluation = `Its evaluation ${stored.status === 'timeout' ? 'timed out' : stored.status === 'invalid' ? 'was invalid' : 'failed'} (${stored.reason}).`;
    artifacts = stored.message;
  }
  artifacts = cap(artifacts, source.limits.artifactChars);
  const lineage = source.store.ancestors(parent.id, source.limits.lineage).map((a) => ({ ...a, note: source.store.getVariant(a.id)?.note ?? null }));
  return { id: parent.id, files: parent.files, evaluation, artifacts, lineage };
}

/** Half of the elites by fitness, the rest by distance from the first parent in normalised descriptor space; ties by id. */
function pickElites(source: ContextSource, parents: Variant[], elites: readonly Elite[]): VariationContext['elites'] {
  const k = source.limits.elites;
  if (k === 0 || parents.length === 0) return [];
  const excluded = new Set(parents.map((p) => p.id));
  const candidates = elites.filter((e) => !excluded.has(e.variantId));
  const byId = (a: Elite, b: Elite) => (a.variantId < b.variantId ? -1 : a.variantId > b.variantId ? 1 : 0);
  const fittest = [...candidates].sort((a, b) => b.fitness - a.fitness || byId(a, b)).slice(0, Math.ceil(k / 2));
  const chosen = new Set(fittest.map((e) => e.variantId));
  const anchor = source.store.getEvaluation(parents[0]!.id)?.evaluation;
  const at = anchor?.status === 'ok' ? anchor.descriptors : null;
  const distance = (e: Elite) => at === null ? 0 : source.descriptors.reduce((s, d, j) => s + ('values' in d ? (e.descriptors[j] === at[j] ? 0 : 1) : ((e.descriptors[j]! - at[j]!) / (d.max - d.min)) ** 2), 0);
  const far = candidates.filter((e) => !chosen.has(e.variantId)).sort((a, b) => distance(b) - distance(a) || byId(a, b)).slice(0, k - fittest.length);
  const values = (ds: number[]) => ds.map((v, j) => { const d = source.descriptors[j]; return d !== undefined && 'values' in d ? d.values[v] ?? v : v; });
  return [...fittest, ...far].map((e) => ({ id: e.variantId, fitness: e.fitness, descriptors: values(e.descriptors), files: source.store.getVariant(e.variantId)?.files ?? {} }));
}

