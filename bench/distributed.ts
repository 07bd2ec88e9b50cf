// Scale-out through the queue: a 40 ms CPU-bound evaluator run on the local pool and through `ouroboros worker`
// processes (1, 2 and 4, one evaluation each) on a redis-server of the bench's own, at the same total concurrency;
// then the coordinator's own cost per job with a no-op evaluator (main-thread CPU time and Redis commands per job),
// from which docs/distributed.md estimates how many workers one coordinator can feed.
// Run: npm run bench:distributed [-- --iterations N --noop N]. Needs redis-server. Prints figures; asserts nothing.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { startRun } from '../engine/runs/run.js';
import { argNumber, machine } from './bench-support.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const iterations = argNumber('iterations', 400);
const noopIterations = argNumber('noop', 3000);
const dir = mkdtempSync(join(tmpdir(), 'ouroboros-bench-distributed-'));
const port = 20000 + (process.pid % 20000);
const url = `redis://127.0.0.1:${port}`;

function config(name: string, n: number): string {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify({
    problem: join(root, 'tests/fixtures/problems/sphere'), seed: 3, pipelineDepth: 16, budget: { iterations: n },
    operators: [{ type: 'param-mutation', weight: 3, sigma: 0.3 }, { type: 'param-crossover', weight: 1 }],
    islands: { count: 1 }, archive: { metricsInterval: 50 },
  }));
  return file;
}

const redisCommands = (): number => {
  const info = spawnSync('redis-cli', ['-p', String(port), 'info', 'commandstats'], { encoding: 'utf8' }).stdout;
  return [...info.matchAll(/calls=(\d+)/g)].reduce((s, m) => s + Number(m[1]), 0);
};

/** One search: local (`workers` threads) or queued (`workers` worker processes of concurrency 1). Evaluations per second of wall time, and the coordinator's CPU per evaluation. */
async function measure(name: string, n: number, workers: number, queued: boolean, busyMs: number) {
  process.env.SPHERE_BUSY_MS = String(busyMs);
  process.env.SPHERE_JITTER_MS = '0';
  const procs: ChildProcess[] = [];
  if (queued) {
    for (let k = 0; k < workers; k++) {
      procs.push(spawn(process.execPath, [join(root, 'dist/cli/main.js'), 'worker', url, '--concurrency', '1', '--cache', join(dir, 'cache'), '--quiet'], { stdio: 'ignore', env: process.env }));
    }
    await new Promise((r) => setTimeout(r, 1500));
  }
  const commandsBefore = queued ? redisCommands() : 0;
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  const result = await startRun(config(name, n), { db: join(dir, `${name}.sqlite`), workers, ...(queued ? { queue: { url } } : {}) });
  const seconds = (performance.now() - t0) / 1000;
  const used = process.cpuUsage(cpu);
  const commands = queued ? redisCommands() - commandsBefore : 0;
  for (const p of procs) p.kill('SIGINT');
  await Promise.all(procs.map((p) => new Promise((r) => (p.exitCode !== null ? r(null) : p.once('exit', r)))));
  const evaluations = result.pool.evaluations;
  return { evaluations, seconds, rate: evaluations / seconds, cpuMsPerJob: (used.user + used.system) / 1000 / evaluations, commandsPerJob: commands / evaluations };
}

const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
try {
  await new Promise((r) => setTimeout(r, 500));
  console.log(`distributed bench: ${machine()}; ${iterations} iterations of a 40 ms CPU-bound evaluator (pipelineDepth 16), redis-server on loopback`);
  console.log(`  ${'setup'.padEnd(34)}${'evaluations/s'.padStart(14)}${'of local'.padStart(10)}${'coordinator CPU/job'.padStart(22)}${'Redis commands/job'.padStart(20)}`);
  for (const workers of [1, 2, 4]) {
    const local = await measure(`local-${workers}`, iterations, workers, false, 40);
    const queued = await measure(`queued-${workers}`, iterations, workers, true, 40);
    console.log(`  ${`local pool, ${workers} thread(s)`.padEnd(34)}${local.rate.toFixed(1).padStart(14)}${'1.000'.padStart(10)}${'(evaluates itself)'.padStart(22)}${'-'.padStart(20)}`);
    console.log(`  ${`queue, ${workers} worker process(es)`.padEnd(34)}${queued.rate.toFixed(1).padStart(14)}${(queued.rate / local.rate).toFixed(3).padStart(10)}${`${queued.cpuMsPerJob.toFixed(2)} ms`.padStart(22)}${queued.commandsPerJob.toFixed(1).padStart(20)}`);
  }
  const noop = await measure('noop', noopIterations, 4, true, 0);
  console.log(`\nno-op evaluator, 4 worker processes, ${noopIterations} iterations: ${noop.rate.toFixed(0)} jobs/s; the coordinator spends ${noop.cpuMsPerJob.toFixed(2)} ms of CPU per job`);
  console.log(`  (engine and queue together) and Redis runs ${noop.commandsPerJob.toFixed(1)} commands per job (coordinator and workers).`);
  console.log(`  At that cost one coordinator core sustains about ${(1000 / noop.cpuMsPerJob).toFixed(0)} jobs/s: ${(1000 / noop.cpuMsPerJob * 0.04).toFixed(0)} workers busy with 40 ms evaluations, ${(1000 / noop.cpuMsPerJob).toFixed(0)} with 1 s ones.`);
  console.log('\ntarget: queued throughput >= 0.85 of the local pool at the same total concurrency (this machine has 2 cores: 4 processes share them).');
} finally {
  redis.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}
