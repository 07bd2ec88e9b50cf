// Writes a run's archive as JSON Lines or CSV with a metadata header (the "ouroboros-archive" format), or one folder of files per elite.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, normalize, sep } from 'node:path';
import type { ArchiveDescription } from '../../archives/archive.js';
import { StorageError } from '../../common/errors.js';
import { isCategoricalSpec, type DescriptorSpec } from '../../common/types.js';
import { archiveKind, type EliteRow, type RunReader } from './run-reader.js';
import { ENGINE_VERSION } from '../runs/run.js';

/**
 * How column `measures_k` reads: `number` is the raw descriptor value as the evaluator gave it
 * (never clipped); `categorical-index` is the index of the value in the descriptor's `values`
 * (its readable value is in `descriptor_<name>`).
 */
export interface MeasureColumn {
  name: string;
  descriptor: string;
  kind: 'number' | 'categorical-index';
}

/**
 * The metadata of an exported archive, written once before the elites: in JSON Lines as the first
 * line `{"header": {...}}`, in CSV as the first line `# ouroboros-archive {...}` (one line of JSON),
 * so `pandas.read_csv(path, comment='#')` reads the table and `json.loads(line[20:])` the header.
 */
export interface ArchiveHeader {
  format: 'ouroboros-archive';
  /** Bumped whenever a column or key changes meaning or disappears; new columns do not bump it. */
  formatVersion: 1;
  /** The engine version that created the run (null for a run that did not record it). */
  engineVersion: string | null;
  /** The engine version that wrote this export. */
  exportedBy: string;
  /** The run database's absolute path. */
  run: string;
  createdAt: string | null;
  seed: number;
  /** Committed iterations when the export was written. */
  iterations: number;
  /** Number of islands; the `island` column runs from 0 to islands - 1. */
  islands: number;
  /**
   * `type` as status names it ("grid", "cvt", "soft over grid", "novelty over cvt"); `description`
   * is the stored ArchiveDescription: grid dimensions (ranges and bins, or categorical values), CVT
   * ranges and centroids (the `index` column is the centroid's index), qdOffset and epsilon, and the
   * soft (learningRate, thresholdMin) or novelty (neighbours, threshold) parameters around `result`.
   */
  archive: { type: string; description: ArchiveDescription };
  /** The QD offset of the result archive: QD score is the sum of (objective - qdOffset). */
  qdOffset: number;
  /** The problem's descriptor specs, in measure order. */
  descriptors: DescriptorSpec[];
  /** One entry per `measures_k` column, in order. */
  measures: MeasureColumn[];
}

/** The header of a run's export, read from its database. */
export function archiveHeader(reader: RunReader): ArchiveHeader {
  const description = reader.archiveDescription();
  const descriptors = reader.descriptors();
  return {
    format: 'ouroboros-archive', formatVersion: 1,
    engineVersion: reader.meta<string>('engineVersion') ?? null, exportedBy: ENGINE_VERSION,
    run: reader.path, createdAt: reader.meta<string>('createdAt') ?? null,
    seed: reader.config().seed, iterations: reader.status().iterations, islands: reader.config().islands.count,
    archive: { type: archiveKind(description), description }, qdOffset: cellArchive(description).qdOffset,
    descriptors, measures: measureColumns(descriptors),
  };
}

/** The `measures_k` columns of a descriptor list. */
export function measureColumns(descriptors: DescriptorSpec[]): MeasureColumn[] {
  return descriptors.map((d, k) => ({ name: `measures_${k}`, descriptor: d.name, kind: isCategoricalSpec(d) ? 'categorical-index' : 'number' }));
}

/**
 * JSON Lines: the line `{"header": {...}}`, then one object per elite, by island then cell, with
 * the keys index (the cell of the result archive: a soft or novelty archive's grid or CVT), objective (fitness),
 * measures_0..measures_{k-1} (the stored numbers, see MeasureColumn), threshold (a soft archive's
 * acceptance threshold for the cell, otherwise the objective: what a challenger must beat), island,
 * descriptor_<name> (readable: a categorical value's name, otherwise the number), descriptors
 * ({name: readable value}), metrics and private_metrics (objects; private_metrics {} when none),
 * recheck_spread (null when the elite was not re-checked), variant_id, parent_ids (array),
 * operator and iteration (the iteration that created the variant).
 *
 * Given a bare descriptor list instead of a header, writes the elite lines alone.
 */
