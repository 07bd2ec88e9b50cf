// The bin-packing evaluator: packs five fixed item streams with a variant's priority() and scores bins used against the lower bound.
import type { EvaluationInput, EvaluatorResult } from '../../fitness/evaluator.js';
import { INSTANCES, lowerBound, type Instance } from './instances.js';
import { bestFit, firstFit, packOnline, type ChooseBin } from './online-packing.js';
import { priorityHarness, readRuns } from './priority-harness.js';
import { runProgram } from '../shared/program-sandbox.js';

/** The variant's one file. */
export const PROGRAM_FILE = 'program.js';
/** CPU limit for loading program.js and packing all five instances; the task statement quotes it. */
export const TIME_LIMIT_MS = 2000;
/** A bin at least this full counts towards the nearlyFullShare descriptor. */
export const NEARLY_FULL = 0.95;
/** The codeLines descriptor's top; longer evolve blocks share the top cell. */
export const MAX_CODE_LINES = 60;

export interface PackingScore {
  /** Mean over instances of lower bound / bins used: 1 is optimal, higher is better. */
  fitness: number;
  bins: number;
  lowerBound: number;
  /** Mean over instances of (bins - lower bound) / lower bound, in percent (FunSearch's measure). */
  excessPercent: number;
  /** Share of all bins used, over every instance, filled to NEARLY_FULL or more. */
  nearlyFullShare: number;
}

/** Scores the packings (remaining capacity of every bin, per instance) of the fixed instances. */
export function scorePackings(instances: readonly Instance[], packings: readonly number[][]): PackingScore {
  let ratio = 0;
  let excess = 0;
  let bins = 0;
  let bound = 0;
  let nearlyFull = 0;
  instances.forEach((instance, n) => {
    const remaining = packings[n]!;
    const l1 = lowerBound(instance);
    ratio += l1 / remaining.length;
    excess += (remaining.length - l1) / l1;
    bins += remaining.length;
    bound += l1;
    nearlyFull += remaining.filter((room) => instance.capacity - room >= NEARLY_FULL * instance.capacity).length;
  });
  const count = instances.length;
  return { fitness: ratio / count, bins, lowerBound: bound, excessPercent: (100 * excess) / count, nearlyFullShare: nearlyFull / bins };
}

const baseline = (choose: ChooseBin): PackingScore => scorePackings(INSTANCES, INSTANCES.map((instance) => packOnline(instance, choose)));
/** First fit and best fit on the fixed instances: constants, computed once per worker. */
let baselines: { firstFit: PackingScore; bestFit: PackingScore } | undefined;
const harness = priorityHarness(INSTANCES);

/**
 * Non-empty lines between the evolve markers (the whole file when a marker is missing), not
 * counting lines that hold only a comment, so that comments cannot move a variant to another cell.
 */
export function codeLines(code: string): number {
  const start = code.indexOf('EVOLVE-BLOCK-START');
  const end = code.indexOf('EVOLVE-BLOCK-END');
  const block = start >= 0 && end > start ? code.slice(code.indexOf('\n', start) + 1, end) : code;
  return block.split('\n').filter((line) => {
    const text = line.trim();
    return text !== '' && !text.startsWith('//') && !text.startsWith('/*') && !text.startsWith('*');
  }).length;
}

const percent = (x: number): string => `${x.toFixed(2)}%`;

export async function evaluate(input: EvaluationInput): Promise<EvaluatorResult> {
  const code = input.files[PROGRAM_FILE];
  if (code === undefined) {
    throw new Error(`the variant has no ${PROGRAM_FILE} (it has: ${Object.keys(input.files).join(', ') || 'no files'})`);
  }
  const run = await runProgram(code, { entry: 'priority', harness, timeoutMs: TIME_LIMIT_MS, seed: input.seed });
  const runs = readRuns(run.value, INSTANCES);
  // The host replays every choice: an illegal one (only possible if the harness was tampered
  // with) throws here, so the score always describes a legal online packing, counted on the host.
  const packings = INSTANCES.map((instance, n) => packOnline(instance, (_item, _caps, position) => runs[n]![position]!));
  const score = scorePackings(INSTANCES, packings);
  if (!Object.values(score).every(Number.isFinite)) throw new Error(`the packing's score is not finite: ${JSON.stringify(score)}`);
  baselines ??= { firstFit: baseline(firstFit), bestFit: baseline(bestFit) };
  const { firstFit: ff, bestFit: bf } = baselines;
  const lines = codeLines(code);

  const versusBest = bf.bins - score.bins;
  const summary =
    `${score.bins} bins on ${INSTANCES.length} instances vs lower bound ${score.lowerBound} ` +
    `(+${score.bins - score.lowerBound}, excess ${percent(score.excessPercent)}); ` +
    `first fit ${ff.bins} (${percent(ff.excessPercent)}), best fit ${bf.bins} (${percent(bf.excessPercent)}): ` +
    (versusBest === 0 ? 'ties best fit' : `${Math.abs(versusBest)} bin${Math.abs(versusBest) === 1 ? '' : 's'} ${versusBest > 0 ? 'fewer' : 'more'} than best fit`);
  const artifacts: Record<string, string> = { summary };
  if (run.console.length > 0) artifacts.console = run.console.join('\n');

  return {
    fitness: score.fitness,
    descriptors: [score.nearlyFullShare, Math.min(MAX_CODE_LINES, lines)],
    metrics: {
      bins: score.bins,
      lowerBound: score.lowerBound,
      excessBins: score.bins - score.lowerBound,
      excessPercent: score.excessPercent,
      firstFit: ff.fitness,
      bestFit: bf.fitness,
      firstFitBins: ff.bins,
      bestFitBins: bf.bins,
      firstFitExcessPercent: ff.excessPercent,
      bestFitExcessPercent: bf.excessPercent,
      nearlyFullShare: score.nearlyFullShare,
      codeLines: lines,
    },
    artifacts,
  };
}
