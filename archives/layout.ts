// The Layout contract: how descriptor vectors map to cells (a grid or a CVT), shared by every archive built on cells.
import type { Elite } from './archive.js';

/**
 * A tessellation of the descriptor space into `totalCells` numbered cells. Pure and synchronous;
 * locate() is the hot path of every insertion, so it reports through fields instead of allocating.
 */
export interface Layout {
  readonly totalCells: number;
  /** Descriptor names, in the order of the descriptor vector. */
  readonly names: readonly string[];
  /**
   * Cell of a descriptor vector already checked for length and NaN (see rejectionOf), or -1 when a
   * value cannot be placed (an unknown categorical value; problem() says why). Sets `clipped` when
   * a numeric value outside its range was moved to the edge.
   */
  locate(descriptors: readonly number[]): number;
  clipped: boolean;
  problem(descriptors: readonly number[]): string;
  /** Length of the normalised coordinates embed() writes: what novelty distances are measured in. */
  readonly embeddingSize: number;
  /** Writes normalised coordinates (each numeric range mapped to [0, 1] after clipping) at `out[offset..]`. */
  embed(descriptors: readonly number[], out: Float64Array, offset: number): void;
}

/** Why an elite cannot enter an archive on this layout, or null when it can be located. */
export function rejectionOf(layout: Layout, elite: Elite): string | null {
  if (!Number.isFinite(elite.fitness)) return `fitness is ${elite.fitness}`;
  const d = elite.descriptors;
  if (d.length !== layout.names.length) return `expected ${layout.names.length} descriptors, got ${d.length}`;
  for (let i = 0; i < d.length; i++) if (Number.isNaN(d[i])) return `descriptor ${layout.names[i]} is NaN`;
  return null;
}

/** Clips v to [min, max]; used by every numeric layout so that clipping means the same everywhere. */
export function clip(v: number, min: number, max: number): number {
  return v < min ? min : v > max ? max : v;
}
