// Reads the runner's record on the host: one string of JSON text, parsed and checked field by field here, with every cap applied again, never trusting what the isolate says about itself.
import { SandboxError } from './sandbox-error.js';
import { MAX_DESCRIPTION, NON_JSON_TAG, RECORD_KINDS, type RecordKind } from './js-isolate-prelude.js';
import type { Limits } from './js-isolate-limits.js';
import type { IsolateResult } from './js-isolate-types.js';

/**
 * Deepest nesting of arrays and objects a result may have. The host checks it on the JSON text
 * before parsing, so a result nested deeper than the host's parser (or anything that walks the
 * value afterwards) can go is `no-result` with a reason, whatever the stack size of the thread.
 */
export const MAX_RESULT_DEPTH = 256;

/** Longest description the host keeps: the runner's own cut (MAX_DESCRIPTION) plus room for the line it names. */
const MAX_TEXT = MAX_DESCRIPTION + 200;

/**
 * The record turned into the result, or into the SandboxError it stands for. `raw` is whatever
 * the runner's call gave back: only a string holding a well-formed record is one. Every text the
 * record carries is cut on this side too: the description at MAX_TEXT characters, the
 * console at maxConsoleBytes, the result at maxResultBytes and MAX_RESULT_DEPTH.
 */
export function decodeRecord(raw: unknown, entry: string, limits: Limits, cpuMs: number, wallMs: number): IsolateResult {
  const { filename } = limits;
  const record = parseRecord(raw);
  if (record === null) throw new SandboxError('crashed', `the isolate running ${filename} returned no well-formed record`);
  const [kind, rawText, json, printedRaw, cutInside] = record;
  const text = clipChars(rawText, MAX_TEXT);
  const printed = clipBytes(printedRaw, limits.maxConsoleBytes);
  const console = printed.cut || cutInside ? `${printed.text}[console output cut at ${limits.maxConsoleBytes} bytes]\n` : printed.text;
  switch (kind) {
    case 'ok': break;
    case 'threw': throw new SandboxError('threw', `${filename} failed: ${text}`, console);
    case 'no-entry': throw new SandboxError('no-result', `${filename} defines no function ${entry}()`, console);
    case 'no-result': throw new SandboxError('no-result', `${filename}: the result cannot be copied out of the isolate: ${text}`, console);
    case 'too-large': throw tooLarge(filename, limits.maxResultBytes, Number(text), console);
  }
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes > limits.maxResultBytes) throw tooLarge(filename, limits.maxResultBytes, bytes, console);
  const depth = nestingDepth(json);
  if (depth > MAX_RESULT_DEPTH) {
    throw new SandboxError('no-result', `${filename}: the result cannot be copied out of the isolate: it is nested ${depth} levels deep, more than the ${MAX_RESULT_DEPTH} allowed`, console);
  }
  let value: unknown;
  try {
    value = JSON.parse(json, revive);
  } catch (error) {
    if (error instanceof RangeError) {
      throw new SandboxError('no-result', `${filename}: the result cannot be copied out of the isolate: it is nested too deep for the host's JSON parser`, console);
    }
    throw new SandboxError('crashed', `the isolate running ${filename} returned a result that is not JSON`, console);
  }
  return { value, console, cpuMs, wallMs };
}

/** The record's five fields, each of its type, or null for anything else. */
function parseRecord(raw: unknown): [RecordKind, string, string, string, boolean] | null {
  if (typeof raw !== 'string') return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return null;
  }
  if (!Array.isArray(parsed) || parsed.length !== 5) return null;
  const [kind, text, json, printed, cut] = parsed as unknown[];
  if (!RECORD_KINDS.includes(kind as RecordKind)) return null;
  if (typeof text !== 'string' || typeof json !== 'string' || typeof printed !== 'string' || typeof cut !== 'boolean') return null;
  return [kind as RecordKind, text, json, printed, cut];
}

function tooLarge(filename: string, max: number, atLeast: number, console: string): SandboxError {
  const size = Number.isFinite(atLeast) ? atLeast : max + 1;
  return new SandboxError('output-too-large', `${filename} returned a result of at least ${size} bytes of JSON, over the ${max}-byte limit`, console);
}

/** The deepest nesting of brackets in JSON text, outside strings; linear in its length. */
export function nestingDepth(json: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // a backslash escapes the next character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > deepest) deepest = depth;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return deepest;
}

const NON_JSON: Record<string, unknown> = { NaN: Number.NaN, Infinity: Number.POSITIVE_INFINITY, '-Infinity': Number.NEGATIVE_INFINITY, undefined };

/** JSON.parse reviver undoing the runner's tags (see NON_JSON_TAG). */
function revive(_key: string, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const keys = Object.keys(value);
  if (keys.length !== 1 || keys[0] !== NON_JSON_TAG) return value;
  const tag = (value as Record<string, unknown>)[NON_JSON_TAG];
  return typeof tag === 'string' && Object.hasOwn(NON_JSON, tag) ? NON_JSON[tag] : value;
}

/** `text` cut to at most `max` characters (and an ellipsis), never inside a surrogate pair. */
export function clipChars(text: string, max: number): string {
  if (text.length <= max) return text;
  const end = /[\uD800-\uDBFF]/.test(text.charAt(max - 1)) ? max - 1 : max;
  return `${text.slice(0, end)}…`;
}

/** `text` cut to at most `max` UTF-8 bytes, at a character boundary. */
function clipBytes(text: string, max: number): { text: string; cut: boolean } {
  if (Buffer.byteLength(text, 'utf8') <= max) return { text, cut: false };
  const bytes = Buffer.from(text, 'utf8').subarray(0, max);
  return { text: new TextDecoder('utf-8', { fatal: false }).decode(bytes).replace(/\uFFFD$/, ''), cut: true };
}
