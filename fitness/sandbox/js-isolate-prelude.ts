// The JavaScript that runs inside the isolate around a candidate: the bare global environment, the captured console, and the runner that calls the candidate and copies out its result.

/**
 * Marks a value that JSON cannot carry (NaN, ±Infinity, undefined in an array): the runner
 * encodes it as `{ [NON_JSON_TAG]: 'NaN' }` and the host decodes it. A candidate that returns
 * such an object itself only gets the value it could have returned directly.
 */
export const NON_JSON_TAG = '\u0000ouroboros:value';

/** Longest error description the runner hands back, so a runaway message cannot flood a prompt. */
export const MAX_DESCRIPTION = 1000;

/** Kinds of record the runner hands back; the host accepts no other. */
export const RECORD_KINDS = ['ok', 'threw', 'no-entry', 'no-result', 'too-large'] as const;
export type RecordKind = (typeof RECORD_KINDS)[number];

/**
 * What the runner hands back is one primitive string, the JSON text of
 * `[kind, text, json, console, cut]`, built by concatenating strings (never an object the
 * candidate's prototypes could reach, never awaited or spread), which the host parses and checks
 * field by field (js-isolate-record.ts):
 * - `ok`: `json` holds the result as JSON text (non-JSON values tagged, see NON_JSON_TAG);
 * - `threw`: `text` describes what the candidate (or the harness) threw;
 * - `no-entry`: there is no harness and the candidate defines no function of the entry's name;
 * - `no-result`: the result cannot be copied out, `text` says why;
 * - `too-large`: the result's JSON passed `maxResultBytes` characters, `text` is a lower bound.
 * `console` is the captured output (at most `maxConsole` characters), `cut` whether more was printed.
 */
export type RunnerRecord = [kind: RecordKind, text: string, json: string, console: string, cut: boolean];

/**
 * A script, compiled once per isolate and run first in every fresh context, whose value is the
 * runner. Before any candidate code exists it captures the built-ins the runner relies on (so a
 * candidate that replaces JSON.stringify or String.prototype.slice cannot steer the runner's own
 * bookkeeping), then strips the context down:
 * - no clock or other source of nondeterminism: Date, Intl (which formats the current time),
 *   FinalizationRegistry and WeakRef (which report when the garbage collector ran), Atomics.wait
 *   and Atomics.waitAsync (a sleep and a timer);
 * - no code generation from strings: eval and the Function, GeneratorFunction, AsyncFunction and
 *   AsyncGeneratorFunction constructors throw EvalError, as V8 does for a context that disallows
 *   it, and WebAssembly is removed. This is a policy, not a wall: code made from strings would run
 *   in the same isolate under the same limits. It keeps everything a candidate runs in its own
 *   text, which is what the problem statements promise and what the LLM and a reader see;
 * - Math.random is mulberry32 (the generator the examples have always used), seeded by the runner;
 * - console.log and friends append to a buffer, JSON for non-strings as Node would show them.
 * The script's value is `prepare(harness, args, maxResult, seed, maxConsole, filename,
 * grantNames, ...grants)`, which the host calls once per context before the candidate's script
 * has even been run (a candidate can close the function it is wrapped in and run code at that
 * moment): it seeds Math.random, installs the grants and copies the arguments, and returns the
 * runner, `run(load)`. The host then runs the candidate's script and calls the runner with its
 * loader: it loads the candidate, calls the entry (or the harness, evaluated before the candidate
 * too), waits for a promise result and encodes it, all inside the isolate and under the limits,
 * so no candidate-made object (an error with a throwing getter, a result with a toJSON) is ever
 * touched on the host. It returns the record (see RunnerRecord) as a string, or a promise of it
 * made by the captured Promise constructor and resolved with that string.
 *
 * The invariant: once the candidate's code has run, the runner reads nothing through a property
 * lookup the candidate could have redirected. It calls only functions captured here (through the
 * captured Reflect.apply), reads its own arguments into arrays before the candidate's script runs (an
 * index setter on Array.prototype cannot see or change them), builds the record from strings by
 * concatenation and JSON.stringify of strings (which consults no toJSON), and waits for a promise
 * result through the captured Promise.prototype.then, never with `await` (which would read `then`
 * or `constructor` through the result's prototypes). A result that is not a promise is never
 * treated as one: a `then` the candidate put on Object.prototype does not make a harness's object
 * a thenable. What the candidate can still shape is its own result, and, after it has run, what a
 * harness computes with the built-ins: the host must check both as untrusted data.
 */
