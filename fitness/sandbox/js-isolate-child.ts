// The isolate host: a child process that runs one calling thread's isolates (started by js-isolate-host.ts), so that V8 aborting over a candidate ends this process, not the search.
import { readSync, writeSync } from 'node:fs';
import { markIsolateHostProcess, runInIsolate } from './js-isolate.js';
import { onWedgedIsolate } from './js-isolate-limits.js';
import { grantRequest, parseGrantReply, toWire, type CallerMessage, type CallMessage, type HostMessage } from './js-isolate-wire.js';

/** Grant requests go out on stdout, answers come in on stdin (see js-isolate-wire.ts). */
const GRANT_OUT = 1;
const GRANT_IN = 0;

/**
 * Ends this process at once. SIGKILL rather than exit(): an isolate may be running a candidate on
 * isolated-vm's threads, and nothing here is worth flushing.
 */
function end(): never {
  process.kill(process.pid, 'SIGKILL');
  throw new Error('unreachable');
}

markIsolateHostProcess();
// An isolate that did not stop when disposed keeps a thread of this process spinning for good (and
// would make exit() hang): the caller stops sending calls here and kills this process once the
// calls still running in it have ended (js-isolate-host.ts).
onWedgedIsolate(() => send({ kind: 'wedged' }));
// The calling thread is gone (it ended, was terminated, or its process died): so is the reason to live.
process.on('disconnect', end);
process.on('message', (message: CallerMessage) => {
  if (message.kind === 'ping') send({ kind: 'pong' });
  else void serve(message);
});

async function serve({ id, options, grantNames }: CallMessage): Promise<void> {
  const grants = Object.fromEntries(grantNames.map((name, index) => [name, (...args: unknown[]) => callGrant(id, index, args)]));
  let reply: HostMessage;
  try {
    reply = { kind: 'done', id, result: await runInIsolate({ ...options, grants, host: 'thread' }) };
  } catch (error) {
    reply = { kind: 'failed', id, error: toWire(error) };
  }
  send(reply);
}

function send(message: HostMessage): void {
  try {
    process.send?.(message, undefined, {}, () => undefined);
  } catch (error) {
    // Not expected (results are plain data); the caller must still hear of the call.
    if (message.kind === 'ready' || message.kind === 'pong' || message.kind === 'wedged') throw error;
    process.send?.({ kind: 'failed', id: message.id, error: toWire(error) }, undefined, {}, () => undefined);
  }
}

function callGrant(id: number, index: number, args: unknown[]): unknown {
  writeAll(GRANT_OUT, Buffer.from(grantRequest(id, index, args), 'latin1'));
  return parseGrantReply(readLine(GRANT_IN));
}

/** For retries after EAGAIN, in case a descriptor was left non-blocking. */
const pause = new Int32Array(new SharedArrayBuffer(4));

function writeAll(fd: number, bytes: Buffer): void {
  let done = 0;
  while (done < bytes.length) {
    try {
      done += writeSync(fd, bytes, done, bytes.length - done);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') end();
      Atomics.wait(pause, 0, 0, 1);
    }
  }
}

let leftover = Buffer.alloc(0);

/** One line from `fd`, blocking; the end of the input means the calling thread is gone. */
function readLine(fd: number): string {
  const chunks = [leftover];
  let newline = leftover.indexOf(10);
  const buffer = Buffer.allocUnsafe(64 * 1024);
  while (newline < 0) {
    let n = 0;
    try {
      n = readSync(fd, buffer, 0, buffer.length, null);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') end();
      Atomics.wait(pause, 0, 0, 1);
      continue;
    }
    if (n === 0) end();
    const chunk = Buffer.from(buffer.subarray(0, n));
    const at = chunk.indexOf(10);
    if (at >= 0) newline = chunks.reduce((size, c) => size + c.length, 0) + at;
    chunks.push(chunk);
  }
  const all = Buffer.concat(chunks);
  leftover = all.subarray(newline + 1);
  return all.subarray(0, newline).toString('latin1');
}

send({ kind: 'ready', pid: process.pid });
