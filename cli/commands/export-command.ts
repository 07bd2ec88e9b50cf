// `ouroboros export`: the archive as JSON Lines or CSV with its metadata header (engine/output/export-elites.ts), and optionally each elite's files.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { archiveHeader, elitesToCsv, elitesToJsonl, writeEliteFiles } from '../../engine/output/export-elites.js';
import { RunReader } from '../../engine/output/run-reader.js';

export function exportCommand(db: string, format: 'jsonl' | 'csv', out: string | undefined, filesDir: string | undefined): number {
  const reader = RunReader.open(db);
  try {
    const rows = reader.elites();
    const header = archiveHeader(reader);
    const text = format === 'csv' ? elitesToCsv(rows, header) : elitesToJsonl(rows, header);
    if (out === undefined) process.stdout.write(text);
    else {
      mkdirSync(dirname(resolve(out)), { recursive: true });
      writeFileSync(out, text);
      process.stderr.write(`wrote ${rows.length} elites to ${out}\n`);
    }
    if (filesDir !== undefined) {
      const n = writeEliteFiles(reader, resolve(filesDir));
      process.stderr.write(`wrote the files of ${n} elites under ${filesDir}\n`);
    }
    return 0;
  } finally {
    reader.close();
  }
}
