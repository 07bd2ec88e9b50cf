// LlmGateway: every LLM call of a run passes here: answered from the run's cache when asked before, else by the endpoint, and ledgered.
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { OuroborosError } from '../../common/errors.js';
import { canonicalJson } from '../../common/content-id.js';
import type { LlmAttemptFailure, LlmClient, LlmResult } from '../../operators/llm/llm-client.js';
import type { LlmCall, LlmService } from '../../operators/llm/llm-service.js';
import { requestSettings, type ModelSettings, type RequestSettings } from '../../operators/llm/model-settings.js';
import type { LlmCallRecord, LlmRecords } from '../store/llm-records.js';
import type { IterationUsage } from '../store/run-store.js';

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
  /** Per-model settings (llm.models[]); a model without an entry gets the defaults for its name. */
  models?: ReadonlyMap<string, ModelSettings>;
}

export interface GatewayStats {
  /** HTTP requests sent to the endpoint in this session, retries and failures included. */
  calls: number;
  /** Calls answered from the run's cache (a resume) or from the replay source. */
  reused: number;
  /** Main-thread time spent here outside the HTTP round trip: hashing, cache lookups, ledger writes. */
  engineMs: number;
}

/**
 * Contract:
 * - The cache key is the hash of what the endpoint is asked (model, temperature or none, token limit, seed,
 *   messages, and the model's other settings sent). A request found in the run's ledger is answered from it,
 *   failures included, so a resumed run neither pays twice nor diverges; an aborted call is asked again.
 * - Every HTTP request is a ledger row, written when it ends: the one that gave the call its outcome is the
 *   final row (the cache entry); the others (retried, aborted, refused, or the failure that stopped the run)
 *   are recorded as not final, so they are counted but never answer a call.
 * - Usage (calls, tokens, cost) is tallied per iteration, the same whether answers came from the endpoint or
 *   the cache, so that budgets stop a resumed or replayed run where they stopped the original.
 */
export class LlmGateway implements LlmService {
  private readonly usage = new Map<number, IterationUsage>();
  readonly stats: GatewayStats = { calls: 0, reused: 0, engineMs: 0 };

  constructor(private readonly o: GatewayOptions) {}

  async complete(call: LlmCall): Promise<LlmResult> {
    let t = performance.now();
    const settings = requestSettings(call.model, this.o.models?.get(call.model), this.o.maxTokens, call.temperature);
    const key = requestKey(call, settings);
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
    const price = this.o.prices.get(call.model);
    const costOf = (tokensIn: number, tokensOut: number) => price === undefined ? 0 : (tokensIn * price.inputPerMillion + tokensOut * price.outputPerMillion) / 1e6;
    const row = (r: Pick<LlmCallRecord, 'outcome' | 'status' | 'message' | 'attempts' | 'final'> & Partial<LlmCallRecord>): LlmCallRecord => {
      const tokensIn = r.tokensIn ?? 0;
      const tokensOut = r.tokensOut ?? 0;
      return {
        key, iteration: call.iteration, operator: call.operator, purpose: call.purpose, model: call.model, answeredModel: null,
        temperature: settings.temperature, answer: null, finishReason: null, refusal: null, latencyMs: null, source: 'endpoint',
        ...r, tokensIn, tokensOut, cost: costOf(tokensIn, tokensOut),
      };
    };
    const onAttempt = (a: LlmAttemptFailure) => {
      const at = performance.now();
      this.stats.calls++;
      this.o.records.record(row({ outcome: a.reason, status: a.status ?? null, message: a.message, attempts: a.attempt, final: false, tokensIn: a.tokensIn ?? 0, tokensOut: a.tokensOut ?? 0 }));
      this.stats.engineMs += performance.now() - at;
    };
    this.stats.engineMs += performance.now() - t;
    const result = await this.o.client.complete({
      messages: call.messages, model: call.model, seed: call.seed, signal: call.signal, onAttempt,
      temperature: settings.temperature,
      ...(settings.maxTokens === undefined ? {} : { maxTokens: settings.maxTokens }),
      ...(settings.maxCompletionTokens === undefined ? {} : { maxCompletionTokens: settings.maxCompletionTokens }),
      ...(settings.reasoningEffort === undefined ? {} : { reasoningEffort: settings.reasoningEffort }),
      ...(settings.topP === undefined ? {} : { topP: settings.topP }),
      ...(settings.extraBody === undefined ? {} : { extraBody: settings.extraBody }),
    });
    t = performance.now();
    // An aborted call's request, if it was sent, has been recorded through onAttempt; the call is asked again later.
    if (!result.ok && result.reason === 'aborted') return result;
    this.stats.calls++;
    const record = result.ok
      ? row({
        outcome: 'ok', status: null, message: null, attempts: result.attempts, final: true, answeredModel: result.model, answer: result.text,
        finishReason: result.finishReason, refusal: result.refusal, tokensIn: result.tokensIn, tokensOut: result.tokensOut, latencyMs: result.latencyMs,
      })
      : row({ outcome: result.reason, status: result.status ?? null, message: result.message, attempts: result.attempts, final: true, tokensIn: result.tokensIn ?? 0, tokensOut: result.tokensOut ?? 0 });
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
    // The iteration log counts calls, not HTTP requests: how many requests a call took (timeouts, 429s) depends
    // on the endpoint's and the machine's timing, and the log must be the same with any number of workers and
    // after a resume. Every request is still a row of the ledger.
    this.usage.set(iteration, { calls: u.calls + 1, tokens: u.tokens + r.tokensIn + r.tokensOut, cost: u.cost + r.cost });
  }
}

/**
 * The cache key of a call: what the endpoint is asked, and nothing about who asks. `settings` is what the
 * request carries besides model, seed and messages (a number: the max_tokens of a request with the call's
 * temperature, as before per-model settings). A request with only a temperature and max_tokens hashes as it
 * did before them, so that runs made earlier resume from their stored answers.
 */
export function requestKey(call: Pick<LlmCall, 'model' | 'temperature' | 'seed' | 'messages'>, settings: RequestSettings | number): string {
  const s: RequestSettings = typeof settings === 'number' ? { temperature: call.temperature, maxTokens: settings } : settings;
  const request = {
    model: call.model, temperature: s.temperature, seed: call.seed, messages: call.messages,
    ...(s.maxTokens === undefined ? {} : { maxTokens: s.maxTokens }),
    ...(s.maxCompletionTokens === undefined ? {} : { maxCompletionTokens: s.maxCompletionTokens }),
    ...(s.reasoningEffort === undefined ? {} : { reasoningEffort: s.reasoningEffort }),
    ...(s.topP === undefined ? {} : { topP: s.topP }),
    ...(s.extraBody === undefined ? {} : { extraBody: s.extraBody }),
  };
  return createHash('sha256').update(canonicalJson(request)).digest('hex').slice(0, 32);
}

function resultOf(r: LlmCallRecord): LlmResult {
  if (r.outcome === 'ok') {
    return {
      ok: true, text: r.answer ?? '', model: r.answeredModel ?? r.model, finishReason: r.finishReason, refusal: r.refusal,
      tokensIn: r.tokensIn, tokensOut: r.tokensOut, latencyMs: 0, attempts: 0,
    };
  }
  return {
    ok: false, reason: r.outcome as Exclude<LlmResult, { ok: true }>['reason'], ...(r.status === null ? {} : { status: r.status }), message: r.message ?? '', attempts: r.attempts,
    ...(r.tokensIn + r.tokensOut > 0 ? { tokensIn: r.tokensIn, tokensOut: r.tokensOut } : {}),
  };
}
