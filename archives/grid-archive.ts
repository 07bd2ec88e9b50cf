// GridArchive: an N-dimensional grid of cells over declared descriptor ranges or value lists, one elite per cell.
import type { ArchiveDescription, GridDimension } from './archive.js';
import { CellArchive } from './cell-archive.js';
import { GridLayout } from './grid-layout.js';

export interface GridArchiveOptions {
  /** Numeric dimensions ({name, min, max, bins}, common/types.ts DescriptorSpec) and categorical ones ({name, values}). */
  dimensions: GridDimension[];
  /** Subtracted from every fitness in the QD score so that negative fitness still counts (pyribs' offset). */
  qdOffset?: number;
  /** A challenger must beat the incumbent by more than this to replace it (default 0: ties keep the incumbent). */
  epsilon?: number;
}

/**
 * Cells are numbered row-major over the dimensions (the last dimension varies fastest; see
 * GridLayout for numeric bins and categorical indexes). A numeric value outside its declared range
 * goes to the edge cell and the add is flagged `clipped`; a NaN descriptor, an unknown categorical
 * value or a non-finite fitness is rejected with a reason. Ties keep the incumbent.
 */
export class GridArchive extends CellArchive {
  readonly kind = 'grid' as const;
  readonly dimensions: readonly GridDimension[];
  private readonly grid: GridLayout;

  constructor(options: GridArchiveOptions) {
    const grid = new GridLayout(options.dimensions);
    super(grid, options.qdOffset ?? 0, options.epsilon ?? 0);
    this.grid = grid;
    this.dimensions = options.dimensions;
  }

  /** Per-dimension bin indices of a cell, the inverse of the row-major numbering. */
  binsOf(cell: number): number[] {
    return this.grid.binsOf(cell);
  }

  describe(): ArchiveDescription {
    const dimensions = this.dimensions.map((d) => ('values' in d ? { ...d, values: [...d.values] } : { ...d }));
    return { kind: 'grid', qdOffset: this.qdOffset, epsilon: this.epsilon, dimensions };
  }
}
