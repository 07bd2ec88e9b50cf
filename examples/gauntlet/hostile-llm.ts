// A loopback "LLM" for the gauntlet: answers rewrite prompts with the hostile candidates of tests/hostile-corpus/, and sometimes with an honest fix.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

export interface HostileLlmOptions {
  /** tests/hostile-corpus/, holding corpus.json and the candidates. */
  corpusDir: string;
  /** Placeholder -> value, applied to every candidate (the canaries' paths and port). */
  substitutions?: Record<string, string>;
  /** Share of answers that are honest, correct programs (default 0.35), so that the search has something to keep. */
  honestShare?: number;
}

export interface HostileLlm {
  /** Ends with /v1. */
  baseURL: string;
  stats(): { requests: number; hostile: Record<string, number>; honest: number };
  /** Every request body received, as text (what the engine showed the "LLM"). */
  requestsText(): string;
  close(): Promise<void>;
}

/** Correct programs; a comment of varying length spreads them over the archive's code-length cells. */
const HONEST_JS = `function summarize(values) {
  if (values.length === 0) return { count: 0, min: null, max: null, mean: null, median: null };
  const sorted = values.slice().sort((a, b) => a - b);
  const n = sorted.length;
  const mid = n >> 1;
  let sum = 0;
  for (const v of sorted) sum += v;
  return { count: n, min: sorted[0], max: sorted[n - 1], mean: sum / n, median: n % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2 };
}
`;
const HONEST_PY = `import json
import sys


def summarize(values):
    if not values:
        return {"count": 0, "min": None, "max": None, "mean": None, "median": None}
    s = sorted(values)
    n = len(s)
    mid = n // 2
    median = s[mid] if n % 2 else (s[mid - 1] + s[mid]) / 2
    return {"count": n, "min": s[0], "max": s[-1], "mean": sum(s) / n, "median": median}


print(json.dumps([summarize(c) for c in json.load(sys.stdin)["cases"]]))
`;

interface Entry { file: string }

function send(res: ServerResponse, status: number, payload: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(payload));
}

export async function startHostileLlm(options: HostileLlmOptions): Promise<HostileLlm> {
  const { entries } = JSON.parse(readFileSync(join(options.corpusDir, 'corpus.json'), 'utf8')) as { entries: Entry[] };
  const fill = (text: string) => Object.entries(options.substitutions ?? {}).reduce((t, [k, v]) => t.replaceAll(k, v), text);
  const candidates = entries.map((e) => ({ name: e.file, target: e.file.endsWith('.js') ? 'program.js' : 'solve.py', text: fill(readFileSync(join(options.corpusDir, e.file), 'utf8')) }));
  const honestShare = options.honestShare ?? 0.35;
  let requests = 0;
  const bodies: string[] = [];
  let honest = 0;
  const hostile: Record<string, number> = {};

  const answer = (body: { seed?: unknown; messages?: Array<{ content?: unknown }> }): string => {
    // A pure function of the request, so a replay or a resume gets the same answer. The engine sends a seed drawn
    // from the iteration's generator with every request: when there is one it alone picks the answer, since the
    // prompt quotes earlier failures whose reason may depend on the machine's load (an allocation stopped by its
    // memory or its CPU limit), and which attacks a search meets should not.
    const key = typeof body.seed === 'number' ? [body.seed] : [null, body.messages ?? []];
    const digest = createHash('sha256').update(JSON.stringify(key)).digest();
    const pick = digest.readUInt32BE(0);
    if (pick / 2 ** 32 < honestShare) {
      honest++;
      const padding = `${'#'.repeat(1 + (digest[4]! % 60))}\n`.repeat(digest[5]! % 12);
      return digest[6]! % 2 === 0
        ? `Fixed the median and empty lists.\n<file path="program.js">\n// ${padding.replaceAll('\n', '\n// ')}\n${HONEST_JS}</file>\n`
        : `Fixed the median and empty lists.\n<file path="solve.py">\n${padding}${HONEST_PY}</file>\n`;
    }
    const c = candidates[digest.readUInt32BE(8) % candidates.length]!;
    hostile[c.name] = (hostile[c.name] ?? 0) + 1;
    return `A faster version.\n<file path="${c.target}">\n${c.text}</file>\n`;
  };

  const server = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => { raw += chunk; });
    req.on('end', () => {
      if (req.method === 'GET' && req.url?.endsWith('/v1/models')) return send(res, 200, { object: 'list', data: [{ id: 'hostile-rewriter', object: 'model', owned_by: 'ouroboros' }] });
      if (req.method !== 'POST' || !req.url?.endsWith('/v1/chat/completions')) return send(res, 404, { error: { message: `no route ${req.method} ${req.url}`, type: 'invalid_request_error' } });
      let body: { model?: string; seed?: unknown; messages?: Array<{ content?: unknown }> };
      try { body = JSON.parse(raw); } catch { return send(res, 400, { error: { message: 'the body is not JSON', type: 'invalid_request_error' } }); }
      requests++;
      bodies.push(raw);
      const content = answer(body);
      const promptTokens = Math.ceil(raw.length / 4);
      const completionTokens = Math.ceil(content.length / 4);
      send(res, 200, {
        id: `chatcmpl-${requests}`, object: 'chat.completion', created: 0, model: body.model ?? 'hostile-rewriter',
        choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
        usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    stats: () => ({ requests, hostile: { ...hostile }, honest }),
    requestsText: () => bodies.join('\n'),
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
