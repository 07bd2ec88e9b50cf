// Measures the LLM side of a run: proposals per second at a fixed endpoint latency and requests in flight, and the engine's main-thread time per LLM call.
// Run: npm run bench:llm. Prints figures; asserts nothing. The loopback LLM runs in a child process, so that its work is not counted as the engine's.
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { contentId, LlmOperator, loadProblem, rngFor, startRun, type LlmService } from '../index.js';
import { loadTemplates } from '../engine/llm/llm-setup.js';
import { RunStore } from '../engine/store/run-store.js';
import { composeAnswer } from '../examples/loopback-llm/mutating-answer.js';
import { startMutatingLlm, type MutatingLlmStats } from '../examples/loopback-llm/mutating-llm-server.js';
import { verdict } from './bench-support.js';

const self = fileURLToPath(import.meta.url);
const problemDir = fileURLToPath(new URL('../examples/circle-packing/', import.meta.url));

/** Child mode: the loopback LLM, driven over IPC ('stats', 'close'). */
async function serve(latencyMs: number): Promise<void> {
  const llm = await startMutatingLlm({ latencyMs, jitterMs: 0 });
  process.send!({ baseURL: llm.baseURL });
  process.on('message', (m) => {
    if (m === 'stats') process.send!(llm.stats());
    else if (m === 'close') void llm.close().then(() => process.disconnect());
  });
}

const nextMessage = <T>(child: ChildProcess): Promise<T> => new Promise((resolve) => child.once('message', (m) => resolve(m as T)));

/** CPU time of the main thread alone (Linux: /proc/self/task/<pid>/stat, in USER_HZ = 100 ticks/s); null elsewhere. */
function mainThreadCpuMs(): number | null {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return null;
  }
}

/** Least-squares slope of count against time: the rate of a bursty arrival process, unbiased by where the bursts fall. */
function rate(times: number[]): number {
  const n = times.length;
  if (n < 2) return NaN;
  const mt = times.reduce((a, b) => a + b, 0) / n;
  const mk = (n - 1) / 2;
  let cov = 0, v = 0;
  times.forEach((t, k) => { cov += (t - mt) * (k - mk); v += (t - mt) ** 2; });
  return v === 0 ? NaN : (cov / v) * 1000;
}

// Every answer's arrival, seen at the HTTP seam: the openai client takes globalThis.fetch when the run creates it.
const arrivals: number[] = [];
let open = 0, maxOpen = 0;
const realFetch = globalThis.fetch;
globalThis.fetch = async (...args: Parameters<typeof fetch>) => {
  maxOpen = Math.max(maxOpen, ++open);
  try { return await realFetch(...args); } finally { open--; arrivals.push(performance.now()); }
};
// Every commit's time, seen at the storage seam (progress reports are throttled to one per 100 ms, too coarse for waves of commits).
const commitTimes: number[] = [];
const realCommit = RunStore.prototype.commit;
RunStore.prototype.commit = function (this: RunStore, ...args: Parameters<RunStore['commit']>) {
  const result = realCommit.apply(this, args);
  commitTimes.push(performance.now());
  return result;
};

interface Scenario { latencyMs: number; maxInFlight: number; pipelineDepth: number; iterations: number }

async function runScenario(dir: string, s: Scenario) {
  const name = `lat${s.latencyMs}-${s.iterations}`;
  const config = join(dir, `${name}.json`);
  writeFileSync(config, JSON.stringify({
    problem: problemDir, seed: 7, pipelineDepth: s.pipelineDepth, budget: { iterations: s.iterations }, evaluation: { timeoutMs: 10000 },
    llm: { models: [{ name: 'loopback-mutator', weight: 1 }], temperatures: [0.7], maxTokens: 4096, maxInFlight: s.maxInFlight },
    operators: [{ type: 'llm-diff', weight: 1 }], islands: { count: 2, migrationInterval: 40 }, selection: { strategy: 'tournament', size: 2 },
  }));
  const server = fork(self, ['--serve', String(s.latencyMs)]);
  const { baseURL } = await nextMessage<{ baseURL: string }>(server);
  arrivals.length = 0; commitTimes.length = 0; maxOpen = 0;
  const elu = performance.eventLoopUtilization();
  const cpu = process.cpuUsage();
  const mainCpu = mainThreadCpuMs();
  const t0 = performance.now();
  const r = await startRun(config, { db: join(dir, `${name}.sqlite`), baseUrl: baseURL });
  const wallMs = performance.now() - t0;
  const mainCpuMs = mainCpu === null ? null : mainThreadCpuMs()! - mainCpu;
  const { user, system } = process.cpuUsage(cpu);
  const activeMs = performance.eventLoopUtilization(elu).active;
  server.send('stats');
  const stats = await nextMessage<MutatingLlmStats>(server);
  server.send('close');
  await new Promise((resolve) => server.once('exit', resolve));
  const llm = r.llm!;
  const first = arrivals[0]!, last = arrivals.at(-1)!;
  return {
    ...s, stopReason: r.stopReason, committed: r.iterations, wallS: wallMs / 1000, calls: llm.calls, reused: llm.reused,
    answersPerS: rate(arrivals), answersFirstToLast: (arrivals.length - 1) / ((last - first) / 1000),
    // Iteration 0 (the seed) commits before any request is sent; the LLM iterations commit from the first answer on.
    commitsPerS: rate(commitTimes.slice(1)), serverMax: stats.maxConcurrent, serverRequests: stats.requests, clientMax: maxOpen,
    utilisation: r.pool.utilisation, evaluations: r.pool.evaluations, evalMs: r.pool.busyMs / Math.max(1, r.pool.evaluations), workers: r.workers,
    mainCpuMs, processCpuMs: (user + system) / 1000, activeMs, gatewayMs: llm.engineMs,
    mainCpuPerCall: mainCpuMs === null ? null : mainCpuMs / llm.calls, processCpuPerCall: (user + system) / 1000 / llm.calls,
    activePerCall: activeMs / llm.calls, gatewayPerCall: llm.engineMs / llm.calls,
  };
}

