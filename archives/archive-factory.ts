// archiveFromDescription: rebuilds an empty archive of any kind from what describe() returned (for a stored run).
import type { Archive, ArchiveDescription } from './archive.js';
import type { CellArchive } from './cell-archive.js';
import { CvtArchive } from './cvt-archive.js';
import { GridArchive } from './grid-archive.js';
import { NoveltyArchive } from './novelty-archive.js';
import { SoftArchive } from './soft-archive.js';

/**
 * An empty archive equal in shape and rules to the one described: archiveFromDescription(a.describe())
 * accepts and rejects exactly as a fresh `a` would. Throws a RangeError on a description the
 * constructors refuse (their messages), or a result archive that is not a grid or a CVT.
 */
export function archiveFromDescription(d: ArchiveDescription): Archive {
  switch (d.kind) {
    case 'grid':
      return new GridArchive({ dimensions: d.dimensions, qdOffset: d.qdOffset, epsilon: d.epsilon });
    case 'cvt':
      return new CvtArchive({ ranges: d.ranges, centroids: d.centroids, qdOffset: d.qdOffset, epsilon: d.epsilon, clip: d.clip ?? true });
    case 'soft':
      return new SoftArchive({ result: elitist(d.result), learningRate: d.learningRate, thresholdMin: d.thresholdMin ?? -Infinity });
    case 'novelty':
      return new NoveltyArchive({ result: elitist(d.result), neighbours: d.neighbours, threshold: d.threshold });
  }
}

function elitist(d: ArchiveDescription): CellArchive {
  if (d.kind !== 'grid' && d.kind !== 'cvt') throw new RangeError(`a result archive must be a grid or a CVT, not ${d.kind}`);
  return archiveFromDescription(d) as CellArchive;
}
