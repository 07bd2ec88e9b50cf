// Runs a variant's program.js in a fresh node:vm context under a CPU time limit; only a JSON string comes back.
import vm from 'node:vm';
import { types } from 'node:util';

export interface SandboxOptions {
  /** Top-level functions of program.js handed to the harness, by name (e.g. ['pack']). */
  exports: readonly string[];
  /**
   * Source of a function expression `function (exported) { ... }` run in the same context after
   * the program has loaded; `exported` holds the named functions (undefined when not defined).
   * Its return value must survive JSON.stringify.
   */
  harness: string;
  /** CPU limit for loading the program and running the harness, together. */
  timeoutMs: number;
  /** Seeds the context's Math.random, so a program that uses it is still deterministic. */
  seed: number;
}

export interface SandboxResult {
  /** What the harness returned, parsed on this side of the boundary. */
  value: unknown;
  /** Lines the program printed with console.log and friends (first 20, each cut to 200 characters). */
  console: string[];
}

/** Longest error text quoted from the program, so a runaway message cannot flood the prompt. */
const MAX_MESSAGE = 300;

/**
 * The script around the program. The program runs inside a strict function of its own, so its
 * top-level declarations stay local and a throw at load time is caught; the harness is a sibling
 * function, so the program cannot name the harness's data. Everything that reads program-made
 * objects (errors included) runs inside the context, under the time limit; the host only ever
 * receives a string. The prefix is one line so that line numbers in messages match program.js.
 */
function wrap(code: string, options: SandboxOptions): { source: string; prefixLines: number } {
  const exported = options.exports.map((n) => `${JSON.stringify(n)}: typeof ${n} === 'function' ? ${n} : undefined`).join(', ');
  const prefix = [
    '(function () {',
    "'use strict';",
    'const __lines = [];',
    "const __show = (v) => { try { return typeof v === 'string' ? v : JSON.stringify(v) ?? String(v); } catch (_) { return String(v); } };",
    "const __print = (...args) => { if (__lines.length < 20) __lines.push(args.map(__show).join(' ').slice(0, 200)); };",
    'const console = { log: __print, info: __print, warn: __print, error: __print, debug: __print };',
    `let __state = ${options.seed >>> 0};`,
    // mulberry32, as in the evaluator's own PRNG: Math.random becomes a pure function of the seed.
    'Math.random = () => { __state = (__state + 0x6d2b79f5) >>> 0; let t = __state; t = Math.imul(t ^ (t >>> 15), t | 1);',
    ' t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };',
    'const __describe = (e) => { try {',
    "  if (e === null || (typeof e !== 'object' && typeof e !== 'function')) return 'threw ' + String(e);",
    "  const where = /program\\.js:(\\d+)/.exec(String(e.stack));",
    "  return String(e.name || 'Error') + ': ' + String(e.message) + (where ? ' (program.js line ' + where[1] + ')' : '');",
    "} catch (_) { return 'threw something that cannot be described'; } };",
    'let __exported;',
    'try { __exported = (function () {',
  ].join(' ');
  const suffix = [
    `\n;return { ${exported} };`,
    '})(); } catch (e) { return JSON.stringify({ error: __describe(e), console: __lines }); }',
    `try { return JSON.stringify({ value: (${options.harness})(__exported), console: __lines }); }`,
    'catch (e) { return JSON.stringify({ error: __describe(e), console: __lines }); }',
    '})()',
  ].join('\n');
  return { source: `${prefix}\n${code}${suffix}`, prefixLines: 1 };
}

/**
 * Runs `code` and the harness in a new context that holds only the JavaScript built-ins (no
 * require, process, timers or Date; eval and WebAssembly are disabled). Throws an Error whose
 * message says what went wrong: a syntax error, a throw from the program or the harness, or the
 * time limit. Promise callbacks run before the call returns, under the same limit.
 */
export function runProgram(code: string, options: SandboxOptions): SandboxResult {
  const { source, prefixLines } = wrap(code, options);
  let script: vm.Script;
  try {
    script = new vm.Script(source, { filename: 'program.js', lineOffset: -prefixLines });
  } catch (error) {
    const line = Number(/program\.js:(-?\d+)/.exec(String((error as Error).stack))?.[1]);
    // An error past the program's last line is in the wrapper: the program left something open.
    const where = !Number.isFinite(line) ? '' : line > code.split('\n').length ? ' at the end of the file (is a bracket left open?)' : ` (line ${line})`;
    throw new Error(`program.js does not parse: ${(error as Error).message}${where}`);
  }
  const context = vm.createContext(Object.create(null), { codeGeneration: { strings: false, wasm: false }, microtaskMode: 'afterEvaluate' });
  vm.runInContext('delete globalThis.Date;', context);
  let raw: unknown;
  try {
    raw = script.runInContext(context, { timeout: options.timeoutMs });
  } catch (error) {
    if (isTimeout(error)) throw new Error(`program.js ran past the ${options.timeoutMs} ms time limit (an endless loop, or far too much work)`);
    // Only a program that broke the harness's own error handling gets here; its thrown value is
    // not inspected, because reading it could run program code outside the time limit.
    throw new Error('program.js threw past the evaluation harness (did it replace a built-in such as JSON.stringify?)');
  }
  if (typeof raw !== 'string') throw new Error('program.js interfered with the evaluation harness: it returned no result text');
  let parsed: unknown;
  try { parsed = JSON.parse(raw); } catch { throw new Error('program.js interfered with the evaluation harness: its result text is not JSON'); }
  const record = (parsed ?? {}) as { error?: unknown; value?: unknown; console?: unknown };
  if (typeof record.error === 'string') throw new Error(`program.js failed: ${clip(record.error)}`);
  const lines = Array.isArray(record.console) ? record.console.filter((l): l is string => typeof l === 'string').slice(0, 20) : [];
  return { value: record.value, console: lines };
}

function isTimeout(error: unknown): boolean {
  // Checks the own data property only: a getter or a proxy trap would run program code unguarded.
  if (!types.isNativeError(error) || types.isProxy(error)) return false;
  return Object.getOwnPropertyDescriptor(error, 'code')?.value === 'ERR_SCRIPT_EXECUTION_TIMEOUT';
}

function clip(text: string): string {
  return text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE)}…` : text;
}
