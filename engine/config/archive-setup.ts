// The run's archive: its description from the config and the problem's descriptors, the islands built on it, and what selection needs from them.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Archive, ArchiveDescription, Elite, GridDimension } from '../../archives/archive.js';
import { CvtArchive } from '../../archives/cvt-archive.js';
import { cellLayoutOf, IslandModel } from '../../archives/island-model.js';
import { noveltyScores, type SelectionInfo, type SelectionStrategy } from '../../archives/parent-selection.js';
import { ConfigError } from '../../common/errors.js';
import { rngFor } from '../../common/rng.js';
import type { DescriptorSpec } from '../../common/types.js';
import type { RunConfig } from './config-schema.js';

/**
 * The archive a new run uses, as plain data (stored in the run as meta `archive`, so that a resume
 * or a fork never recomputes k-means). Bad combinations are reported as a ConfigError naming the
 * config file and field.
 */
export function describeArchive(config: RunConfig, descriptors: readonly DescriptorSpec[], configPath: string): ArchiveDescription {
  const a = config.archive;
  // Every problem is reported at once, each naming its field.
  const problems: string[] = [];
  const categorical = descriptors.findIndex((d) => 'values' in d);
  if (a.layout === 'cvt' && categorical >= 0) problems.push(`archive.layout: "cvt" needs numeric descriptors, but the problem's descriptors[${categorical}] (${descriptors[categorical]!.name}) is categorical; use layout "grid"`);
  if (a.rule === 'soft' && a.soft.thresholdMin === undefined && a.soft.learningRate < 1) problems.push(`archive.soft.thresholdMin: required when learningRate is below 1 (got learningRate ${a.soft.learningRate}); a value just below the worst fitness you expect`);
  if (problems.length > 0) throw new ConfigError(configPath, problems);
  let cells: ArchiveDescription;
  if (a.layout === 'grid') {
    cells = gridOf(config, descriptors);
  } else {
    const ranges = descriptors.map((d) => ({ name: d.name, min: (d as { min: number }).min, max: (d as { max: number }).max }));
    let archive: CvtArchive;
    try {
      archive = a.cvt.centroids !== undefined
        ? new CvtArchive({ ranges, centroids: readCentroids(resolve(configPath, '..', a.cvt.centroids)), clip: a.cvt.clip, qdOffset: a.qdOffset, epsilon: a.epsilon })
        : new CvtArchive({ ranges, cells: a.cvt.cells, rng: rngFor(config.seed, 0, 'cvt-centroids'), iterations: a.cvt.iterations, ...(a.cvt.samples !== undefined ? { samples: a.cvt.samples } : {}), clip: a.cvt.clip, qdOffset: a.qdOffset, epsilon: a.epsilon });
    } catch (error) {
      if (error instanceof ConfigError) throw error;
      throw new ConfigError(configPath, [`archive.cvt: ${(error as Error).message}`]);
    }
    cells = archive.describe();
  }
  if (a.rule === 'soft') return { kind: 'soft', learningRate: a.soft.learningRate, thresholdMin: a.soft.thresholdMin ?? null, result: cells };
  if (a.rule === 'novelty') return { kind: 'novelty', neighbours: a.novelty.neighbours, threshold: a.novelty.threshold, result: cells };
  return cells;
}

function readCentroids(path: string): number[][] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError(path, [`archive.cvt.centroids: cannot read the centroids: ${(error as Error).message}`]);
  }
  if (!Array.isArray(parsed) || parsed.length === 0 || !parsed.every((c) => Array.isArray(c) && c.every((x) => typeof x === 'number' && Number.isFinite(x)))) {
    throw new ConfigError(path, ['archive.cvt.centroids: must be a non-empty JSON array of centroids, each an array of finite numbers (one per descriptor)']);
  }
  return parsed as number[][];
}

/**
 * The archive a stored run uses: meta `archive`, or for a run written before archives other than
 * the grid existed, the grid its problem's descriptors and its config describe.
 */
export function storedArchive(stored: ArchiveDescription | undefined, config: RunConfig, descriptors: readonly DescriptorSpec[]): ArchiveDescription {
  return stored ?? gridOf(config, descriptors);
}

/** The grid over the problem's descriptors (categorical ones one bin per value), with the config's offset and epsilon. */
function gridOf(config: RunConfig, descriptors: readonly DescriptorSpec[]): ArchiveDescription {
  return { kind: 'grid', qdOffset: config.archive.qdOffset, epsilon: config.archive.epsilon, dimensions: descriptors.map((d) => ({ ...d }) as GridDimension) };
}

/** The run's islands over an archive description, with the migration and reset settings of its config. */
export function islandsFor(config: RunConfig, archive: ArchiveDescription): IslandModel {
  const { count, migrationInterval, migrationRate, topology, stagnation, survivors } = config.islands;
  return new IslandModel({ count, archive, migration: { interval: migrationInterval, rate: migrationRate, topology }, reset: { stagnation, survivors } });
}

/**
 * What the selection strategies need besides the elites: how many children each variant has had,
 * and (computed only when asked) each elite's novelty among the island's elites: the mean distance
 * to its nearest neighbours in the normalised descriptor space the archive measures in.
 */
export function selectionInfo(archive: Archive, elites: readonly Elite[], selection: SelectionStrategy, children: ReadonlyMap<string, number>): SelectionInfo {
  return {
    children: (id) => children.get(id) ?? 0,
    novelty: () => {
      const layout = cellLayoutOf(archive);
      if (layout === null) return new Float64Array(elites.length);
      const size = layout.embeddingSize;
      const coords = new Float64Array(elites.length * size);
      elites.forEach((e, k) => layout.embed(e.descriptors, coords, k * size));
      return noveltyScores(coords, elites.length, size, selection.strategy === 'novelty' ? selection.neighbours : 5);
    },
  };
}
