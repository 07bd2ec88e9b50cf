// Writes a run's elites as JSON Lines, CSV, or one folder of files per elite.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, normalize, sep } from 'node:path';
import { StorageError } from '../common/errors.js';
import type { DescriptorSpec } from '../common/types.js';
import type { EliteRow, RunReader } from './run-reader.js';

/** One JSON object per line, one line per elite. Descriptor values are keyed by descriptor name. */
export function elitesToJsonl(rows: EliteRow[], descriptors: DescriptorSpec[]): string {
  return rows.map((r) => JSON.stringify({
    cell: r.cell, island: r.island, fitness: r.fitness,
    descriptors: Object.fromEntries(descriptors.map((d, i) => [d.name, r.descriptors[i]])),
    metrics: r.metrics, privateMetrics: r.privateMetrics, recheckSpread: r.recheckSpread, variantId: r.variantId, parentIds: r.parentIds, operator: r.operator, iteration: r.iteration,
  }) + '\n').join('');
}

/**
 * RFC 4180 CSV with a header; metrics become metric_<name> columns and private metrics private_<name>
 * columns (each the union over elites, sorted); recheck_spread is empty for an elite not re-checked.
 */
export function elitesToCsv(rows: EliteRow[], descriptors: DescriptorSpec[]): string {
  const metricNames = [...new Set(rows.flatMap((r) => Object.keys(r.metrics)))].sort();
  const privateNames = [...new Set(rows.flatMap((r) => Object.keys(r.privateMetrics)))].sort();
  const header = ['cell', 'island', 'fitness', ...descriptors.map((d) => `descriptor_${d.name}`), ...metricNames.map((m) => `metric_${m}`),
    ...privateNames.map((m) => `private_${m}`), 'recheck_spread', 'variant_id', 'parent_ids', 'operator', 'iteration'];
  const lines = rows.map((r) => [
    r.cell, r.island, r.fitness, ...r.descriptors, ...metricNames.map((m) => r.metrics[m] ?? ''), ...privateNames.map((m) => r.privateMetrics[m] ?? ''),
    r.recheckSpread ?? '', r.variantId, r.parentIds.join(' '), r.operator, r.iteration,
  ].map(csvField).join(','));
  return [header.map(csvField).join(','), ...lines].join('\n') + '\n';
}

function csvField(value: unknown): string {
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
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
