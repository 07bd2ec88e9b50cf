// What a SearchEngine is given, and the error that ends a run whose seed variant cannot enter the archive.
import type { ArchiveDescription } from '../../archives/archive.js';
import { EvaluatorError } from '../../common/errors.js';
import type { EvaluationService } from '../../fitness/evaluation-pool.js';
import type { Arm } from '../arms/operator-registry.js';
import type { BanditPolicy } from '../arms/bandit.js';
import type { RunConfig } from '../config/config-schema.js';
import type { Problem } from '../config/problem.js';
import type { LlmGateway } from '../llm/llm-gateway.js';
import type { RunStore } from '../store/run-store.js';
import type { Budget, Progress } from './budget.js';
import type { ContextSource } from './variation-context.js';

/** What the engine needs when some arms call an LLM. */
export interface EngineLlm {
  gateway: LlmGateway;
  context: ContextSource;
  /** Bounds the reserve counted for each iteration in flight before any call has been committed. */
  maxTokens: number;
}

export interface EngineOptions {
  store: RunStore;
  pool: EvaluationService;
  problem: Problem;
  config: RunConfig;
  /** The archive every island is (engine/config/archive-setup.ts). */
  archive: ArchiveDescription;
  arms: Arm[];
  policy: BanditPolicy;
  llm?: EngineLlm;
  budget: Budget;
  /** Aborting it stops launching iterations; those in flight finish and are committed. */
  signal: AbortSignal;
  onProgress?: (progress: Progress) => void;
}

export function seedFailure(why: string): EvaluatorError {
  return new EvaluatorError(`the seed variant could not enter the archive, so the search cannot start: ${why}. Fix the problem and start a new run (\`ouroboros run --overwrite\`)`);
}
