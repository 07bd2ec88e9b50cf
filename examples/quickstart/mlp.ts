// A from-scratch multi-layer perceptron for binary classification, trained by mini-batch SGD with momentum and L2 decay.
import type { Split } from './dataset.js';
import { gaussian, shuffleInPlace, type Uniform } from '../shared/prng.js';

export const ACTIVATIONS = ['relu', 'tanh', 'sigmoid'] as const;
export type Activation = (typeof ACTIVATIONS)[number];

const RELU = ACTIVATIONS.indexOf('relu');
const TANH = ACTIVATIONS.indexOf('tanh');

/** Fixed rather than searched, to keep the parameter space small; 0.9 is the textbook value. */
const MOMENTUM = 0.9;

export interface TrainOptions {
  learningRate: number;
  l2: number;
  epochs: number;
  batchSize: number;
}

export interface TrainReport {
  epochsCompleted: number;
  /** True when an epoch produced non-finite weights or loss; the last finite weights are kept. */
  diverged: boolean;
}

export interface Scores {
  accuracy: number;
  loss: number;
}

interface Layer {
  inputs: number;
  outputs: number;
  /** Offset of the weights (outputs x inputs, row-major) in the flat vector; biases follow them. */
  offset: number;
}

export class Mlp {
  readonly paramCount: number;
  private readonly layers: Layer[];
  private readonly params: Float64Array;
  /** One buffer per layer boundary; index 0 holds the input. Reused so training never allocates. */
  private readonly acts: Float64Array[];
  private readonly deltas: Float64Array[];
  /** A small integer instead of the name: the hot loops compare it millions of times. */
  private readonly kind: number;

  constructor(sizes: number[], activation: Activation, rand: Uniform) {
    this.kind = ACTIVATIONS.indexOf(activation);
    this.layers = [];
    let offset = 0;
    for (let l = 0; l + 1 < sizes.length; l++) {
      const inputs = sizes[l]!;
      const outputs = sizes[l + 1]!;
      this.layers.push({ inputs, outputs, offset });
      offset += outputs * inputs + outputs;
    }
    this.paramCount = offset;
    this.params = new Float64Array(offset);
    // He scaling suits ReLU; Xavier suits the saturating activations. Biases start at zero.
    const gain = activation === 'relu' ? 2 : 1;
    for (const layer of this.layers) {
      const std = Math.sqrt(gain / layer.inputs);
      for (let i = 0; i < layer.outputs * layer.inputs; i++) this.params[layer.offset + i] = std * gaussian(rand);
    }
    this.acts = sizes.map((n) => new Float64Array(n));
    this.deltas = sizes.map((n) => new Float64Array(n));
  }

  private act(z: number): number {
    if (this.kind === RELU) return z > 0 ? z : 0;
    if (this.kind === TANH) return Math.tanh(z);
    return 1 / (1 + Math.exp(-z));
  }

  /** Derivative expressed through the activation's output, which is what the buffers keep. */
  private actGrad(a: number): number {
    if (this.kind === RELU) return a > 0 ? 1 : 0;
    if (this.kind === TANH) return 1 - a * a;
    return a * (1 - a);
  }

  /** Returns the output logit of row `row`; hidden activations stay in `acts` for backprop. */
  private forward(x: Float64Array, row: number): number {
    const input = this.acts[0]!;
    input.set(x.subarray(row * input.length, (row + 1) * input.length));
    const last = this.layers.length - 1;
    const p = this.params;
    for (let l = 0; l <= last; l++) {
      const { inputs, outputs, offset } = this.layers[l]!;
      const a = this.acts[l]!;
      const out = this.acts[l + 1]!;
      const biases = offset + outputs * inputs;
      for (let o = 0; o < outputs; o++) {
        let z = p[biases + o]!;
        const w = offset + o * inputs;
        for (let i = 0; i < inputs; i++) z += p[w + i]! * a[i]!;
        out[o] = l === last ? z : this.act(z);
      }
    }
    return this.acts[this.layers.length]![0]!;
  }

