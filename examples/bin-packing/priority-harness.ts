// The code that drives a variant's priority() inside the sandbox: the same online packing as online-packing.ts, recording each choice.
import type { Instance } from './instances.js';

/**
 * Source of the harness function for runProgram. For every item that fits an open bin it calls
 * priority(item, capacities) on a fresh copy of the capacities, checks the answer and records the
 * index of the highest score (the first on ties); -1 records a new bin. It returns
 * `{ runs: number[][] }`, one list of choices per instance, or `{ fault }` naming the first bad
 * answer, or `{ missing: true }`. The host replays the choices with packOnline, so a program
 * that tampers with built-ins can break its own run but cannot pack illegally.
 */
export function priorityHarness(instances: readonly Instance[]): string {
  return `function (priority) {
  if (typeof priority !== 'function') return { missing: true };
  const instances = ${JSON.stringify(instances)};
  const kind = (v) => v === undefined ? 'undefined' : v === null ? 'null' : typeof v === 'object' ? 'an object' : 'a ' + typeof v;
  const show = (caps) => '[' + caps.slice(0, 8).join(', ') + (caps.length > 8 ? ', ... (' + caps.length + ' bins)' : '') + ']';
  const runs = [];
  for (let n = 0; n < instances.length; n++) {
    const capacity = instances[n].capacity;
    const items = instances[n].items;
    const remaining = [];
    const choices = [];
    for (let k = 0; k < items.length; k++) {
      const item = items[k];
      const fit = [];
      for (let b = 0; b < remaining.length; b++) if (remaining[b] >= item) fit.push(b);
      if (fit.length === 0) { remaining.push(capacity - item); choices.push(-1); continue; }
      const caps = fit.map((b) => remaining[b]);
      const where = () => 'priority(' + item + ', ' + show(caps) + ') on instance ' + n + ', item ' + k;
      const scores = priority(item, caps.slice());
      if (!Array.isArray(scores) && !ArrayBuffer.isView(scores)) {
        return { fault: where() + ' returned ' + kind(scores) + ', expected an array of ' + caps.length + ' numbers' };
      }
      if (scores.length !== caps.length) {
        const count = (n, noun) => n + ' ' + noun + (n === 1 ? '' : 's');
        return { fault: where() + ' returned ' + count(scores.length, 'score') + ' for ' + count(caps.length, 'bin') };
      }
      let best = 0;
      for (let i = 0; i < caps.length; i++) {
        const s = scores[i];
        if (typeof s !== 'number' || !Number.isFinite(s)) {
          return { fault: where() + ' scored bin ' + i + ' ' + (typeof s === 'number' ? String(s) : kind(s)) + ', expected a finite number' };
        }
        if (s > scores[best]) best = i;
      }
      remaining[fit[best]] -= item;
      choices.push(best);
    }
    runs.push(choices);
  }
  return { runs };
}`;
}
