// Measures the quickstart search: evaluations per second and the pool's CPU utilisation, with 1 worker and with every core.
// Run: npm run bench:quickstart [-- --iterations N]. Prints figures; asserts nothing.
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RunReader, startRun } from '../index.js';

const config = fileURLToPath(new URL('../configs/quickstart.json', import.meta.url));
const flag = process.argv.indexOf('--iterations');
const iterations = flag > 0 ? Number(process.argv[flag + 1]) : 600;
const dir = mkdtempSync(join(tmpdir(), 'ouroboros-bench-'));
const cores = availableParallelism();

console.log(`quickstart throughput: ${iterations} iterations, ${cores} cores (${cpus()[0]?.model ?? 'unknown cpu'}), node ${process.version}`);
const rows: Array<{ workers: number; perSecond: number; utilisation: number; wallS: number }> = [];
for (const workers of [...new Set([1, cores])]) {
  const db = join(dir, `w${workers}.sqlite`);
  const r = await startRun(config, { db, workers, maxIterations: iterations });
  const perSecond = r.pool.evaluations / (r.pool.wallMs / 1000);
  rows.push({ workers, perSecond, utilisation: r.pool.utilisation, wallS: r.pool.wallMs / 1000 });
  const reader = RunReader.open(db);
  const s = reader.status();
  reader.close();
  console.log(`  ${workers} worker(s): ${r.pool.evaluations} evaluations in ${(r.pool.wallMs / 1000).toFixed(1)} s = ${perSecond.toFixed(1)} evaluations/s; ` +
    `pool utilisation (worker busy time / (wall time x workers)) ${(r.pool.utilisation * 100).toFixed(1)}%; best ${s.best?.fitness.toFixed(4)}, coverage ${(s.archive.coverage * 100).toFixed(0)}%`);
}
if (rows.length === 2) {
  console.log(`  speed-up with ${cores} workers over 1, same run: ${(rows[1]!.perSecond / rows[0]!.perSecond).toFixed(2)}x (ideal ${cores}x)`);
}
rmSync(dir, { recursive: true, force: true });
