// The LlmClient the client tests talk to a loopback server with: its key, a prompt, its default options, and a server for one test.
import { LlmClient, type LlmClientOptions } from '../../operators/llm/llm-client.js';
import { startOpenAiLoopback, type Behaviour, type LoopbackServer, type Script } from './openai-loopback-server.js';

export const apiKey = 'sk-loopback-Zq9x-DO-NOT-LEAK-4f1e';
export const messages = [{ role: 'user' as const, content: 'Improve this function.' }];

export function clientFor(server: LoopbackServer, options: Partial<LlmClientOptions> = {}): LlmClient {
  return new LlmClient({
    baseURL: server.baseURL, apiKey, model: 'loop-model', temperature: 0.7, maxTokens: 256,
    requestTimeoutMs: 5_000, maxRetries: 2, maxInFlight: 4, consecutiveFailureLimit: 5, baseDelayMs: 10,
    ...options,
  });
}

export async function withServer(script: Script, run: (server: LoopbackServer) => Promise<void>, fallback?: Behaviour): Promise<void> {
  const server = await startOpenAiLoopback(script, fallback);
  try {
    await run(server);
  } finally {
    await server.close();
  }
}
