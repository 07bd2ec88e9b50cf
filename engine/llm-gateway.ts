// LlmGateway: every LLM call of a run passes here: answered from the run's cache when asked before, else by the endpoint, and ledgered.
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { OuroborosError } from '../common/errors.js';
import { canonicalJson } from '../common/content-id.js';
import type { LlmClient, LlmResult } from '../operators/llm/llm-client.js';
import type { LlmCall, LlmService } from '../operators/llm/llm-service.js';
import type { LlmCallRecord, LlmRecords } from './llm-records.js';
import type { IterationUsage } from './run-store.js';

/** A replay met a request that its source run never made: the runs have diverged (or the source is not the same search). */
export class ReplayError extends OuroborosError {
  constructor(message: string) {
    super('E_REPLAY', message);
  }
}

export interface Price { inputPerMillion: number; outputPerMillion: number }

export interface GatewayOptions {
  records: LlmRecords;
  /** null in a replay: every answer must come from `replaySource`. */
  client: LlmClient | null;
  replaySource?: LlmRecords;
  maxTokens: number;
  prices: ReadonlyMap<string, Price>;
}

export interface GatewayStats {
  /** Calls sent to the endpoint in this session. */
  calls: number;
  /** Calls answered from the run's cache (a resume) or from the replay source. */
  reused: number;
  /** Main-thread time spent here outside the HTTP round trip: hashing, cache lookups, ledger writes. */
  engineMs: number;
}

/**
 * Contract:
 * - The cache key is the hash of what the endpoint is asked (model, temperature, max tokens, seed, messages).
 *   A request found in the run's ledger is answered from it, failures included, so a resumed run neither
 *   pays twice nor diverges; an aborted call is not recorded and is asked again.
 * - Usage (calls, tokens, cost) is tallied per iteration, the same whether answers came from the endpoint or
 *   the cache, so that budgets stop a resumed or replayed run where they stopped the original.
 */
export class LlmGateway implements LlmService {
  private readonly usage = new Map<number, IterationUsage>();
  readonly stats: GatewayStats = { calls: 0, reused: 0, engineMs: 0 };

  constructor(private readonly o: GatewayOptions) {}

  async complete(call: LlmCall): Promise<LlmResult> {
    let t = performance.now();
    const key = requestKey(call, this.o.maxTokens);
    let stored = this.o.records.find(key);
    if (stored === undefined && this.o.replaySource !== undefined) {
      const source = this.o.replaySource.find(key);
      if (source === undefined) {
        throw new ReplayError(`iteration ${call.iteration} (${call.operator}, ${call.purpose}) asks the LLM something the source run never asked: the replay has diverged from it`);
      }
      stored = { ...source, source: 'replay' };
      this.o.records.record(stored);
    }
    if (stored !== undefined) {
      this.stats.reused++;
      this.tally(call.iteration, stored);
      this.stats.engineMs += performance.now() - t;
      return resultOf(stored);
    }
    if (this.o.client === null) throw new ReplayError(`iteration ${call.iteration}: no stored answer and no endpoint`);
    this.stats.engineMs += performance.now() - t;
    const result = await this.o.client.complete({ messages: call.messages, model: call.model, temperature: call.temperature, maxTokens: this.o.maxTokens, seed: call.seed, signal: call.signal });
    t = performance.now();
    if (!result.ok && result.reason === 'aborted') return result;
    this.stats.calls++;
    const tokensIn = result.ok ? result.tokensIn : 0;
    const tokensOut = result.ok ? result.tokensOut : 0;
    const price = this.o.prices.get(call.model);
    const record: LlmCallRecord = {
      key, iteration: call.iteration, operator: call.operator, purpose: call.purpose, model: call.model,
      answeredModel: result.ok ? result.model : null, temperature: call.temperature,
      outcome: result.ok ? 'ok' : result.reason, status: result.ok ? null : (result.status ?? null), message: result.ok ? null : result.message,
      answer: result.ok ? result.text : null, tokensIn, tokensOut,
      cost: price === undefined ? 0 : (tokensIn * price.inputPerMillion + tokensOut * price.outputPerMillion) / 1e6,
      latencyMs: result.ok ? result.latencyMs : null, attempts: result.attempts, source: 'endpoint',
    };
    this.o.records.record(record);
    this.tally(call.iteration, record);
    this.stats.engineMs += performance.now() - t;
    return result;
  }

  /** The iteration's usage, removed: called once, when the iteration commits. */
  takeUsage(iteration: number): IterationUsage {
    const u = this.usage.get(iteration) ?? { calls: 0, tokens: 0, cost: 0 };
    this.usage.delete(iteration);
    return u;
  }

  private tally(iteration: number, r: LlmCallRecord): void {
    const u = this.usage.get(iteration) ?? { calls: 0, tokens: 0, cost: 0 };
    this.usage.set(iteration, { calls: u.calls + 1, tokens: u.tokens + r.tokensIn + r.tokensOut, cost: u.cost + r.cost });
  }
}

/** The cache key of a call: what the endpoint is asked, and nothing about who asks. */
export function requestKey(call: Pick<LlmCall, 'model' | 'temperature' | 'seed' | 'messages'>, maxTokens: number): string {
  const request = { model: call.model, temperature: call.temperature, maxTokens, seed: call.seed, messages: call.messages };
  return createHash('sha256').update(canonicalJson(request)).digest('hex').slice(0, 32);
}

function resultOf(r: LlmCallRecord): LlmResult {
  if (r.outcome === 'ok') {
    return { ok: true, text: r.answer ?? '', model: r.answeredModel ?? r.model, finishReason: null, refusal: null, tokensIn: r.tokensIn, tokensOut: r.tokensOut, latencyMs: 0, attempts: 0 };
  }
  return { ok: false, reason: r.outcome as Exclude<LlmResult, { ok: true }>['reason'], ...(r.status === null ? {} : { status: r.status }), message: r.message ?? '', attempts: r.attempts };
}