  /** Adds the gradient of the loss for the current forward pass, whose output gradient is `dLogit`. */
  private backward(dLogit: number, grad: Float64Array): void {
    const p = this.params;
    this.deltas[this.layers.length]![0] = dLogit;
    for (let l = this.layers.length - 1; l >= 0; l--) {
      const { inputs, outputs, offset } = this.layers[l]!;
      const a = this.acts[l]!;
      const delta = this.deltas[l + 1]!;
      const below = this.deltas[l]!;
      below.fill(0);
      const biases = offset + outputs * inputs;
      for (let o = 0; o < outputs; o++) {
        const d = delta[o]!;
        grad[biases + o]! += d;
        const w = offset + o * inputs;
        if (l > 0) {
          for (let i = 0; i < inputs; i++) {
            grad[w + i]! += d * a[i]!;
            below[i]! += d * p[w + i]!;
          }
        } else {
          // The input layer needs no delta; skipping it saves a third of the first layer's work.
          for (let i = 0; i < inputs; i++) grad[w + i]! += d * a[i]!;
        }
      }
      if (l > 0) for (let i = 0; i < inputs; i++) below[i]! *= this.actGrad(a[i]!);
    }
  }

  /** Trains in place. `rand` orders the mini-batches, so the same seed replays the same run. */
  train(data: Split, options: TrainOptions, rand: Uniform): TrainReport {
    const grad = new Float64Array(this.paramCount);
    const velocity = new Float64Array(this.paramCount);
    const lastGood = Float64Array.from(this.params);
    const order = Uint32Array.from({ length: data.rows }, (_, i) => i);
    for (let epoch = 0; epoch < options.epochs; epoch++) {
      shuffleInPlace(order, rand);
      let lossSum = 0;
      for (let start = 0; start < data.rows; start += options.batchSize) {
        const end = Math.min(start + options.batchSize, data.rows);
        grad.fill(0);
        for (let k = start; k < end; k++) {
          const row = order[k]!;
          const logit = this.forward(data.x, row);
          const label = data.y[row]!;
          lossSum += logLoss(logit, label);
          this.backward(sigmoid(logit) - label, grad);
        }
        this.step(grad, velocity, end - start, options);
      }
      // Invariant: `lastGood` always holds finite weights, so a diverged run still predicts something defined.
      if (!Number.isFinite(lossSum) || !this.params.every(Number.isFinite)) {
        this.params.set(lastGood);
        return { epochsCompleted: epoch, diverged: true };
      }
      lastGood.set(this.params);
    }
    return { epochsCompleted: options.epochs, diverged: false };
  }

  private step(grad: Float64Array, velocity: Float64Array, batch: number, options: TrainOptions): void {
    for (const { inputs, outputs, offset } of this.layers) {
      const weights = outputs * inputs;
      for (let i = offset; i < offset + weights + outputs; i++) {
        // L2 decay applies to weights only; decaying biases only shifts the decision boundary.
        const decay = i < offset + weights ? options.l2 * this.params[i]! : 0;
        const g = grad[i]! / batch + decay;
        velocity[i] = MOMENTUM * velocity[i]! - options.learningRate * g;
        this.params[i]! += velocity[i]!;
      }
    }
  }

  /** Accuracy at threshold 0.5 and mean log-loss over a split. */
  score(data: Split): Scores {
    let correct = 0;
    let loss = 0;
    for (let row = 0; row < data.rows; row++) {
      const logit = this.forward(data.x, row);
      const label = data.y[row]!;
      if ((logit > 0 ? 1 : 0) === label) correct++;
      loss += logLoss(logit, label);
    }
    return { accuracy: correct / data.rows, loss: loss / data.rows };
  }
}

function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

/** Binary cross-entropy on the logit, in the form that does not overflow for large |z|. */
function logLoss(z: number, label: number): number {
  return Math.max(z, 0) - z * label + Math.log1p(Math.exp(-Math.abs(z)));
}
