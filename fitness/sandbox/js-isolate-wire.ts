// What a calling thread and its isolate host (js-isolate-host.ts, js-isolate-child.ts) say to each other: messages over the IPC channel, and grant calls as lines over two pipes.
import { deserialize, serialize } from 'node:v8';
import type { IsolateOptions, IsolateResult } from './js-isolate-types.js';
import { SANDBOX_REASONS, SandboxError, type SandboxReason } from './sandbox-error.js';

/** One call as the host receives it: the options without the grants, which stay with the caller, whose names it gets instead. */
export interface CallMessage {
  kind: 'call';
  id: number;
  options: Omit<IsolateOptions, 'grants' | 'host'>;
  grantNames: string[];
}

/** What the caller sends: calls, and a ping when a call is overdue (js-isolate-host.ts). */
export type CallerMessage = CallMessage | { kind: 'ping' };

/**
 * What the host sends: once `ready` with its pid, then one `done` or `failed` per call, in any order,
 * a `pong` per ping, and `wedged` when an isolate in it could not be stopped (it must be replaced).
 */
export type HostMessage =
  | { kind: 'ready'; pid: number }
  | { kind: 'pong' }
  | { kind: 'wedged' }
  | { kind: 'done'; id: number; result: IsolateResult }
  | { kind: 'failed'; id: number; error: WireError };

/** An error as data: the host's SandboxErrors and TypeErrors become the same classes again in the caller. */
export interface WireError {
  name: string;
  message: string;
  reason?: string;
  output?: string;
}

export function toWire(error: unknown): WireError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const { reason, output } = error as { reason?: unknown; output?: unknown };
  return { name: error.name, message: error.message, ...(typeof reason === 'string' ? { reason } : {}), ...(typeof output === 'string' ? { output } : {}) };
}

export function fromWire(error: WireError): Error {
  const message = String(error?.message);
  if (error?.name === 'SandboxError' && SANDBOX_REASONS.includes(error.reason as SandboxReason)) {
    return new SandboxError(error.reason as SandboxReason, message, typeof error.output === 'string' ? error.output : '');
  }
  if (error?.name === 'TypeError') return new TypeError(message);
  const other = new Error(message);
  other.name = typeof error?.name === 'string' ? error.name : 'Error';
  return other;
}

/*
 * Grants are synchronous: the candidate waits inside the isolate while the host asks the calling
 * thread. The host writes `<call id> <grant index> <args>\n` to its stdout and reads the answer,
 * `1 <value>\n` or `0 <message>\n`, from its stdin with blocking reads; values are v8.serialize'd
 * (the structured clone the thread mode copies with) and base64-encoded, so a line holds no newline.
 * The host's JavaScript thread waits on each answer, so at most one grant call is in flight.
 */

export function grantRequest(id: number, index: number, args: unknown[]): string {
  return `${id} ${index} ${serialize(args).toString('base64')}\n`;
}

export function parseGrantRequest(line: string): { id: number; index: number; args: unknown[] } | null {
  const match = /^(\d+) (\d+) ([A-Za-z0-9+/=]*)$/.exec(line);
  if (match === null) return null;
  const args = deserialize(Buffer.from(match[3]!, 'base64')) as unknown;
  return { id: Number(match[1]), index: Number(match[2]), args: Array.isArray(args) ? args : [] };
}

/** Calls the grant and encodes what it returned or threw; never throws. */
export function grantReply(call: () => unknown): string {
  let value: unknown;
  try {
    value = call();
  } catch (error) {
    return `0 ${serialize(error instanceof Error ? error.message : String(error)).toString('base64')}\n`;
  }
  try {
    return `1 ${serialize(value).toString('base64')}\n`;
  } catch (error) {
    return `0 ${serialize(`the grant's result cannot be copied into the isolate: ${(error as Error).message}`).toString('base64')}\n`;
  }
}

/** The grant's value, or the Error it threw, raised again inside the host (and so inside the isolate). */
export function parseGrantReply(line: string): unknown {
  const ok = line.startsWith('1 ');
  if (!ok && !line.startsWith('0 ')) throw new Error('the calling thread sent no answer for the grant');
  const value = deserialize(Buffer.from(line.slice(2), 'base64')) as unknown;
  if (!ok) throw new Error(String(value));
  return value;
}
