// Which LLM arm pays: circle packing and bin packing (examples/) searched through the loopback LLM at a fixed answer
// latency, once per LLM operator alone (llm-diff, llm-rewrite, llm-crossover, weight 1) and once with all of them under
// a UCB1 bandit, the same iteration budget each. From each run's database: proposals, LLM calls and tokens, operator
// and evaluation failures, the bandit's reward per proposal, best fitness and QD score at the end, and the gains over
// the seed per 100 proposals and per 100k tokens; median and range over seeds; for the bandit, each arm's pulls and
// mean reward. The loopback makes random numeric edits, not a model's edits: see CAVEAT below (it is printed too).
// Run: npm run bench:llm-quality [-- --iterations N (121: the seed + 120 proposals) --seeds N (3) --latency MS (200)].
// Prints figures; asserts nothing.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { RunReader, startRun } from '../index.js';
import { startMutatingLlm } from '../examples/loopback-llm/mutating-llm-server.js';
import { argNumber, machine } from './bench-support.js';

const iterations = argNumber('iterations', 121);
const seeds = argNumber('seeds', 3);
const latencyMs = argNumber('latency', 200);
const problems = ['circle-packing', 'bin-packing'].map((name) => ({ name, folder: fileURLToPath(new URL(`../examples/${name}/`, import.meta.url)) }));

const CAVEAT = `CAVEAT. The loopback LLM (examples/loopback-llm/) is not a model. It answers every prompt with one to three random
numeric edits inside the evolve block, a pure function of the request (seed, model, temperature, messages), in the
format the prompt asks for: SEARCH/REPLACE blocks for llm-diff, a whole file for llm-rewrite and llm-crossover (so
"crossover" here is a numeric edit of the first parent, not a combination). It never reads the task, the scores or
the other parents, and cannot write new code. So these figures show the engine's accounting (proposals, calls,
repairs, tokens, failures, rewards, archive growth) and which arm the archive rewards for THIS proposal generator,
a noisy parameter search over the numbers of the evolve block; they say nothing about how a real model would do
with these operators, where the ranking can be reversed. Token counts are the server's estimates,
ceil(characters / 4) of the prompt's messages and of the answer, not a tokenizer's: a whole-file answer costs more
output tokens than a diff by the file's length. The runs are deterministic (a prompt shows only what was committed
pipelineDepth iterations before), so every figure but the wall time is the same at any latency; the latency only
sets how long a run takes. Numeric edits never change a line count, so bin packing's codeLines descriptor stays at
the seed's and its archive can fill one row of 20 of its 240 cells at most: its QD figures are small by construction.`;

interface Config { name: string; operators: Array<Record<string, unknown>>; operatorChoice: Record<string, unknown> }

/** The problem's own LLM operators one at a time (weights policy: its temperature arms share evenly), then all under UCB1. */
function configsOf(base: { operators: Array<{ type: string }> }): Config[] {
  const llmOps = base.operators.filter((o) => o.type.startsWith('llm-')).map((o) => ({ ...o, weight: 1 }));
  return [
    ...llmOps.map((o) => ({ name: o.type, operators: [o], operatorChoice: { policy: 'weights' } })),
    { name: 'bandit (ucb1)', operators: llmOps, operatorChoice: { policy: 'ucb1' } },
  ];
}

interface Arm { arm: string; pulls: number; reward: number; failed: number }
interface Figures {
  proposals: number; calls: number; repairs: number; tokens: number; tokensOut: number; opFailed: number; evalFailed: number; reward: number;
  seedFitness: number; best: number; qd: number; qdAfterSeed: number; cells: number; wallS: number; arms: Arm[];
}

