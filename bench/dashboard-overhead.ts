// Does a live dashboard slow the search it watches? The quickstart search alone, and with `ouroboros serve`
// on its database and a client polling data.json (four times faster than the page does), alternated.
// Run: npm run bench:dashboard [-- --iterations N]. Prints figures and the ratio to the target; asserts nothing.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startRun } from '../index.js';

const TARGET = 0.95;
const root = fileURLToPath(new URL('..', import.meta.url));
const config = join(root, 'configs/quickstart.json');
const flag = process.argv.indexOf('--iterations');
const iterations = flag > 0 ? Number(process.argv[flag + 1]) : 700;
const dir = mkdtempSync(join(tmpdir(), 'ouroboros-bench-dashboard-'));
const workers = availableParallelism();

/** Starts `ouroboros serve` on `db` once the file exists, and a poller that fetches data.json every 250 ms. */
function watch(db: string): { stop: () => Promise<{ polls: number; rebuilds: number; meanMs: number }> } {
  let server: ChildProcess | undefined;
  let url: string | undefined;
  let polls = 0;
  let busyMs = 0;
  let stopped = false;
  const seen = new Set<number>();
  const start = () => {
    server = spawn(process.execPath, [join(root, 'dist/cli/main.js'), 'serve', db, '--port', '0'], { stdio: ['ignore', 'pipe', 'ignore'] });
    server.stdout!.on('data', (b: Buffer) => { url ??= /at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(b.toString())?.[1]; });
    server.on('exit', () => { if (!stopped && url === undefined) setTimeout(start, 100); });
  };
  setTimeout(start, 300);
  const timer = setInterval(async () => {
    if (url === undefined) return;
    const t0 = performance.now();
    try {
      const data = (await (await fetch(`${url}data.json`)).json()) as { run: { iterations: number } };
      polls++;
      busyMs += performance.now() - t0;
      seen.add(data.run.iterations);
    } catch { /* the server is starting */ }
  }, 250);
  return {
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      server?.kill('SIGINT');
      await new Promise((r) => server?.once('exit', r) ?? r(undefined));
      return { polls, rebuilds: seen.size, meanMs: polls ? busyMs / polls : 0 };
    },
  };
}

async function once(name: string, watched: boolean): Promise<number> {
  const db = join(dir, `${name}.sqlite`);
  const watcher = watched ? watch(db) : null;
  const r = await startRun(config, { db, workers, maxIterations: iterations });
  const rate = r.pool.evaluations / (r.pool.wallMs / 1000);
  const w = await watcher?.stop();
  console.log(`  ${name.padEnd(10)} ${rate.toFixed(1)} evaluations/s${w ? `; dashboard answered ${w.polls} polls (mean ${w.meanMs.toFixed(1)} ms) showing ${w.rebuilds} different states` : ''}`);
  return rate;
}

console.log(`dashboard overhead: quickstart, ${iterations} iterations, ${workers} workers, node ${process.version}; alone vs watched, alternated`);
const alone: number[] = [];
const watchedRates: number[] = [];
for (let round = 0; round < 2; round++) {
  alone.push(await once(`alone-${round}`, false));
  watchedRates.push(await once(`watched-${round}`, true));
}
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const ratio = mean(watchedRates) / mean(alone);
console.log(`watched / alone: ${ratio.toFixed(3)} (target at least ${TARGET}: ${ratio >= TARGET ? 'met' : 'missed'})`);
rmSync(dir, { recursive: true, force: true });
