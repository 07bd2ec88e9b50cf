// Budgets and progress: what stops a run, and the figures it reports while it goes.

export interface Budget {
  iterations?: number;
  evaluations?: number;
  wallClockSeconds?: number;
  targetFitness?: number;
  tokens?: number;
  costUsd?: number;
}

export type StopReason = 'iterations' | 'evaluations' | 'wall-clock' | 'target-fitness' | 'tokens' | 'cost' | 'interrupted' | 'aborted';

export interface Progress {
  /** Iterations committed, all sessions together. */
  iterations: number;
  /** Evaluations stored, all sessions together. */
  evaluations: number;
  /** Evaluations per second in this session. */
  evaluationsPerSecond: number;
  coverage: number;
  filledCells: number;
  qdScore: number;
  bestFitness: number | null;
  inFlight: number;
  elapsedMs: number;
  budget: Budget;
  /** LLM usage of the committed iterations, all sessions together. */
  llm: { calls: number; tokens: number; cost: number };
}

/** Committed state a budget verdict rests on. */
export interface CommittedState {
  evaluations: number;
  bestFitness: number;
  llm: { calls: number; tokens: number; cost: number };
  /** The most tokens and cost one committed iteration has used (its calls and repair together). */
  llmMax: { tokens: number; cost: number };
  /** Iterations that may be in flight at a commit (pipelineDepth). */
  inFlight: number;
  /** The most tokens one answer may take: the reserve per call before any call has been committed. */
  maxTokens: number;
}

/**
 * The budgets that depend only on committed iterations, so that a resume's replay reaches the same verdict
 * at the same commit. LLM budgets count the calls still in flight: each of the iterations that may be in
 * flight is reserved as much as the most any committed iteration used (maxTokens before the first), so
 * the stop comes before the budget is passed unless an iteration in flight outspends every earlier one.
 */
export function committedBudgetSpent(b: Budget, s: CommittedState): StopReason | null {
  if (b.evaluations !== undefined && s.evaluations >= b.evaluations) return 'evaluations';
  if (b.targetFitness !== undefined && s.bestFitness >= b.targetFitness) return 'target-fitness';
  const u = s.llm;
  if (b.tokens !== undefined && u.tokens + s.inFlight * (u.calls > 0 ? s.llmMax.tokens : s.maxTokens) >= b.tokens) return 'tokens';
  if (b.costUsd !== undefined && u.cost + s.inFlight * s.llmMax.cost >= b.costUsd) return 'cost';
  return null;
}
