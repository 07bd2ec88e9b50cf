// Per-model request settings (token limit field, temperature, reasoning effort, top_p, extra body) and the defaults for reasoning models.

export const REASONING_EFFORTS = ['none', 'minimal', 'low', 'medium', 'high', 'xhigh'] as const;
export type ReasoningEffort = (typeof REASONING_EFFORTS)[number];

/** Body fields the engine sets itself: `extraBody` may not replace them (a `stream: true` would turn every answer into an event stream). */
export const RESERVED_BODY_FIELDS = ['model', 'messages', 'stream', 'n', 'seed'] as const;

/** What a config may say about one model (`llm.models[]`), besides its name, weight and price. */
export interface ModelSettings {
  /** Sent as `max_completion_tokens` instead of `max_tokens`; reasoning tokens count against it. */
  maxCompletionTokens?: number;
  /** A number: this model's only temperature. null: no temperature is sent (the endpoint's default). Absent: the temperature arms. */
  temperature?: number | null;
  reasoningEffort?: ReasoningEffort;
  topP?: number;
  /** Merged into the request body last, for endpoint-specific fields. */
  extraBody?: Record<string, unknown>;
}

/** What a request carries besides model, messages and seed, resolved for one model and arm. */
export interface RequestSettings {
  /** null: not sent. */
  temperature: number | null;
  /** Exactly one of maxTokens (`max_tokens`) and maxCompletionTokens (`max_completion_tokens`) is set. */
  maxTokens?: number;
  maxCompletionTokens?: number;
  reasoningEffort?: ReasoningEffort;
  topP?: number;
  extraBody?: Record<string, unknown>;
}

/**
 * OpenAI's reasoning models (o1, o3, o4-mini and the rest of the o-series, gpt-5*) refuse `max_tokens`
 * and any temperature but the default. A provider prefix (`openai/o3-mini` on OpenRouter) is ignored.
 * gpt-5-chat models are chat models and take both.
 */
export function isReasoningModel(name: string): boolean {
  const base = name.slice(name.lastIndexOf('/') + 1).toLowerCase();
  return /^o\d+(-|$)/.test(base) || (/^gpt-5/.test(base) && !/^gpt-5[.\d]*-chat/.test(base));
}

/**
 * The temperature every call to this model uses, when it is fixed: null (none sent) or a number.
 * undefined when the model follows the temperature arms. A reasoning model takes none unless its
 * config gives one.
 */
export function fixedTemperature(name: string, settings: ModelSettings | undefined): number | null | undefined {
  if (settings?.temperature !== undefined) return settings.temperature;
  return isReasoningModel(name) ? null : undefined;
}

/** The settings of one request to `name`, from its config entry, the run's `llm.maxTokens` and the arm's temperature. */
export function requestSettings(name: string, settings: ModelSettings | undefined, maxTokens: number, armTemperature: number | null): RequestSettings {
  const fixed = fixedTemperature(name, settings);
  const completionTokens = settings?.maxCompletionTokens ?? (isReasoningModel(name) ? maxTokens : undefined);
  return {
    temperature: fixed === undefined ? armTemperature : fixed,
    ...(completionTokens === undefined ? { maxTokens } : { maxCompletionTokens: completionTokens }),
    ...(settings?.reasoningEffort === undefined ? {} : { reasoningEffort: settings.reasoningEffort }),
    ...(settings?.topP === undefined ? {} : { topP: settings.topP }),
    ...(settings?.extraBody === undefined ? {} : { extraBody: settings.extraBody }),
  };
}
