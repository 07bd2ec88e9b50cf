// The code that drives a variant's priority() inside the sandbox (the same online packing as online-packing.ts, recording each choice), and the host-side reading of what it returns.
import type { Instance } from './instances.js';

/** Longest fault message kept from the harness. */
export const MAX_FAULT = 300;

/**
 * Source of the harness for runProgram. For every item that fits an open bin it calls
 * priority(item, capacities) on a fresh array of the capacities, checks the answer and records the
 * index of the highest score (the first on ties); -1 records a new bin. It returns one string:
 * `runs <choices>` (instances separated by `;`, choices by `,`), `fault <message>` naming the first
 * bad answer, or `missing`.
 *
 * The harness runs after the program, which may have replaced any built-in. So it is evaluated
 * (and captures the few built-ins it calls) before the program loads; it keeps its own state in
 * typed arrays and locals, calls no method of an array, reads each score once, and returns a
 * string built by concatenation, which the runner copies out without a property lookup (an object
 * would be read through toJSON and the prototypes the program may have changed). None of that is
 * trusted either: the host checks every choice with readRuns and replays them with packOnline, so
 * a program that tampers with built-ins can break its own run but cannot pack illegally.
 */
export function priorityHarness(instances: readonly Instance[]): string {
  return `(function () {
  const isArray = Array.isArray;
  const isView = ArrayBuffer.isView;
  const isFiniteNumber = Number.isFinite;
  const Floats = Float64Array;
  const Ints = Int32Array;
  const instances = ${JSON.stringify(instances)};
  const count = ${instances.length};
  const kind = (v) => v === undefined ? 'undefined' : v === null ? 'null' : typeof v === 'object' ? 'an object' : 'a ' + typeof v;
  const plural = (n, noun) => n + ' ' + noun + (n === 1 ? '' : 's');
  return function (priority) {
    if (typeof priority !== 'function') return 'missing';
    let runs = '';
    for (let n = 0; n < count; n++) {
      const capacity = instances[n].capacity;
      const items = instances[n].items;
      const total = items.length;
      const remaining = new Floats(total);
      const fit = new Ints(total);
      const room = new Floats(total);
      let open = 0;
      let choices = '';
      for (let k = 0; k < total; k++) {
        const item = items[k];
        let fits = 0;
        for (let b = 0; b < open; b++) if (remaining[b] >= item) { fit[fits] = b; room[fits] = remaining[b]; fits++; }
        let choice = -1;
        if (fits === 0) {
          remaining[open] = capacity - item;
          open++;
        } else {
          const caps = [];
          for (let i = 0; i < fits; i++) caps[i] = room[i];
          let shown = '[';
          for (let i = 0; i < fits && i < 8; i++) shown += (i === 0 ? '' : ', ') + room[i];
          shown += fits > 8 ? ', ... (' + fits + ' bins)]' : ']';
          const where = 'priority(' + item + ', ' + shown + ') on instance ' + n + ', item ' + k;
          const scores = priority(item, caps);
          if (!isArray(scores) && !isView(scores)) return 'fault ' + where + ' returned ' + kind(scores) + ', expected an array of ' + fits + ' numbers';
          const length = scores.length;
          if (length !== fits) return 'fault ' + where + ' returned ' + plural(length, 'score') + ' for ' + plural(fits, 'bin');
          let top = 0;
          for (let i = 0; i < fits; i++) {
            const s = scores[i];
            if (typeof s !== 'number' || !isFiniteNumber(s)) {
              return 'fault ' + where + ' scored bin ' + i + ' ' + (typeof s === 'number' ? '' + s : kind(s)) + ', expected a finite number';
            }
            if (i === 0 || s > top) { top = s; choice = i; }
          }
          remaining[fit[choice]] -= item;
        }
        choices += (k === 0 ? '' : ',') + choice;
      }
      runs += (n === 0 ? '' : ';') + choices;
    }
    return 'runs ' + runs;
  };
})()`;
}

/**
 * The choices the harness recorded, one list per instance, or throws saying what is wrong. Every
 * choice must be an integer from -1 up (a bin that fits is checked by packOnline on replay); the
 * output is plain text parsed here, so nothing the program did inside the isolate is trusted.
 */
export function readRuns(value: unknown, instances: readonly Instance[]): number[][] {
  const malformed = (): never => { throw new Error('the evaluation harness got malformed output (did program.js replace a built-in?)'); };
  if (value === 'missing') throw new Error('program.js defines no function priority(item, capacities)');
  if (typeof value !== 'string') return malformed();
  if (value.startsWith('fault ')) {
    const fault = value.slice('fault '.length);
    throw new Error(fault.length > MAX_FAULT ? `${fault.slice(0, MAX_FAULT)}…` : fault);
  }
  if (!value.startsWith('runs ')) return malformed();
  const runs = value.slice('runs '.length).split(';');
  if (runs.length !== instances.length) return malformed();
  return runs.map((run, n) => {
    const choices = run.split(',').map((text) => (/^-?\d{1,6}$/.test(text) ? Number(text) : Number.NaN));
    const ok = choices.length === instances[n]!.items.length && choices.every((c) => Number.isFinite(c) && Number.isInteger(c) && c >= -1);
    return ok ? choices : malformed();
  });
}
