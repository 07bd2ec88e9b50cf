// A stand-in OpenAI-compatible chat endpoint on 127.0.0.1 that answers edit prompts with random numeric tweaks: no model, no network.
import { realpathSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { composeAnswer, DEFAULT_TEMPERATURE, messageText, type AnswerRequest, type ChatMessage } from './mutating-answer.js';

export interface MutatingLlmOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Loopback only: the server is for this machine's tests and demos. */
  host?: '127.0.0.1';
  /** Fixed delay before each chat answer, success or error. Default 0. */
  latencyMs?: number;
  /** A further uniform random delay in [0, jitterMs). Default 0. */
  jitterMs?: number;
  /** Every Nth chat request (N, 2N, ...) answers 500, to show retries and failure handling. Default off. */
  failEvery?: number;
}

export interface MutatingLlmStats {
  /** Chat completion requests received, whatever their answer. */
  requests: number;
  /** The most chat requests in flight at one time. */
  maxConcurrent: number;
  /** Summed over successful answers, as reported in their `usage`. */
  promptTokens: number;
  completionTokens: number;
}

export interface MutatingLlm {
  /** http://127.0.0.1:PORT/v1, as the openai client and `--base-url` expect. */
  baseURL: string;
  stats(): MutatingLlmStats;
  /** Stops listening and cuts the connections, including answers still waiting out their latency. */
  close(): Promise<void>;
}

/** Listed by GET /v1/models; chat requests may name any model and get it back. */
export const MODEL_IDS = ['loopback-mutator', 'loopback-mutator-slow'] as const;
const MAX_BODY_CHARS = 32 * 1024 * 1024;

type Problem = { status: number; message: string; type: string; param?: string | null; code?: string | null };
type Parsed = { ok: true; request: AnswerRequest } | ({ ok: false } & Problem);

function checkOption(name: string, value: number | undefined, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < min || value > max) throw new RangeError(`${name}: must be an integer from ${min} to ${max} (got ${value})`);
}

function send(res: ServerResponse, status: number, payload: unknown): void {
  if (res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(payload));
}

function sendProblem(res: ServerResponse, problem: Problem): void {
  send(res, problem.status, { error: { message: problem.message, type: problem.type, param: problem.param ?? null, code: problem.code ?? null } });
}

function invalid(message: string, param: string | null, code: string | null = null): Parsed {
  return { ok: false, status: 400, message, type: 'invalid_request_error', param, code };
}

const isMessage = (value: unknown): value is ChatMessage =>
  typeof value === 'object' && value !== null && typeof (value as { role?: unknown }).role === 'string' && 'content' in value;

/** Reads a chat request the way the OpenAI API does, answering 400 for what it would refuse. */
function parseChatRequest(raw: string): Parsed {
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch (error) {
    return invalid(`We could not parse the JSON body of your request: ${(error as Error).message}`, null, 'invalid_json');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return invalid('The request body must be a JSON object.', null);
  const fields = body as Record<string, unknown>;
  if (fields.stream === true) return invalid('streaming not supported', 'stream');
  if (typeof fields.model !== 'string' || fields.model === '') return invalid('You must provide a model parameter.', 'model');
  const { messages } = fields;
  if (!Array.isArray(messages) || messages.length === 0 || !messages.every(isMessage)) {
    return invalid("'messages' must be a non-empty array of {role, content}.", 'messages');
  }
  const temperature = fields.temperature ?? DEFAULT_TEMPERATURE;
  if (typeof temperature !== 'number' || !(temperature >= 0 && temperature <= 2)) return invalid(`'temperature' must be a number from 0 to 2 (got ${JSON.stringify(temperature)}).`, 'temperature');
  const seed = fields.seed ?? null;
  if (seed !== null && !Number.isSafeInteger(seed)) return invalid(`'seed' must be an integer (got ${JSON.stringify(seed)}).`, 'seed');
  // Accepted for compatibility and otherwise ignored: answers are a few lines and never truncated.
  for (const name of ['max_tokens', 'max_completion_tokens']) {
    const value = fields[name];
    if (value != null && !(Number.isInteger(value) && (value as number) > 0)) return invalid(`'${name}' must be a positive integer (got ${JSON.stringify(value)}).`, name);
  }
  return { ok: true, request: { model: fields.model, temperature, seed: seed as number | null, messages } };
}

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    let raw = '';
    let tooLarge = false;
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      if (tooLarge) return; // keep draining so the 413 can be sent on a clean connection
      raw += chunk;
      if (raw.length > MAX_BODY_CHARS) { tooLarge = true; raw = ''; }
    });
    req.on('end', () => resolve(tooLarge ? undefined : raw));
    req.on('error', reject);
  });
}