/** Reads one finished run: the archive of all islands together from RunReader, the log and the ledger with SQL. */
function readRun(db: string, wallS: number): Figures {
  const reader = RunReader.open(db);
  const status = reader.status();
  const afterSeed = reader.qdMetrics(-1).find((r) => r.iteration === 0)?.qdScore;
  reader.close();
  const conn = new Database(db, { readonly: true });
  try {
    const arms = conn.prepare(`SELECT arm, count(*) AS pulls, avg(reward) AS reward, sum(status = 'operator-failed') AS failed
      FROM iterations WHERE iteration > 0 AND arm IS NOT NULL GROUP BY arm ORDER BY arm`).all() as Arm[];
    const ledger = conn.prepare(`SELECT count(*) AS calls, coalesce(sum(purpose = 'repair'), 0) AS repairs,
      coalesce(sum(tokens_in + tokens_out), 0) AS tokens, coalesce(sum(tokens_out), 0) AS tokensOut FROM llm_calls`).get() as { calls: number; repairs: number; tokens: number; tokensOut: number };
    const evalFailed = (conn.prepare(`SELECT count(*) AS n FROM children c JOIN evaluations e ON e.variant_id = c.variant_id
      WHERE c.iteration > 0 AND e.status <> 'ok'`).get() as { n: number }).n;
    const proposals = arms.reduce((s, a) => s + a.pulls, 0);
    const seedFitness = status.seedVariant.fitness ?? NaN;
    return {
      proposals, ...ledger, evalFailed, wallS, arms, seedFitness,
      opFailed: arms.reduce((s, a) => s + a.failed, 0),
      reward: arms.reduce((s, a) => s + a.reward * a.pulls, 0) / proposals,
      best: status.archive.bestFitness ?? NaN, qd: status.archive.qdScore, qdAfterSeed: afterSeed ?? seedFitness, cells: status.archive.filledCells,
    };
  } finally {
    conn.close();
  }
}

