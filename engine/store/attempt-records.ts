// AttemptRecords: the recent children of a parent, or of an island, as committed up to an iteration (read for prompts).
import type { Evaluation } from '../../common/types.js';

/** The part of a better-sqlite3 connection used here (the library itself enters through run-store.ts only). */
interface Connection {
  prepare(source: string): { all(...params: unknown[]): unknown[] };
}

/** One child of a committed iteration, or an iteration whose operator made none; only what a prompt may show. */
export interface StoredAttempt {
  iteration: number;
  operator: string;
  /** The iteration's first parent (the one its child was made from; crossover's base). */
  parentId: string | null;
  /** The operator's reason when it made no child; every field below is then null. */
  operatorFailure: string | null;
  variantId: string | null;
  /** The child repeated a stored variant, so it was not evaluated; `message` says which. */
  duplicate: boolean;
  status: Evaluation['status'] | null;
  /** A failed evaluation's reason (threw, timeout, ...). */
  reason: string | null;
  /** A failed evaluation's message, or why a duplicate was rejected. */
  message: string | null;
  /** A failed evaluation's public artifacts (the candidate's captured output); null for a success. */
  artifacts: Record<string, string> | null;
  fitness: number | null;
  /** The first parent's fitness, when it has one. */
  parentFitness: number | null;
  /** What the island's archive did with an evaluated child. */
  addStatus: 'new' | 'improved' | 'rejected' | null;
  note: string | null;
}

// Public columns only: an evaluation's metrics and its private (held-out) metrics and artifacts are never read here.
const SELECT = `SELECT i.iteration, i.operator, json_extract(i.parent_ids, '$[0]') AS parentId, i.reason AS operatorFailure,
    c.variant_id AS variantId, c.cached, c.reason AS childReason, c.add_status AS addStatus,
    e.status, e.reason, e.message, CASE WHEN e.status != 'ok' THEN e.artifacts END AS artifacts, e.fitness, p.fitness AS parentFitness, v.note
  FROM iterations i
  LEFT JOIN children c ON c.iteration = i.iteration
  LEFT JOIN evaluations e ON e.variant_id = c.variant_id AND c.cached = 0
  LEFT JOIN variants v ON v.id = c.variant_id
  LEFT JOIN evaluations p ON p.variant_id = json_extract(i.parent_ids, '$[0]')`;

/** The expression indexed by iterations_first_parent (store-schema.ts): the query must spell it the same way to use the index. */
const FIRST_PARENT = "json_extract(i.parent_ids, '$[0]')";

type Row = Omit<StoredAttempt, 'duplicate' | 'artifacts' | 'message'> & { cached: number | null; childReason: string | null; artifacts: string | null; message: string | null };

/**
 * Contract: only iterations 1..upTo are read, so a caller that passes an iteration's basis sees what
 * was committed by then and nothing later, whatever else the file holds (a resume's replay reads a
 * file that already has the iterations after it). Newest first, children in order; bounded by
 * `limit` rows, found through the indexes on (first parent, iteration) and (island, iteration).
 */
export class AttemptRecords {
  private readonly ofParent;
  private readonly ofIsland;

  constructor(db: Connection) {
    this.ofParent = db.prepare(`${SELECT} WHERE ${FIRST_PARENT} = ? AND i.iteration BETWEEN 1 AND ? ORDER BY i.iteration DESC, c.child_index LIMIT ?`);
    this.ofIsland = db.prepare(`${SELECT} WHERE i.island = ? AND i.iteration BETWEEN 1 AND ? AND ${FIRST_PARENT} IS NOT ? ORDER BY i.iteration DESC, c.child_index LIMIT ?`);
  }

  /** Up to `limit` attempts from `parentId`, filled with the island's attempts from other parents when there are fewer. */
  recent(parentId: string, island: number, upTo: number, limit: number): StoredAttempt[] {
    if (limit <= 0 || upTo < 1) return [];
    const own = this.ofParent.all(parentId, upTo, limit) as Row[];
    const others = own.length < limit ? this.ofIsland.all(island, upTo, parentId, limit - own.length) as Row[] : [];
    return [...own, ...others].map(({ cached, childReason, artifacts, message, ...r }) => ({
      ...r,
      duplicate: cached === 1,
      message: cached === 1 ? childReason : message,
      artifacts: artifacts === null ? null : (JSON.parse(artifacts) as Record<string, string>),
    }));
  }
}