export async function startMutatingLlm(options: MutatingLlmOptions = {}): Promise<MutatingLlm> {
  const { port = 0, host = '127.0.0.1', latencyMs = 0, jitterMs = 0, failEvery } = options;
  if (host !== '127.0.0.1') throw new RangeError(`host: only 127.0.0.1 is supported (got ${String(host)})`);
  checkOption('port', port, 0, 65535);
  checkOption('latencyMs', latencyMs, 0);
  checkOption('jitterMs', jitterMs, 0);
  checkOption('failEvery', failEvery, 1);

  const stats: MutatingLlmStats = { requests: 0, maxConcurrent: 0, promptTokens: 0, completionTokens: 0 };
  let inFlight = 0;
  let answered = 0;
  const timers = new Set<NodeJS.Timeout>();

  /** Runs `then` no earlier than `delayMs` after `since`; re-arms if a timer fires early, so measured latency is never below the setting. */
  const after = (since: number, delayMs: number, then: () => void): void => {
    const remaining = since + delayMs - performance.now();
    if (remaining <= 0) return then();
    const timer = setTimeout(() => { timers.delete(timer); after(since, delayMs, then); }, Math.ceil(remaining));
    timers.add(timer);
  };

  const answer = (res: ServerResponse, parsed: Parsed): void => {
    if (!parsed.ok) return sendProblem(res, parsed);
    const { request } = parsed;
    const content = composeAnswer(request);
    const promptChars = request.messages.reduce((sum, message) => sum + messageText(message).length, 0);
    const promptTokens = Math.ceil(promptChars / 4);
    const completionTokens = Math.ceil(content.length / 4);
    stats.promptTokens += promptTokens;
    stats.completionTokens += completionTokens;
    answered++;
    send(res, 200, {
      id: `chatcmpl-loopback-${answered}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: request.model,
      choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, logprobs: null, finish_reason: 'stop' }],
      usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
      system_fingerprint: 'loopback-mutator',
    });
  };

  const handleChat = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const arrivedAt = performance.now();
    const index = ++stats.requests;
    inFlight++;
    stats.maxConcurrent = Math.max(stats.maxConcurrent, inFlight);
    // 'close' fires once whether we answered or the client gave up, so the count cannot drift.
    res.on('close', () => { inFlight--; });
    const raw = await readBody(req);
    const delayMs = latencyMs + (jitterMs > 0 ? Math.floor(Math.random() * jitterMs) : 0);
    after(arrivedAt, delayMs, () => {
      if (failEvery !== undefined && index % failEvery === 0) {
        return sendProblem(res, { status: 500, message: `failing request ${index} on purpose (failEvery ${failEvery})`, type: 'server_error' });
      }
      if (raw === undefined) return sendProblem(res, { status: 413, message: 'The request body is too large.', type: 'invalid_request_error' });
      answer(res, parseChatRequest(raw));
    });
  };

  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'POST' && path === '/v1/chat/completions') {
      handleChat(req, res).catch(() => res.destroy());
    } else if (req.method === 'GET' && path === '/v1/models') {
      const created = Math.floor(Date.now() / 1000);
      send(res, 200, { object: 'list', data: MODEL_IDS.map((id) => ({ id, object: 'model', created, owned_by: 'ouroboros-loopback' })) });
    } else {
      req.resume();
      sendProblem(res, { status: 404, message: `Unknown request URL: ${req.method} ${path}.`, type: 'invalid_request_error', code: 'unknown_url' });
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => { server.off('error', reject); resolve(); });
  });
  const address = server.address() as AddressInfo;
  return {
    baseURL: `http://${host}:${address.port}/v1`,
    stats: () => ({ ...stats }),
    close: () => new Promise<void>((resolve) => {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

const USAGE = `usage: node --import=tsx examples/loopback-llm/mutating-llm-server.ts [options]
  --port N         port on 127.0.0.1 (default 8765; 0 picks a free one)
  --latency-ms N   fixed delay before each answer (default 0)
  --jitter-ms N    extra random delay in [0, N) (default 0)
  --fail-every N   every Nth chat request answers 500 (default off)`;

function integerFlag(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new RangeError(`--${name}: must be a non-negative integer (got ${value})`);
  return Number(value);
}

async function main(argv: string[]): Promise<void> {
  let llm: MutatingLlm;
  try {
    const { values } = parseArgs({
      args: argv,
      options: { port: { type: 'string' }, 'latency-ms': { type: 'string' }, 'jitter-ms': { type: 'string' }, 'fail-every': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
    if (values.help) { console.log(USAGE); return; }
    llm = await startMutatingLlm({
      port: integerFlag('port', values.port) ?? 8765,
      latencyMs: integerFlag('latency-ms', values['latency-ms']),
      jitterMs: integerFlag('jitter-ms', values['jitter-ms']),
      failEvery: integerFlag('fail-every', values['fail-every']),
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    console.error(`loopback LLM: ${(error as Error).message}${code === 'EADDRINUSE' ? ' (try another --port, or 0)' : `\n${USAGE}`}`);
    process.exitCode = code === 'EADDRINUSE' ? 1 : 2;
    return;
  }
  console.log(`loopback LLM listening on ${llm.baseURL}`);
  const stop = (signal: NodeJS.Signals): void => {
    void llm.close().then(() => {
      const { requests, promptTokens, completionTokens } = llm.stats();
      console.error(`loopback LLM stopped on ${signal} after ${requests} requests (${promptTokens} prompt, ${completionTokens} completion tokens)`);
    });
  };
  // Once each: with the server closed nothing else holds the event loop, so the process ends with code 0.
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

function isEntryPoint(): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) await main(process.argv.slice(2));
