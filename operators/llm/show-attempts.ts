// The {{attempts}} placeholder's text: what became of the recent children of the parent and of its island.
import { shortNumber } from '../../common/format.js';
import type { AttemptContext, VariationContext } from '../operator.js';

const ARCHIVE: Record<NonNullable<AttemptContext['archive']>, string> = {
  new: 'it filled a new cell of the archive',
  improved: "it replaced its cell's elite",
  rejected: 'the archive did not keep it',
};

/** One entry per attempt, newest first; failures with their reason and (capped) message, successes with the fitness change. */
export function showAttempts(context: Pick<VariationContext, 'attempts'>): string {
  const attempts = context.attempts ?? [];
  if (attempts.length === 0) return '(none yet)';
  return attempts.map((a) => {
    const head = `- iteration ${a.iteration}, ${a.operator}, from ${a.sameParent ? 'this variant' : 'another variant of the island'}`;
    const note = a.note ? `\n  Change: ${a.note}` : '';
    return `${head}: ${outcomeOf(a)}${note}${a.message === '' ? '' : `\n${indent(a.message)}`}`;
  }).join('\n');
}

function outcomeOf(a: AttemptContext): string {
  switch (a.outcome) {
    case 'ok': {
      const change = a.change === null ? '' : ` (${a.change >= 0 ? '+' : ''}${shortNumber(a.change)} from its parent)`;
      return `fitness ${a.fitness === null ? '?' : shortNumber(a.fitness)}${change}; ${a.archive === null ? 'not placed' : ARCHIVE[a.archive]}.`;
    }
    case 'operator-failed': return 'no child was made.';
    case 'duplicate': return 'the child repeated a variant already evaluated, so it was not evaluated.';
    case 'timeout': return `its evaluation timed out (${a.reason ?? 'timeout'}).`;
    case 'invalid': return `its evaluation was invalid (${a.reason ?? 'invalid'}).`;
    default: return `its evaluation failed (${a.reason ?? 'failed'}).`;
  }
}

/** Quoted text, indented under its entry so that it cannot pass for the next entry or a section heading. */
function indent(text: string): string {
  return text.split('\n').map((l) => `    ${l}`).join('\n');
}
