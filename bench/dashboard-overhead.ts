// Does a live dashboard slow the search it watches? The quickstart search alone, and with `ouroboros serve`
// on its database and a client process polling data.json (four times as often as the page does), alternated.
// Starting the server and the client (two Node processes) is counted against the watched run.
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
const iterations = flag > 0 ? Number(process.argv[flag + 1]) : 2200;
const dir = mkdtempSync(join(tmpdir(), 'ouroboros-bench-dashboard-'));
const workers = availableParallelism();

/** A page's polling, in its own process as a browser would be: fetches data.json every 250 ms and reports what it saw. */
const POLLER = `
const url = process.argv[1];
let polls = 0, busy = 0; const seen = new Set();
const timer = setInterval(async () => {
  const t0 = performance.now();
  try { const d = await (await fetch(url + 'data.json')).json(); polls++; busy += performance.now() - t0; seen.add(d.run.iterations); } catch {}
}, 250);
process.on('SIGINT', () => { clearInterval(timer); process.stdout.write(JSON.stringify({ polls, rebuilds: seen.size, meanMs: polls ? busy / polls : 0 })); process.exit(0); });
`;

/** Starts \`ouroboros serve\` on \`db\` once the file exists, then the poller; stop() ends both and returns the poller's figures. */
function watch(db: string): { stop: () => Promise<{ polls: number; rebuilds: number; meanMs: number }> } {
  let server: ChildProcess | undefined;
  let poller: ChildProcess | undefined;
  let stopped = false;
  let out = '';
  const start = () => {
    server = spawn(process.execPath, [join(root, 'dist/cli/main.js'), 'serve', db, '--port', '0'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let url: string | undefined;
    server.stdout!.on('data', (b: Buffer) => {
      url ??= /at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(b.toString())?.[1];
      if (url !== undefined && poller === undefined && !stopped) {
        poller = spawn(process.execPath, ['-e', POLLER, url], { stdio: ['ignore', 'pipe', 'ignore'] });
        poller.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
      }
    });
    server.on('exit', () => { if (!stopped && url === undefined) setTimeout(start, 100); });
  };
  setTimeout(start, 300);
  return {
    stop: async () => {
      stopped = true;
      const ended = poller ? new Promise((r) => poller!.once('exit', r)) : Promise.resolve();
      poller?.kill('SIGINT');
      await ended;
      server?.kill('SIGINT');
      await new Promise((r) => (server && server.exitCode === null ? server.once('exit', r) : r(undefined)));
      return out ? (JSON.parse(out) as { polls: number; rebuilds: number; meanMs: number }) : { polls: 0, rebuilds: 0, meanMs: 0 };
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