export const PRELUDE = String.raw`(function () {
'use strict';
let maxConsole = 0, filename = '';
const G = globalThis;
const apply = Reflect.apply;
const stringify = JSON.stringify;
const toText = String;
const isArray = Array.isArray;
const isView = ArrayBuffer.isView;
const arrayFrom = Array.from;
const isFiniteNumber = Number.isFinite;
const imul = Math.imul;
const defineProperty = Object.defineProperty;
const getPrototypeOf = Object.getPrototypeOf;
const indexOf = String.prototype.indexOf;
const sliceText = String.prototype.slice;
const charCodeAt = String.prototype.charCodeAt;
const split = String.prototype.split;
const PromiseOf = Promise;
const PromiseProto = Promise.prototype;
const promiseThen = Promise.prototype.then;
// The runner's own promises. isolated-vm waits on a pending one with V8's Promise::Then and ::Catch,
// which look up constructor, Symbol.species and then on it: a frozen subclass holding its own keeps
// those lookups away from Promise and Promise.prototype, which the candidate may have changed. (The
// grants are synchronous, so today the runner's promise has settled before isolated-vm sees it; this
// keeps that from mattering.)
// An explicit constructor: the default one passes its arguments on by spreading them, which calls
// the Array iterator the candidate may have replaced.
class RunnerPromise extends PromiseOf { constructor(executor) { super(executor); } }
defineProperty(RunnerPromise, Symbol.species, { value: RunnerPromise });
defineProperty(RunnerPromise.prototype, 'then', { value: promiseThen });
defineProperty(RunnerPromise.prototype, 'constructor', { value: RunnerPromise });
Object.freeze(RunnerPromise.prototype);
Object.freeze(RunnerPromise);
const CodeGenerationError = EvalError;
const TAG = ${JSON.stringify(NON_JSON_TAG)};
const MAX_DESCRIPTION = ${MAX_DESCRIPTION};

for (const name of ['Date', 'Intl', 'WebAssembly', 'FinalizationRegistry', 'WeakRef']) delete G[name];
delete Atomics.wait;
delete Atomics.waitAsync;
const refusing = (proto) => {
  const refuse = function () { throw new CodeGenerationError('Code generation from strings disallowed for this context'); };
  defineProperty(refuse, 'prototype', { value: proto, writable: false });
  return refuse;
};
const functionPrototypes = [Function.prototype, getPrototypeOf(function* () {}), getPrototypeOf(async function () {}), getPrototypeOf(async function* () {})];
for (const proto of functionPrototypes) defineProperty(proto, 'constructor', { value: refusing(proto), writable: false, configurable: false });
defineProperty(G, 'Function', { value: refusing(Function.prototype), writable: true, configurable: true });
defineProperty(G, 'eval', { value: refusing(Function.prototype), writable: true, configurable: true });

let state = 0;
defineProperty(Math, 'random', { writable: true, configurable: true, value: function random() {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = imul(t ^ (t >>> 15), t | 1);
  t ^= t + imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
} });

let printed = '';
let cut = false;
const show = (v) => {
  if (typeof v === 'string') return v;
  try { const json = stringify(v); return json === undefined ? toText(v) : json; } catch (_) {
    try { return toText(v); } catch (_) { return '[unprintable]'; }
  }
};
const print = function () {
  if (printed.length > maxConsole) { cut = true; return; }
  let line = '';
  for (let i = 0; i < arguments.length; i++) line += (i === 0 ? '' : ' ') + show(arguments[i]);
  // One huge line is cut here, so the buffer never holds much more than the cap.
  if (line.length > maxConsole) { line = apply(sliceText, line, [0, maxConsole + 1]); cut = true; }
  printed += line + '\n';
};
G.console = { log: print, info: print, warn: print, error: print, debug: print, trace: print, dir: print, table: print };

const clip = (text) => text.length > MAX_DESCRIPTION ? apply(sliceText, text, [0, MAX_DESCRIPTION]) + '…' : text;
// ' (program.js line N)' for the first frame of the candidate's file in a stack, else ''.
const lineIn = (stack) => {
  if (typeof stack !== 'string') return '';
  const key = filename + ':';
  for (let from = 0; ;) {
    const at = apply(indexOf, stack, [key, from]);
    if (at < 0) return '';
    let line = 0, digits = 0;
    for (let i = at + key.length; i < stack.length && digits < 9; i++, digits++) {
      const c = apply(charCodeAt, stack, [i]);
      if (c < 48 || c > 57) break;
      line = line * 10 + (c - 48);
    }
    if (digits > 0) return ' (' + filename + ' line ' + line + ')';
    from = at + 1;
  }
};
// Always a string: every value read from the thrown object is read once and turned into text here.
const describe = (e) => {
  try {
    if (typeof e === 'function') return 'threw a function, not an Error';
    if (e === null || typeof e !== 'object') {
      return 'threw ' + (typeof e === 'string' ? clip(stringify(e)) : typeof e === 'symbol' ? 'a symbol' : toText(e)) + ', not an Error';
    }
    const name = e.name;
    const message = e.message;
    if (typeof name !== 'string' && typeof message !== 'string') {
      let json;
      try { json = stringify(e); } catch (_) { json = undefined; }
      return 'threw ' + (typeof json === 'string' ? clip(json) : 'an object') + ', not an Error';
    }
    const head = toText(name || 'Error');
    const text = clip(message === undefined || message === '' ? head : head + ': ' + toText(message)) + lineIn(e.stack);
    return typeof text === 'string' ? text : 'threw a value that cannot be described';
  } catch (_) {
    return 'threw a value that cannot be described';
  }
};

// The record as JSON text: stringify of a string primitive looks up no toJSON, and + on strings calls nothing.
const record = (kind, text, json) => {
  const kept = printed.length > maxConsole ? apply(sliceText, printed, [0, maxConsole]) : printed;
  return '[' + stringify(kind) + ',' + stringify(text) + ',' + stringify(json) + ',' + stringify(kept) + ',' +
    (cut || printed.length > maxConsole ? 'true' : 'false') + ']';
};
const threw = (e) => record('threw', describe(e), '');

const STOP = {};
const MapProto = Map.prototype, SetProto = Set.prototype, BufferProto = ArrayBuffer.prototype;
const SharedProto = SharedArrayBuffer.prototype, DataViewProto = DataView.prototype;
const kindOf = (v) => typeof v === 'bigint' ? 'a bigint' : typeof v === 'symbol' ? 'a symbol' : 'a function';
// JSON with a running lower bound on its length, so a huge result stops early instead of filling
// the heap; what JSON would silently lose either travels tagged or is refused, naming its key.
// The candidate's result is read here once (its getters, toJSON and proxy traps run once, inside
// the limits); the host parses the text and never sees the object.
const encode = (value, maxResult) => {
  let size = 0;
  let refused = '';
  let top = true;
  const refuse = (atTop, key, what) => {
    refused = what + (atTop ? '' : ' at key ' + stringify(toText(key)));
    throw STOP;
  };
  const replacer = function (key, v) {
    const atTop = top;
    top = false;
    const inArray = !atTop && isArray(this);
    if (!inArray) size += key.length + 3;
    switch (typeof v) {
      case 'string': size += v.length + 2; break;
      case 'number':
        if (!isFiniteNumber(v)) return { [TAG]: v !== v ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity' };
        size += 1;
        break;
      case 'undefined': return inArray || atTop ? { [TAG]: 'undefined' } : undefined;
      case 'function': case 'symbol': case 'bigint': return refuse(atTop, key, kindOf(v));
      case 'object': {
        if (v === null) break;
        const proto = getPrototypeOf(v);
        if (proto === DataViewProto) return refuse(atTop, key, 'a DataView');
        if (isView(v)) return arrayFrom(v);
        if (proto === MapProto || proto === SetProto || proto === BufferProto || proto === SharedProto) {
          return refuse(atTop, key, 'a Map, Set or ArrayBuffer (return plain arrays and objects)');
        }
        size += 2;
        break;
      }
    }
    if (size > maxResult) throw STOP;
    return v;
  };
  let json;
  try {
    json = stringify(value, replacer);
  } catch (e) {
    if (e !== STOP) return record('no-result', describe(e), '');
    return refused !== '' ? record('no-result', refused, '') : record('too-large', toText(size), '');
  }
  if (typeof json !== 'string') return record('no-result', 'the result has no JSON form', '');
  return json.length > maxResult ? record('too-large', toText(json.length), '') : record('ok', '', json);
};

// Whether v is a promise of this context (or of a subclass): only those are waited for.
const isPromise = (v) => {
  if (v === null || typeof v !== 'object') return false;
  for (let p = getPrototypeOf(v); p !== null; p = getPrototypeOf(p)) if (p === PromiseProto) return true;
  return false;
};

return function prepare(harness, args, maxResult, seed, consoleCap, file, grantNames, ...grants) {
  state = seed >>> 0;
  maxConsole = consoleCap;
  filename = file;
  const names = grantNames === '' ? [] : apply(split, grantNames, [',']);
  for (let i = 0; i < names.length; i++) G[names[i]] = grants[i];
  // Copied now, before any of the candidate's text has run (see the invariant above).
  const count = args.length;
  const plain = [];
  const list = [undefined];
  for (let i = 0; i < count; i++) {
    plain[i] = args[i];
    list[i + 1] = args[i];
  }
  return function run(load) {
    let out;
    try {
      const entry = load();
      if (harness === undefined) {
        if (typeof entry !== 'function') return record('no-entry', '', '');
        out = apply(entry, undefined, plain);
      } else {
        list[0] = entry;
        out = apply(harness, undefined, list);
      }
      if (!isPromise(out)) return encode(out, maxResult);
    } catch (e) {
      return threw(e);
    }
    return new RunnerPromise((resolve) => {
      try {
        apply(promiseThen, out, [(v) => { resolve(encode(v, maxResult)); }, (e) => { resolve(threw(e)); }]);
      } catch (e) {
        resolve(threw(e));
      }
    });
  };
};
})()`;

/** Names a candidate may use as its entry and a problem as a grant: plain identifiers, not reserved words. */
export const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
export const RESERVED = new Set(('arguments await break case catch class const continue debugger default delete do else enum eval export ' +
  'extends false finally for function if implements import in instanceof interface let new null package private protected public ' +
  'return static super switch this throw true try typeof var void while with yield').split(' '));

/**
 * The candidate as a script whose completion value is its loader: a strict function holding the
 * program as its body (so top-level declarations stay local and a throw while loading is caught by
 * the runner) that returns the entry by name, or undefined. The prefix is one line and the host
 * compiles with lineOffset -1, so line numbers in messages are program lines; an error reported
 * past the last program line is in the suffix, i.e. the program left something open.
 */
export function wrapCandidate(code: string, entry: string): string {
  return `(function () { 'use strict';\n${code}\n;return typeof ${entry} === 'function' ? ${entry} : undefined;\n})`;
}
