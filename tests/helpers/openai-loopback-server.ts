// A real OpenAI-compatible HTTP server on 127.0.0.1, scripted per test, that records every request it receives.
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * What the server does with one request. `delayMs` waits before answering.
 * - answer: a chat completion; `answer: null` sends `content: null` (with `refusal` or `toolCalls`, or alone).
 * - status: an error status with an OpenAI-style error object (`code`, `param` as OpenAI sends them).
 * - raw: exactly this body, with this status (200) and content type (application/json).
 * - truncate: announces a longer body, sends this much of it, then cuts the connection.
 */
export type Behaviour =
  | {
    answer: string | null; model?: string; promptTokens?: number; completionTokens?: number; delayMs?: number;
    finishReason?: string | null; refusal?: string; toolCalls?: Array<{ name: string; arguments: string }>;
  }
  | { status: number; message?: string; code?: string; param?: string; retryAfter?: string; delayMs?: number }
  | { raw: string; status?: number; contentType?: string; delayMs?: number }
  | { truncate: string; contentType?: string; delayMs?: number }
  | { hang: true };

/** A queue (taken in order; `fallback` once it is empty) or a function of the request's index. */
export type Script = Behaviour[] | ((index: number, body: any) => Behaviour);

export interface RecordedRequest {
  index: number;
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: any;
  /** performance.now() when the request's body had arrived. */
  receivedAt: number;
}

export interface LoopbackServer {
  /** Ends with /v1, as the openai client expects. */
  baseURL: string;
  requests: RecordedRequest[];
  /** Resolves once the server has received `count` requests (their bodies included): a test acts on an event, not on a delay. */
  waitForRequests(count: number): Promise<void>;
  /** The most chat requests the server was handling at one time. */
  maxConcurrent(): number;
  /** Stops the server, cutting any hanging or delayed answers. */
  close(): Promise<void>;
}

const defaultAnswer: Behaviour = { answer: 'ok' };

export async function startOpenAiLoopback(script: Script = [], fallback: Behaviour = defaultAnswer): Promise<LoopbackServer> {
  const requests: RecordedRequest[] = [];
  let inFlight = 0;
  let maxConcurrent = 0;
  const timers = new Set<NodeJS.Timeout>();
  const waiters: Array<{ count: number; resolve: () => void }> = [];

  const next = (index: number, body: any): Behaviour =>
    typeof script === 'function' ? script(index, body) : script.shift() ?? fallback;

  const send = (res: ServerResponse, status: number, payload: unknown, headers: Record<string, string> = {}) => {
    if (res.destroyed) return;
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(payload));
  };

  const server = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => { raw += chunk; });
    req.on('end', () => {
      let body: any = null;
      try { body = raw ? JSON.parse(raw) : null; } catch { body = raw; }
      const index = requests.length;
      requests.push({ index, method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, receivedAt: performance.now() });
      for (const w of waiters.filter((w) => requests.length >= w.count)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
      if (req.method !== 'POST' || !req.url?.endsWith('/v1/chat/completions')) {
        send(res, 404, { error: { message: `no route ${req.method} ${req.url}`, type: 'invalid_request_error' } });
        return;
      }
      inFlight++;
      maxConcurrent = Math.max(maxConcurrent, inFlight);
      // 'close' fires once whether we answered or the client gave up, so the count cannot drift.
      res.on('close', () => { inFlight--; });
      const behaviour = next(index, body);
      if ('hang' in behaviour) return;
      const respond = () => {
        if ('answer' in behaviour) {
          const promptTokens = behaviour.promptTokens ?? 11;
          const completionTokens = behaviour.completionTokens ?? 7;
          const toolCalls = behaviour.toolCalls?.map((c, k) => ({ id: `call_${k}`, type: 'function', function: c }));
          const message = { role: 'assistant', content: behaviour.answer, refusal: behaviour.refusal ?? null, ...(toolCalls ? { tool_calls: toolCalls } : {}) };
          send(res, 200, {
            id: `chatcmpl-loopback-${index}`, object: 'chat.completion', created: Math.floor(Date.now() / 1000),
            model: behaviour.model ?? body?.model ?? 'loopback',
            choices: [{ index: 0, message, finish_reason: behaviour.finishReason === undefined ? 'stop' : behaviour.finishReason, logprobs: null }],
            usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
          });
        } else if ('raw' in behaviour) {
          if (res.destroyed) return;
          res.writeHead(behaviour.status ?? 200, { 'content-type': behaviour.contentType ?? 'application/json' });
          res.end(behaviour.raw);
        } else if ('truncate' in behaviour) {
          if (res.destroyed) return;
          const sent = Buffer.from(behaviour.truncate);
          res.writeHead(200, { 'content-type': behaviour.contentType ?? 'application/json', 'content-length': String(sent.length + 1000) });
          res.write(sent, () => res.destroy());
        } else {
          const error = { message: behaviour.message ?? `scripted status ${behaviour.status}`, type: 'loopback_error', param: behaviour.param ?? null, code: behaviour.code ?? null };
          send(res, behaviour.status, { error }, behaviour.retryAfter === undefined ? {} : { 'retry-after': behaviour.retryAfter });
        }
      };
      if (!behaviour.delayMs) return respond();
      const timer = setTimeout(() => { timers.delete(timer); respond(); }, behaviour.delayMs);
      timers.add(timer);
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    waitForRequests: (count) => new Promise<void>((resolve) => {
      if (requests.length >= count) resolve();
      else waiters.push({ count, resolve });
    }),
    maxConcurrent: () => maxConcurrent,
    close: () => new Promise<void>((resolve) => {
      for (const timer of timers) clearTimeout(timer);
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
