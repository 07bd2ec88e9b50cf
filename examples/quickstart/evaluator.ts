// The quickstart evaluator: builds the MLP stack a variant's params describe, trains it, and scores it on held-out data.
import type { EvaluationInput, EvaluatorResult } from '../../fitness/evaluator.js';
import { makeDataset, takePrefix } from './dataset.js';
import { transformFeatures } from './features.js';
import { Mlp } from './mlp.js';
import { readConfig } from './params.js';
import { mulberry32 } from '../shared/prng.js';

/** Forward plus backward pass costs about 6 FLOPs per parameter per example (2 forward, 4 backward). */
const FLOPS_PER_PARAM_EXAMPLE = 6;

export function evaluate(input: EvaluationInput): EvaluatorResult {
  const config = readConfig(input.params);
  const data = makeDataset();
  const trainRows = Math.max(1, Math.round(config.trainFraction * data.train.rows));
  const { train, validation } = transformFeatures(config.features, takePrefix(data.train, trainRows), data.validation);

  // The evaluation seed is the only source of randomness: weight init, then batch order, from one stream.
  const rand = mulberry32(input.seed);
  const sizes = [train.dim, ...Array.from({ length: config.hiddenLayers }, () => config.hiddenWidth), 1];
  const model = new Mlp(sizes, config.activation, rand);
  const report = model.train(train, config, rand);
  const trainScores = model.score(train);
  const validationScores = model.score(validation);

  // The descriptor uses the budget the params ask for, a pure function of the variant, so it always
  // lies in the declared range; the metrics report the work actually done when a run diverged early.
  const trainingBudget = config.epochs * train.rows;
  const examplesSeen = report.epochsCompleted * train.rows;
  const trainFlops = FLOPS_PER_PARAM_EXAMPLE * model.paramCount * examplesSeen;

  const summary = [
    `stack: ${config.features} features (${train.dim}) -> ${config.hiddenLayers}x${config.hiddenWidth} ${config.activation} -> 1`,
    `training: ${report.epochsCompleted}/${config.epochs} epochs on ${train.rows} rows, batch ${config.batchSize}, ` +
      `lr ${config.learningRate}, l2 ${config.l2}${report.diverged ? ' (diverged; kept last finite weights)' : ''}`,
    `accuracy: train ${trainScores.accuracy.toFixed(3)}, validation ${validationScores.accuracy.toFixed(3)}; ` +
      `validation log-loss ${validationScores.loss.toFixed(4)}`,
  ].join('\n');

  return {
    fitness: validationScores.accuracy,
    descriptors: [Math.log10(model.paramCount), Math.log10(trainingBudget)],
    metrics: {
      trainAccuracy: trainScores.accuracy,
      validationAccuracy: validationScores.accuracy,
      trainLoss: trainScores.loss,
      validationLoss: validationScores.loss,
      paramCount: model.paramCount,
      trainRows: train.rows,
      trainingBudget,
      examplesSeen,
      trainFlops,
      epochs: report.epochsCompleted,
      diverged: report.diverged,
    },
    artifacts: { summary },
  };
}
