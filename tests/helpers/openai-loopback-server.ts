// A real OpenAI-compatible HTTP server on 127.0.0.1, scripted per test, that records every request it receives.
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the server does with one request. `delayMs` waits before answering. */
export type Behaviour =
  | { answer: string; model?: string; promptTokens?: number; completionTokens?: number; delayMs?: number }
  | { status: number; message?: string; retryAfter?: string; delayMs?: number }
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
          send(res, 200, {
            id: `chatcmpl-loopback-${index}`, object: 'chat.completion', created: Math.floor(Date.now() / 1000),
            model: behaviour.model ?? body?.model ?? 'loopback',
            choices: [{ index: 0, message: { role: 'assistant', content: behaviour.answer }, finish_reason: 'stop', logprobs: null }],
            usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
          });
        } else {
          send(res, behaviour.status, { error: { message: behaviour.message ?? `scripted status ${behaviour.status}`, type: 'loopback_error' } },
            behaviour.retryAfter === undefined ? {} : { 'retry-after': behaviour.retryAfter });
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
    maxConcurrent: () => maxConcurrent,
    close: () => new Promise<void>((resolve) => {
      for (const timer of timers) clearTimeout(timer);
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