/** LlmOperator.propose against an instant in-memory service: prompt rendering plus parsing and applying the answer, nothing else. */
async function operatorMsPerCall(calls: number): Promise<number> {
  const problem = loadProblem(problemDir);
  const templates = loadTemplates(undefined, join(problemDir, 'config.json'));
  const files = problem.seedFiles;
  let serviceMs = 0, made = 0;
  const service: LlmService = {
    async complete(call) {
      const t = performance.now();
      const text = composeAnswer({ model: call.model, temperature: call.temperature, seed: call.seed, messages: call.messages });
      serviceMs += performance.now() - t;
      made++;
      return { ok: true, text, model: call.model, tokensIn: 0, tokensOut: 0, latencyMs: 0, attempts: 1 };
    },
  };
  const op = new LlmOperator({ name: 'llm-diff', mode: 'diff', service, templates, repair: true });
  const descriptors = problem.descriptors.map((d) => `- ${d.name} ${'values' in d ? `one of ${d.values.join(', ')}` : `in [${d.min}, ${d.max}]`}: ${d.description ?? ''}`).join('\n');
  const elite = { id: contentId(files), fitness: 2.2424, descriptors: [0.1, 0.5], files };
  // Shaped as the engine builds it: the parent with its evaluation and two other elites (the default), all seed-sized.
  const context = { task: problem.manifest.description, descriptors, parents: [{ id: elite.id, files, evaluation: 'Fitness 2.24240; descriptors radiusCv=0.100000, wallShare=0.500000.', artifacts: '', lineage: [] }], elites: [elite, elite] };
  const parents = [{ id: elite.id, files, lineage: { parentIds: [], operator: 'seed', iteration: 0, island: 0 } }];
  const signal = new AbortController().signal;
  const once = (i: number) => op.propose({ parents, rng: rngFor(7, i, 'operator'), iteration: i, params: null, signal, arm: { model: 'loopback-mutator', temperature: 0.7 }, context });
  for (let i = 1; i <= 50; i++) await once(i); // warm-up
  serviceMs = 0; made = 0;
  const t = performance.now();
  for (let i = 51; i < 51 + calls; i++) await once(i);
  return (performance.now() - t - serviceMs) / made;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ouroboros-bench-llm-'));
  console.log(`LLM throughput: circle-packing, llm-diff against the loopback LLM (child process, no jitter); ${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown cpu'}), node ${process.version}`);
  // 1 + a multiple of maxInFlight: whole waves of answers, so the first and last waves are full.
  const scenarios: Scenario[] = [
    { latencyMs: 2000, maxInFlight: 16, pipelineDepth: 32, iterations: 1 + 16 * 7 },
    { latencyMs: 500, maxInFlight: 16, pipelineDepth: 32, iterations: 1 + 16 * 20 },
    { latencyMs: 200, maxInFlight: 16, pipelineDepth: 32, iterations: 1 + 16 * 40 },
    { latencyMs: 0, maxInFlight: 16, pipelineDepth: 32, iterations: 1 + 16 * 20 },
    // A longer run at latency 0: the difference from the one above is the cost per call without start-up and shutdown.
    { latencyMs: 0, maxInFlight: 16, pipelineDepth: 32, iterations: 1 + 16 * 60 },
  ];
  const rows = [];
  for (const s of scenarios) rows.push(await runScenario(dir, s));
  const f = (x: number | null, d = 1) => (x === null || Number.isNaN(x) ? 'n/a' : x.toFixed(d));
  console.log('\n latency  in-flight  depth  iters  wall s  LLM calls  answers/s  (first->last)  commits/s  ideal/s  server max  client max  workers  pool util  eval ms');
  for (const r of rows) {
    const ideal = r.latencyMs === 0 ? 'n/a' : (r.maxInFlight / (r.latencyMs / 1000)).toFixed(1);
    console.log(` ${`${r.latencyMs} ms`.padStart(7)}  ${String(r.maxInFlight).padStart(9)}  ${String(r.pipelineDepth).padStart(5)}  ${String(r.committed).padStart(5)}  ${f(r.wallS).padStart(6)}  ${String(r.calls).padStart(9)}  ${f(r.answersPerS).padStart(9)}  ${f(r.answersFirstToLast).padStart(13)}  ${f(r.commitsPerS).padStart(9)}  ${ideal.padStart(7)}  ${String(r.serverMax).padStart(10)}  ${String(r.clientMax).padStart(10)}  ${String(r.workers).padStart(7)}  ${`${f(r.utilisation * 100)}%`.padStart(9)}  ${f(r.evalMs).padStart(7)}`);
  }
  console.log('  answers/s: least-squares slope of LLM answers received against their arrival time; first->last: (answers - 1) / (last - first arrival),');
  console.log('    which reads high when answers come in waves of maxInFlight (no jitter): it counts the first wave but not its wait.');
  console.log('  commits/s: the same slope over iterations committed; server max: most requests the loopback LLM held at once; pool util: worker busy / (wall x workers).');
  const opMs = await operatorMsPerCall(500);
  console.log('\n engine time per LLM call, outside the HTTP round trip');
  for (const r of rows) {
    console.log(`  latency ${r.latencyMs} ms (${r.calls} calls): main-thread CPU ${f(r.mainCpuPerCall, 2)} ms; main-thread event loop busy ${f(r.activePerCall, 2)} ms; ` +
      `process CPU (main + evaluation workers) ${f(r.processCpuPerCall, 2)} ms; gateway alone (LlmGateway.stats.engineMs) ${f(r.gatewayPerCall, 3)} ms`);
  }
  const [short, long] = [rows[3]!, rows[4]!];
  const calls = long.calls - short.calls;
  const marginal = (a: number | null, b: number | null) => (a === null || b === null ? null : (b - a) / calls);
  const mainMarginal = marginal(short.mainCpuMs, long.mainCpuMs);
  console.log(`  latency 0, marginal over the ${calls} extra calls of the longer run (start-up and shutdown cancel out): main-thread CPU ${f(mainMarginal, 2)} ms; ` +
    `event loop busy ${f(marginal(short.activeMs, long.activeMs), 2)} ms; process CPU ${f(marginal(short.processCpuMs, long.processCpuMs), 2)} ms; gateway ${f(marginal(short.gatewayMs, long.gatewayMs), 3)} ms`);
  console.log(`  LlmOperator.propose alone (prompt rendering + parsing and applying the SEARCH/REPLACE answer), instant in-memory service, 500 calls: ${opMs.toFixed(3)} ms`);
  console.log('  main-thread CPU (the main thread only, from /proc; 10 ms ticks) covers context building, prompts, the openai client, answer parsing, the ledger, commits to SQLite and dispatch to the pool;');
  console.log('  not the LLM server (a child process) nor evaluations (worker threads). Event loop busy also counts time blocked in SQLite I/O or waiting for a core; process CPU adds the workers.');

  const at2s = rows[0]!;
  const ideal = at2s.maxInFlight / (at2s.latencyMs / 1000);
  const at200 = rows[2]!;
  const ideal200 = at200.maxInFlight / (at200.latencyMs / 1000);
  console.log(`\nSummary: at ${at200.latencyMs} ms latency with ${at200.maxInFlight} requests in flight (pipelineDepth ${at200.pipelineDepth}), ${at200.answersPerS.toFixed(1)} proposals/s ` +
    `= ${(at200.answersPerS / ideal200).toFixed(3)} of the ideal ${ideal200.toFixed(0)}/s (target 0.9): ${verdict(at200.answersPerS / ideal200, 0.9)}; ${at200.commitsPerS.toFixed(1)} commits/s; server held at most ${at200.serverMax} at once`);
  console.log(`Summary: at ${at2s.latencyMs} ms latency with ${at2s.maxInFlight} requests in flight (pipelineDepth ${at2s.pipelineDepth}), ${at2s.answersPerS.toFixed(2)} proposals/s arrived ` +
    `(${(at2s.answersPerS / ideal * 100).toFixed(0)}% of the ideal ${ideal.toFixed(1)}/s; server held at most ${at2s.serverMax} at once) while the pool was ${(at2s.utilisation * 100).toFixed(1)}% busy.`);
  console.log(`Summary: the engine spends ${f(mainMarginal, 2)} ms of main-thread CPU per LLM call outside the HTTP round trip (latency 0, marginal over ${calls} calls; ` +
    `${f(long.mainCpuPerCall, 2)} ms averaged over a whole ${long.calls}-call run), of which ${long.gatewayPerCall.toFixed(3)} ms in the gateway and ${opMs.toFixed(3)} ms building the prompt and applying the answer.`);
  rmSync(dir, { recursive: true, force: true });
}

if (process.argv[2] === '--serve') await serve(Number(process.argv[3]));
else await main();
