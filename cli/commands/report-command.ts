// `ouroboros report`: one self-contained HTML file of a run (archive heatmap, curves, operators, outcomes, lineage, LLM cost).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { reportData } from '../../engine/output/report-data.js';
import { RunReader } from '../../engine/output/run-reader.js';
import { reportPage } from '../report/report-page.js';

/** Default output: <db without .sqlite>.report.html beside the database. */
export function defaultReportPath(db: string): string {
  return resolve(db).replace(/(\.sqlite)?$/, '.report.html');
}

export function reportCommand(db: string, out: string | undefined): number {
  const reader = RunReader.open(db);
  try {
    const data = reportData(reader);
    const file = resolve(out ?? defaultReportPath(db));
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, reportPage(data));
    process.stdout.write(`wrote ${file}: ${data.archive.elites.length} elites, ${data.curves.overall.length} stored QD points, ${data.run.iterations} iterations; it opens offline in any browser\n`);
    return 0;
  } finally {
    reader.close();
  }
}
