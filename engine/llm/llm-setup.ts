// Wires a run's LLM side: the endpoint and key from flag, config and environment; the prompt templates; the gateway.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../../common/errors.js';
import { LlmClient } from '../../operators/llm/llm-client.js';
import type { ModelSettings } from '../../operators/llm/model-settings.js';
import { checkTemplates, TEMPLATE_NAMES, type PromptTemplates } from '../../operators/llm/prompt-template.js';
import type { LlmConfig, RunConfig } from '../config/config-schema.js';
import { LlmGateway, type Price } from './llm-gateway.js';
import type { LlmRecords } from '../store/llm-records.js';

/** configs/prompts of this package, whether running from source (engine/) or compiled (dist/engine/). */
export const DEFAULT_PROMPTS = fileURLToPath(new URL(import.meta.url.includes('/dist/') ? '../../../configs/prompts/' : '../../configs/prompts/', import.meta.url));

export function usesLlm(config: RunConfig): boolean {
  return config.operators.some((o) => o.type.startsWith('llm-'));
}

/**
 * The templates a run uses: configs/prompts/, each file overridden by the same name in `overrideDir`.
 * Stored in the run at its start, so that a resume or a replay asks exactly what the run asked.
 */
export function loadTemplates(overrideDir: string | undefined, configPath: string): PromptTemplates {
  const templates = {} as PromptTemplates;
  const problems: string[] = [];
  if (overrideDir !== undefined && !existsSync(overrideDir)) problems.push(`llm.prompts: folder ${overrideDir} not found`);
  for (const name of TEMPLATE_NAMES) {
    const own = overrideDir === undefined ? undefined : join(overrideDir, `${name}.md`);
    templates[name] = readFileSync(own !== undefined && existsSync(own) ? own : join(DEFAULT_PROMPTS, `${name}.md`), 'utf8');
  }
  problems.push(...checkTemplates(templates).map((p) => `llm.prompts (${overrideDir ?? DEFAULT_PROMPTS}): ${p}`));
  if (problems.length > 0) throw new ConfigError(configPath, problems);
  return templates;
}

export interface Endpoint {
  baseURL: string;
  apiKey: string;
  /** Where the URL came from, for the start-up line. */
  from: '--base-url' | 'config' | 'OPENAI_BASE_URL' | 'the run';
  /** Set when no key was found: what to tell the user. */
  keyNotice?: string;
}

/** --base-url, else the config's llm.baseUrl, else OPENAI_BASE_URL (else, on resume, the URL the run last used). The key only from the environment. */
export function resolveEndpoint(llm: LlmConfig, flag: string | undefined, stored: string | undefined, env: NodeJS.ProcessEnv = process.env): Endpoint {
  const candidates: Array<[string | undefined, Endpoint['from']]> = [[flag, '--base-url'], [llm.baseUrl, 'config'], [env.OPENAI_BASE_URL, 'OPENAI_BASE_URL'], [stored, 'the run']];
  const found = candidates.find(([url]) => url !== undefined && url !== '');
  if (found === undefined) {
    throw new ConfigError('--base-url', ['no LLM endpoint: pass --base-url, set llm.baseUrl in the config, or set OPENAI_BASE_URL (see docs/llm.md, "Endpoints")']);
  }
  const [baseURL, from] = found as [string, Endpoint['from']];
  try {
    const url = new URL(baseURL);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http(s)');
  } catch {
    throw new ConfigError(from, [`"${baseURL}" is not an http(s) URL`]);
  }
  const key = env[llm.apiKeyEnv];
  if (key === undefined || key === '') {
    return { baseURL, from, apiKey: 'no-key', keyNotice: `${llm.apiKeyEnv} is not set: sending no API key (fine for local servers such as Ollama, vLLM or llama.cpp)` };
  }
  return { baseURL, from, apiKey: key };
}

/** A URL safe to keep in the run: without any user:password part. */
export function storableUrl(baseURL: string): string | undefined {
  const url = new URL(baseURL);
  return url.username === '' && url.password === '' ? baseURL : undefined;
}

export function createGateway(llm: LlmConfig, records: LlmRecords, endpoint: Endpoint | null, replaySource?: LlmRecords): LlmGateway {
  const index = new Map(llm.models.map((m, i) => [m.name, i]));
  const client = endpoint === null ? null : new LlmClient({
    baseURL: endpoint.baseURL, apiKey: endpoint.apiKey, model: llm.models[0]!.name, maxTokens: llm.maxTokens,
    requestTimeoutMs: llm.requestTimeoutMs, maxRetries: llm.retries, maxInFlight: llm.maxInFlight, consecutiveFailureLimit: llm.consecutiveFailureLimit,
    ...(llm.requestsPerMinute === undefined ? {} : { requestsPerMinute: llm.requestsPerMinute }),
    settingsField: (model) => (index.has(model) ? `llm.models[${index.get(model)}] (${model})` : `model "${model}"`),
  });
  const prices = new Map<string, Price>();
  const models = new Map<string, ModelSettings>();
  for (const m of llm.models) {
    if (m.price !== undefined) prices.set(m.name, m.price);
    models.set(m.name, modelSettings(m));
  }
  return new LlmGateway({ records, client, maxTokens: llm.maxTokens, prices, models, ...(replaySource ? { replaySource } : {}) });
}

/** The request settings of a `llm.models[]` entry. */
export function modelSettings(m: LlmConfig['models'][number]): ModelSettings {
  return {
    ...(m.maxCompletionTokens === undefined ? {} : { maxCompletionTokens: m.maxCompletionTokens }),
    ...(m.temperature === undefined ? {} : { temperature: m.temperature }),
    ...(m.reasoningEffort === undefined ? {} : { reasoningEffort: m.reasoningEffort }),
    ...(m.topP === undefined ? {} : { topP: m.topP }),
    ...(m.extraBody === undefined ? {} : { extraBody: m.extraBody }),
  };
}

/** The prompt override folder of a config, resolved against the config's folder. */
export function promptsDir(llm: LlmConfig | undefined, configDir: string): string | undefined {
  return llm?.prompts === undefined ? undefined : resolve(configDir, llm.prompts);
}
