// The circle-packing evaluator: runs a variant's pack(), checks its 26 circles in the unit square and scores the sum of radii.
import type { EvaluationInput, EvaluatorResult } from '../../fitness/evaluator.js';
import { CIRCLE_COUNT, checkPacking, readCircles, type Circle } from './check-packing.js';
import { runProgram } from '../shared/program-sandbox.js';

/** The variant's one file. */
export const PROGRAM_FILE = 'program.js';
/** CPU limit for loading program.js and running pack(); the task statement in problem.json quotes it. */
export const TIME_LIMIT_MS = 2000;
/** A circle within this distance of a wall, or of another circle, counts as touching it. */
export const TOUCH_DISTANCE = 1e-6;
/** Best published sum of radii for 26 circles (AlphaEvolve, 2025), for the share-of-best metric. */
export const BEST_KNOWN_SUM = 2.635;

export interface PackingStats {
  sumRadii: number;
  minRadius: number;
  maxRadius: number;
  /** Population standard deviation of the radii over their mean. */
  radiusCv: number;
  /** Circles within TOUCH_DISTANCE of at least one wall. */
  wallTouching: number;
  /** Pairs of circles within TOUCH_DISTANCE of each other. */
  contacts: number;
}

/** Plain statistics of a valid packing; the descriptors and metrics are read from these. */
export function packingStats(circles: readonly Circle[]): PackingStats {
  const radii = circles.map((c) => c.r);
  const sumRadii = radii.reduce((a, b) => a + b, 0);
  const mean = sumRadii / radii.length;
  const variance = radii.reduce((a, r) => a + (r - mean) ** 2, 0) / radii.length;
  const wallTouching = circles.filter((c) => Math.min(c.x - c.r, c.y - c.r, 1 - c.x - c.r, 1 - c.y - c.r) <= TOUCH_DISTANCE).length;
  let contacts = 0;
  for (let i = 0; i < circles.length; i++) {
    for (let j = i + 1; j < circles.length; j++) {
      const a = circles[i]!;
      const b = circles[j]!;
      if (Math.hypot(a.x - b.x, a.y - b.y) - a.r - b.r <= TOUCH_DISTANCE) contacts++;
    }
  }
  return {
    sumRadii,
    minRadius: Math.min(...radii),
    maxRadius: Math.max(...radii),
    radiusCv: Math.sqrt(variance) / mean,
    wallTouching,
    contacts,
  };
}

export async function evaluate(input: EvaluationInput): Promise<EvaluatorResult> {
  const code = input.files[PROGRAM_FILE];
  if (code === undefined) {
    throw new Error(`the variant has no ${PROGRAM_FILE} (it has: ${Object.keys(input.files).join(', ') || 'no files'})`);
  }
  // No harness: pack()'s own answer comes out as JSON text, and everything below runs on the host.
  const run = await runProgram(code, { entry: 'pack', timeoutMs: TIME_LIMIT_MS, seed: input.seed });
  const circles = readCircles(run.value);
  checkPacking(circles);
  const stats = packingStats(circles);
  const scored = Object.values(stats);
  if (!scored.every(Number.isFinite)) throw new Error(`the packing's statistics are not finite numbers: ${JSON.stringify(stats)}`);
  const wallShare = stats.wallTouching / CIRCLE_COUNT;

  const summary =
    `sum of radii ${stats.sumRadii.toFixed(6)} (${((100 * stats.sumRadii) / BEST_KNOWN_SUM).toFixed(2)}% of the best known ${BEST_KNOWN_SUM}); ` +
    `radii ${stats.minRadius.toFixed(4)}–${stats.maxRadius.toFixed(4)}, CV ${stats.radiusCv.toFixed(3)}; ` +
    `${stats.wallTouching}/${CIRCLE_COUNT} circles touch a wall; ${stats.contacts} touching pairs`;
  const packing = circles.map((c, i) => `${String(i).padStart(2)}: x ${c.x.toFixed(5)}  y ${c.y.toFixed(5)}  r ${c.r.toFixed(5)}`).join('\n');
  const artifacts: Record<string, string> = { summary, packing };
  if (run.console.length > 0) artifacts.console = run.console.join('\n');

  return {
    fitness: stats.sumRadii,
    // The coefficient of variation of 26 positive radii can exceed 1 only for extreme layouts;
    // those share the top cell, and the metric keeps the exact value.
    descriptors: [Math.min(1, stats.radiusCv), wallShare],
    metrics: {
      sumRadii: stats.sumRadii,
      shareOfBestKnown: stats.sumRadii / BEST_KNOWN_SUM,
      minRadius: stats.minRadius,
      maxRadius: stats.maxRadius,
      radiusCv: stats.radiusCv,
      wallTouching: stats.wallTouching,
      contacts: stats.contacts,
    },
    artifacts,
  };
}