/** One search through the library (2 islands, pipelineDepth 16, tournament selection: the example's settings). */
async function search(dir: string, problem: { name: string; folder: string }, base: Record<string, unknown>, c: Config, seed: number, baseUrl: string): Promise<Figures> {
  const file = join(dir, `${problem.name}-${c.operators.length > 1 ? 'bandit' : c.name}-${seed}.json`);
  const { db: _ignored, ...rest } = base;
  writeFileSync(file, JSON.stringify({ ...rest, problem: problem.folder, budget: { iterations }, operators: c.operators, operatorChoice: c.operatorChoice }));
  const t0 = performance.now();
  const r = await startRun(file, { db: file.replace(/\.json$/, '.sqlite'), seed, baseUrl });
  const wallS = (performance.now() - t0) / 1000;
  if (r.stopReason !== 'iterations') console.log(`  note: ${problem.name} ${c.name} seed ${seed} stopped on ${r.stopReason} after ${r.iterations} iterations`);
  return readRun(r.db, wallS);
}

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const median = (xs: number[]) => {
  const s = sorted(xs);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
/** `median [min, max]` over seeds, or the one value when every seed gave it. */
const spread = (xs: number[], digits: number) => {
  const s = sorted(xs);
  const f = (x: number) => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');
  return s[0] === s.at(-1) ? f(s[0]!) : `${f(median(s))} [${f(s[0]!)}, ${f(s.at(-1)!)}]`;
};
const pct = (part: number, whole: number) => (whole === 0 ? NaN : (100 * part) / whole);

const bestGain = (f: Figures) => (100 * (f.best - f.seedFitness)) / f.proposals;
const qdPerProposals = (f: Figures) => (100 * (f.qd - f.qdAfterSeed)) / f.proposals;
const qdPerTokens = (f: Figures) => (100_000 * (f.qd - f.qdAfterSeed)) / f.tokens;
/** Each figure: its label, how it is read from a run, its decimals. */
const FIGURES: Array<[string, (f: Figures) => number, number]> = [
  ['proposals (LLM iterations)', (f) => f.proposals, 0],
  ['LLM calls', (f) => f.calls, 0],
  ['  of which repairs', (f) => f.repairs, 0],
  ['tokens in+out (k)', (f) => f.tokens / 1000, 1],
  ['  of which out (k)', (f) => f.tokensOut / 1000, 1],
  ['tokens per proposal', (f) => f.tokens / f.proposals, 0],
  ['operator-failed %', (f) => pct(f.opFailed, f.proposals), 1],
  ['evaluation-failed %', (f) => pct(f.evalFailed, f.proposals), 1],
  ['mean reward per proposal', (f) => f.reward, 3],
  ['filled cells at the end', (f) => f.cells, 0],
  ['best fitness at the end', (f) => f.best, 4],
  ['QD score at the end', (f) => f.qd, 2],
  ['best gain / 100 proposals', bestGain, 4],
  ['QD gain / 100 proposals', qdPerProposals, 2],
  ['QD gain / 100k tokens', qdPerTokens, 2],
  ['wall s', (f) => f.wallS, 1],
];

console.log(`llm-quality bench: ${machine()}`);
console.log(`  loopback LLM in this process, fixed answer latency ${latencyMs} ms (no jitter); budget.iterations ${iterations} (iteration 0 is the seed); seeds 1..${seeds};`);
console.log('  each problem\'s example config (2 islands, pipelineDepth 16, maxInFlight 16, temperatures 0.4 and 1.0: one arm per operator and temperature)');
console.log(`  with its LLM operators one at a time (weight 1, weights policy), then all of them under operatorChoice ucb1 (exploration sqrt 2, discount 1)\n`);
console.log(`${CAVEAT}\n`);

const dir = mkdtempSync(join(tmpdir(), 'ouroboros-bench-llm-quality-'));
const server = await startMutatingLlm({ latencyMs, jitterMs: 0 });
const t0 = performance.now();
const tables: string[] = [];
const summaries: string[] = [];
let ledgerTokens = 0;
try {
  for (const problem of problems) {
    const base = JSON.parse(readFileSync(join(problem.folder, 'config.json'), 'utf8')) as Record<string, unknown> & { operators: Array<{ type: string }> };
    const configs = configsOf(base);
    const results = new Map<string, Figures[]>();
    for (const c of configs) {
      for (let seed = 1; seed <= seeds; seed++) {
        const f = await search(dir, problem, base, c, seed, server.baseURL);
        results.set(c.name, [...(results.get(c.name) ?? []), f]);
        ledgerTokens += f.tokens;
        console.log(`  ${problem.name} ${c.name} seed ${seed}: best ${f.best.toFixed(4)}, QD ${f.qd.toFixed(2)} (${f.cells} cells), ${f.calls} calls, ${f.tokens} tokens, ${f.opFailed} operator-failed, ${f.wallS.toFixed(1)} s`);
      }
    }
    const seedFitness = results.get(configs[0]!.name)![0]!.seedFitness;
    const width = 26;
    const lines = [`${problem.name}: seed fitness ${seedFitness.toFixed(4)}; median [min, max] over ${seeds} seeds (one value: every seed gave it)`,
      `  ${'figure'.padEnd(28)}${configs.map((c) => c.name.padEnd(width)).join('')}`];
    for (const [label, read, digits] of FIGURES) lines.push(`  ${label.padEnd(28)}${configs.map((c) => spread(results.get(c.name)!.map(read), digits).padEnd(width)).join('')}`);
    const bandit = results.get(configs.at(-1)!.name)!;
    lines.push(`  bandit arms (operator|model|temperature)  ${'pulls'.padEnd(width)}${'mean reward'.padEnd(width)}operator-failed`);
    for (const arm of [...new Set(bandit.flatMap((f) => f.arms.map((a) => a.arm)))].sort()) {
      const of = bandit.map((f) => f.arms.find((a) => a.arm === arm) ?? { arm, pulls: 0, reward: NaN, failed: 0 });
      lines.push(`    ${arm.padEnd(40)}${spread(of.map((a) => a.pulls), 0).padEnd(width)}${spread(of.map((a) => a.reward), 3).padEnd(width)}${spread(of.map((a) => a.failed), 0)}`);
    }
    // The configurations ranked by their median, with the values, so that a near tie reads as one.
    const rank = (label: string, read: (f: Figures) => number, digits: number) => `${label}: ` + configs
      .map((c) => ({ c: c.name, m: median(results.get(c.name)!.map(read)) })).sort((a, b) => b.m - a.m).map((r) => `${r.c} ${r.m.toFixed(digits)}`).join(' > ');
    summaries.push(`Summary: ${problem.name} (medians over ${seeds} seeds): ${rank('QD gain / 100 proposals', qdPerProposals, 2)}; ${rank('QD gain / 100k tokens', qdPerTokens, 2)}; ` +
      `${rank('best gain / 100 proposals', bestGain, 4)}`);
    tables.push(lines.join('\n'));
  }
} finally {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
}
for (const table of tables) console.log(`\n${table}`);
const s = server.stats();
console.log(`\n  reward: 1 when the child filled a new cell, 0.5 when it improved a cell's elite, else 0 (the bandit's credit); gains are over the seed's`);
console.log('  fitness and over the QD score after iteration 0 (qdOffset 0: a cell adds its elite\'s whole fitness, so QD mostly counts cells).');
console.log('  tokens: every request of the ledger (llm_calls), repairs and retries included; a proposal makes at most two calls (one repair).');
console.log(`\n${summaries.join('\n')}`);
console.log(`whole bench ${((performance.now() - t0) / 1000).toFixed(0)} s; the loopback answered ${s.requests} requests, ${s.promptTokens + s.completionTokens} tokens by its own count `
  + `(the runs' ledgers: ${ledgerTokens}), at most ${s.maxConcurrent} at once`);
