// The contract between LLM operators and whatever answers their calls (the engine's cached, ledgered gateway).
import type { LlmMessage, LlmResult } from './llm-client.js';

/** One call as an operator makes it; the service adds the run's settings (token limit, the model's own settings) and bookkeeping. */
export interface LlmCall {
  messages: LlmMessage[];
  model: string;
  /** The arm's temperature; ignored (NaN on such an arm) for a model with a temperature of its own, or none (llm.models[].temperature, reasoning models). */
  temperature: number;
  /** Drawn from the iteration's rng: it makes the request, and so its cache key, unique to the iteration. */
  seed: number;
  iteration: number;
  /** The operator's name, for the ledger. */
  operator: string;
  /** evolve-prompt: the meta-operator writing a new prompt variant (llm.promptEvolution). */
  purpose: 'propose' | 'repair' | 'evolve-prompt';
  signal: AbortSignal;
}

/**
 * Answers calls. Failures after retries are values; it throws only when the run cannot go on
 * (LlmEndpointError: the endpoint keeps failing; ReplayError: a replay met a request its source never made).
 */
export interface LlmService {
  complete(call: LlmCall): Promise<LlmResult>;
}