export function elitesToJsonl(rows: EliteRow[], format: ArchiveHeader | DescriptorSpec[]): string {
  const { header, descriptors } = split(format);
  const lines = rows.map((r) => {
    const readable = descriptors.map((d, k) => readableValue(d, r.descriptors[k]));
    return JSON.stringify({
      index: r.cell, objective: r.fitness, ...Object.fromEntries(descriptors.map((_, k) => [`measures_${k}`, r.descriptors[k] ?? null])),
      threshold: r.threshold, island: r.island, ...Object.fromEntries(descriptors.map((d, k) => [`descriptor_${d.name}`, readable[k]])),
      descriptors: Object.fromEntries(descriptors.map((d, k) => [d.name, readable[k]])),
      metrics: r.metrics, private_metrics: r.privateMetrics, recheck_spread: r.recheckSpread,
      variant_id: r.variantId, parent_ids: r.parentIds, operator: r.operator, iteration: r.iteration,
    });
  });
  return (header ? [JSON.stringify({ header }), ...lines] : lines).map((l) => l + '\n').join('');
}

/**
 * CSV: the line `# ouroboros-archive {header JSON}`, then RFC 4180 rows under a header row. Columns,
 * in order: index, objective, measures_0..measures_{k-1}, threshold, island, descriptor_<name> per
 * descriptor, metric_<name> and private_<name> (each the union over elites, sorted; empty where an
 * elite lacks it), recheck_spread (empty when not re-checked), variant_id, parent_ids (space-separated),
 * operator, iteration; the meanings are those of elitesToJsonl. A field holding a comma, quote,
 * newline or `#` is quoted (an unquoted `#` would start a pandas comment).
 *
 * Given a bare descriptor list instead of a header, writes the table alone.
 */
export function elitesToCsv(rows: EliteRow[], format: ArchiveHeader | DescriptorSpec[]): string {
  const { header, descriptors } = split(format);
  const metricNames = [...new Set(rows.flatMap((r) => Object.keys(r.metrics)))].sort();
  const privateNames = [...new Set(rows.flatMap((r) => Object.keys(r.privateMetrics)))].sort();
  const columns = ['index', 'objective', ...descriptors.map((_, k) => `measures_${k}`), 'threshold', 'island', ...descriptors.map((d) => `descriptor_${d.name}`),
    ...metricNames.map((m) => `metric_${m}`), ...privateNames.map((m) => `private_${m}`), 'recheck_spread', 'variant_id', 'parent_ids', 'operator', 'iteration'];
  const lines = rows.map((r) => [
    r.cell, r.fitness, ...descriptors.map((_, k) => r.descriptors[k] ?? ''), r.threshold, r.island, ...descriptors.map((d, k) => readableValue(d, r.descriptors[k]) ?? ''),
    ...metricNames.map((m) => r.metrics[m] ?? ''), ...privateNames.map((m) => r.privateMetrics[m] ?? ''),
    r.recheckSpread ?? '', r.variantId, r.parentIds.join(' '), r.operator, r.iteration,
  ].map(csvField).join(','));
  const comment = header ? [`# ouroboros-archive ${JSON.stringify(header)}`] : [];
  return [...comment, columns.map(csvField).join(','), ...lines].join('\n') + '\n';
}

function split(format: ArchiveHeader | DescriptorSpec[]): { header: ArchiveHeader | null; descriptors: DescriptorSpec[] } {
  return Array.isArray(format) ? { header: null, descriptors: format } : { header: format, descriptors: format.descriptors };
}

/** A categorical descriptor's value name for a stored index (the number itself if it names no value). */
function readableValue(d: DescriptorSpec, stored: number | undefined): string | number | null {
  if (stored === undefined) return null;
  return isCategoricalSpec(d) && Number.isInteger(stored) && stored >= 0 && stored < d.values.length ? d.values[stored]! : stored;
}

/** The grid or CVT under a soft or novelty rule: where the cells and the QD offset are. */
function cellArchive(d: ArchiveDescription): Extract<ArchiveDescription, { qdOffset: number }> {
  return d.kind === 'soft' || d.kind === 'novelty' ? cellArchive(d.result) : d;
}

function csvField(value: unknown): string {
  const text = String(value);
  return /[",\n\r#]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * Writes each elite's files under `dir/island-<k>/cell-<n>-<id>/`, plus elite.json with its
 * evaluation. File names come from the run database, so a name that climbs out of its folder
 * (`../x`) is refused rather than written.
 */
export function writeEliteFiles(reader: RunReader, dir: string): number {
  let count = 0;
  for (const row of reader.elites()) {
    const shown = reader.variant(row.variantId);
    if ('error' in shown) continue;
    const folder = join(dir, `island-${row.island}`, `cell-${row.cell}-${row.variantId}`);
    writeVariantFiles(shown.variant.files, folder);
    writeFileSync(join(folder, 'elite.json'), JSON.stringify({ ...row, evaluation: shown.evaluation }, null, 2) + '\n');
    count++;
  }
  return count;
}

/** Writes a variant's files under `folder`, refusing any name that would land outside it. */
export function writeVariantFiles(files: Record<string, string>, folder: string): void {
  const root = normalize(folder);
  for (const [name, text] of Object.entries(files)) {
    const target = normalize(join(root, name));
    if (!target.startsWith(root + sep)) throw new StorageError(`refusing to write a variant file named ${name}: it would land outside ${root}`);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, text);
  }
}
