// The LLM layer's error: an endpoint that keeps failing, reported with what it answered last.
import { OuroborosError } from '../../common/errors.js';

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
