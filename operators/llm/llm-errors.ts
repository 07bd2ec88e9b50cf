// The LLM layer's errors: an endpoint that keeps failing, an answer that is not a chat completion, a setting the endpoint refuses.
import { ConfigError, OuroborosError } from '../../common/errors.js';

/**
 * Thrown by LlmClient.complete once `consecutiveFailureLimit` calls in a row have failed after
 * their retries. The message names the endpoint's last answer (status and message); it never
 * contains the API key, because the CLI prints it and a run may store it.
 */
export class LlmEndpointError extends OuroborosError {
  /** HTTP status of the last failed request, absent for connection errors and timeouts. */
  readonly status: number | undefined;
  /** The reason of the last failure, as in LlmFailure.reason. */
  readonly reason: string;
  readonly consecutiveFailures: number;
  constructor(message: string, details: { status: number | undefined; reason: string; consecutiveFailures: number }) {
    super('E_LLM_ENDPOINT', message);
    this.status = details.status;
    this.reason = details.reason;
    this.consecutiveFailures = details.consecutiveFailures;
  }
}

/**
 * An HTTP 200 whose body is not a chat completion (no `choices`, an error object, HTML, an event
 * stream, malformed or cut-off JSON). Raised inside the client for one attempt, which it reports as
 * the retryable failure 'bad-response' with this message; the tokens are those the body reported, if any.
 */
export class LlmResponseError extends OuroborosError {
  readonly tokensIn: number;
  readonly tokensOut: number;
  /** An error object inside the 200 that carries an HTTP status of its own (some gateways wrap a 400 so). */
  readonly embedded: { status: number; message: string; code?: unknown; param?: unknown } | undefined;
  constructor(message: string, usage: { tokensIn: number; tokensOut: number } = { tokensIn: 0, tokensOut: 0 }, embedded?: LlmResponseError['embedded']) {
    super('E_LLM_RESPONSE', message);
    this.tokensIn = usage.tokensIn;
    this.tokensOut = usage.tokensOut;
    this.embedded = embedded;
  }
}

/**
 * The endpoint refused a parameter or value of the request (HTTP 400 "Unsupported parameter:
 * 'max_tokens'...", "Unsupported value: 'temperature'...", an unknown field): every call would fail
 * the same way, so the run stops at once. It is bad input (exit 2): `field` names the config entry
 * to change, and the message carries the endpoint's own words and what to set instead.
 */
export class LlmSettingRejectedError extends ConfigError {
  readonly status: number;
  /** The parameter the endpoint named, when it could be told from the message. */
  readonly parameter: string | null;
  constructor(field: string, problem: string, details: { status: number; parameter: string | null }) {
    super(field, [problem]);
    this.status = details.status;
    this.parameter = details.parameter;
  }
}
