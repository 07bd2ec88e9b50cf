// Feature transforms, the stack's preprocessing stage: raw inputs, standardised inputs, or standardised plus degree-2 terms.
import type { Split } from './dataset.js';

export const FEATURE_TRANSFORMS = ['raw', 'standardize', 'poly2'] as const;
export type FeatureTransform = (typeof FEATURE_TRANSFORMS)[number];

interface Scaling {
  mean: Float64Array;
  std: Float64Array;
}

/** Statistics come from the training rows only, so validation data never leaks into preprocessing. */
function fitScaling(split: Split): Scaling {
  const mean = new Float64Array(split.dim);
  const std = new Float64Array(split.dim);
  for (let r = 0; r < split.rows; r++) {
    for (let d = 0; d < split.dim; d++) mean[d]! += split.x[r * split.dim + d]!;
  }
  for (let d = 0; d < split.dim; d++) mean[d]! /= split.rows;
  for (let r = 0; r < split.rows; r++) {
    for (let d = 0; d < split.dim; d++) {
      const diff = split.x[r * split.dim + d]! - mean[d]!;
      std[d]! += diff * diff;
    }
  }
  // The floor keeps a constant column from dividing by zero.
  for (let d = 0; d < split.dim; d++) std[d] = Math.sqrt(std[d]! / split.rows) || 1;
  return { mean, std };
}

/** Output width of a transform for `dim` raw inputs: poly2 adds d squares and d(d-1)/2 products. */
export function transformedDim(transform: FeatureTransform, dim: number): number {
  return transform === 'poly2' ? dim + dim + (dim * (dim - 1)) / 2 : dim;
}

function apply(split: Split, transform: FeatureTransform, scaling: Scaling): Split {
  const outDim = transformedDim(transform, split.dim);
  const x = new Float64Array(split.rows * outDim);
  const z = new Float64Array(split.dim);
  for (let r = 0; r < split.rows; r++) {
    for (let d = 0; d < split.dim; d++) {
      const v = split.x[r * split.dim + d]!;
      z[d] = transform === 'raw' ? v : (v - scaling.mean[d]!) / scaling.std[d]!;
    }
    const o = r * outDim;
    x.set(z, o);
    if (transform === 'poly2') {
      let k = o + split.dim;
      for (let i = 0; i < split.dim; i++) {
        for (let j = i; j < split.dim; j++) x[k++] = z[i]! * z[j]!;
      }
    }
  }
  return { x, y: split.y, rows: split.rows, dim: outDim };
}

/** Fits the transform on `train` and applies the same mapping to both splits. */
export function transformFeatures(
  transform: FeatureTransform,
  train: Split,
  validation: Split,
): { train: Split; validation: Split } {
  const scaling = fitScaling(train);
  return { train: apply(train, transform, scaling), validation: apply(validation, transform, scaling) };
}
