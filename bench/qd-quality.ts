// Search quality per evaluation on the standard QD domains: sphere and Rastrigin with linear-projection measures
// (n = 100) and the planar arm repertoire (n = 20), 100 x 100 archives, for each parameter-operator mix: MAP-Elites
// with iso+line, CMA-ME, CMA-MAE, and CMA-MAE with iso+line under the bandit. Prints normalised QD score (QD score
// / cells, objectives in [0, 100]) and coverage at fixed evaluation counts, median and range over seeds, beside the
// published figures (CMA-MAE paper, pyribs tutorial). The paper's setup (15 emitters x 36, sigma0 0.5, alpha 0.01,
// threshold_min 0) is kept; its budget (5.4M evaluations) is scaled down, so the published finals are a ceiling,
// not the same budget. --long runs sphere to 270,000 evaluations, where the pyribs tutorial printed a figure.
// Run: npm run bench:qd-quality [-- --evaluations N --seeds N --jobs N --long --mixes=a,b]. Prints figures; asserts nothing.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { argNumber, machine } from './bench-support.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const long = process.argv.includes('--long');
const evaluations = argNumber('evaluations', long ? 270_000 : 40_000);
const seeds = argNumber('seeds', 5);
const jobs = argNumber('jobs', availableParallelism());
const checkpoints = [evaluations / 4, evaluations / 2, evaluations];

/**
 * `offset`: the QD offset and CMA-MAE's threshold_min, in the problem's fitness; `scale`: from there to the paper's
 * objective in [0, 100]. The suite's arm scores -Var(theta), the paper 100 * (1 - Var(theta)).
 */
interface Domain { name: string; folder: string; sigma: number; offset: number; scale: number; published: Record<string, [number, number]> }
// sigma0 and iso sigma of the paper (0.5 on linear projection, 0.1 on the arm) in units of each parameter's range.
// Published finals at 10,000 iterations x 540 = 5.4M evaluations (icaros-usc/cma_mae README, "results from the paper";
// normalised QD, coverage %). The arm there has 100 joints (ours 20).
const domains: Domain[] = [
  { name: 'sphere-100', folder: 'examples/suite/sphere-100', sigma: 0.5 / 10.24, offset: 0, scale: 1, published: { line: [49.07, 60.42], 'cma-me': [36.5, 42.82], 'cma-mae': [64.86, 83.31] } },
  { name: 'rastrigin-100', folder: 'examples/suite/rastrigin-100', sigma: 0.5 / 10.24, offset: 0, scale: 1, published: { line: [38.29, 56.51], 'cma-me': [38.02, 53.09], 'cma-mae': [52.65, 80.46] } },
  { name: 'arm-20', folder: 'examples/suite/arm-20', sigma: 0.1 / (2 * Math.PI), offset: -1, scale: 100, published: { line: [74.55, 75.61], 'cma-me': [75.82, 75.89], 'cma-mae': [79.03, 79.24] } },
].filter((d) => !long || d.name === 'sphere-100');

const soft = (d: Domain) => ({ rule: 'soft', soft: { learningRate: 0.01, thresholdMin: d.offset } });
const emitters = (type: string, sigma0: number, extra: object = {}) => ({ type, weight: 1, emitters: 15, batchSize: 36, sigma0, ...extra });
/** The operator mixes: operators, archive rule, bandit. */
const mixes: Record<string, (d: Domain) => object> = {
  line: (d) => ({ operators: [{ type: 'param-iso-line', weight: 1, sigmaIso: d.sigma, sigmaLine: 0.2 }], archive: { qdOffset: d.offset, metricsInterval: 500 } }),
  // The paper's CMA-ME: two-stage improvement ranking, mu selection, restarts on convergence (pyribs ImprovementEmitter).
  'cma-me': (d) => ({ operators: [emitters('param-cma-me', d.sigma, { selection: 'mu', restart: 'basic' })], archive: { qdOffset: d.offset, metricsInterval: 10 } }),
  'cma-mae': (d) => ({ operators: [emitters('param-cma-mae', d.sigma)], archive: { qdOffset: d.offset, metricsInterval: 10, ...soft(d) } }),
  'cma-mae+line': (d) => ({
    operators: [emitters('param-cma-mae', d.sigma), { type: 'param-iso-line', weight: 1, sigmaIso: d.sigma, sigmaLine: 0.2 }],
    operatorChoice: { policy: 'ucb1' }, archive: { qdOffset: d.offset, metricsInterval: 20, ...soft(d) },
  }),
  // The same mix with the bandit credited per evaluation: a 36-child generation counts as 36 credits.
  'mae+line/eval': (d) => ({
    operators: [emitters('param-cma-mae', d.sigma), { type: 'param-iso-line', weight: 1, sigmaIso: d.sigma, sigmaLine: 0.2 }],
    operatorChoice: { policy: 'ucb1', credit: 'evaluation' }, archive: { qdOffset: d.offset, metricsInterval: 20, ...soft(d) },
  }),
};
const chosen = process.argv.find((a) => a.startsWith('--mixes='))?.slice('--mixes='.length).split(',');
for (const m of chosen ?? []) if (!(m in mixes)) throw new Error(`--mixes: no mix "${m}" (there are ${Object.keys(mixes).join(', ')})`);
const mixNames = chosen ?? (long ? ['cma-mae', 'cma-mae+line', 'mae+line/eval'] : Object.keys(mixes));

interface Result { qd: number[]; coverage: number[]; seconds: number; evaluations: number }

/** One search through the CLI (one worker: the bench runs `jobs` searches side by side), read back from its run file. */
async function search(domain: Domain, mix: string, seed: number): Promise<Result> {
  const dir = mkdtempSync(join(tmpdir(), 'ouroboros-qd-quality-'));
  try {
    const config = join(dir, 'config.json');
    writeFileSync(config, JSON.stringify({
      problem: join(root, domain.folder), seed, pipelineDepth: 8, budget: { evaluations }, evaluation: { timeoutMs: 60_000 },
      selection: { strategy: 'uniform' }, ...mixes[mix]!(domain),
    }));
    const db = join(dir, 'run.sqlite');
    const t0 = performance.now();
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn(process.execPath, [join(root, 'dist/cli/main.js'), 'run', config, '--db', db, '--workers', '1', '--quiet'], { stdio: ['ignore', 'ignore', 'inherit'] });
      child.on('exit', resolve);
    });
    if (code !== 0) throw new Error(`${domain.name} ${mix} seed ${seed}: the run exited with ${code}`);
    const seconds = (performance.now() - t0) / 1000;
    const conn = new Database(db, { readonly: true });
    try {
      const perIteration = conn.prepare('SELECT iteration, count(*) AS n FROM evaluations GROUP BY iteration ORDER BY iteration').all() as Array<{ iteration: number; n: number }>;
      const rows = conn.prepare('SELECT iteration, normalized_qd_score AS qd, coverage FROM qd_metrics WHERE island = -1 ORDER BY iteration').all() as Array<{ iteration: number; qd: number; coverage: number }>;
      const final = conn.prepare('SELECT count(*) AS cells, coalesce(sum(fitness), 0) AS total FROM archive_cells').get() as { cells: number; total: number };
      const cells = 100 * 100;
      let spent = 0;
      const evalsAt = new Map<number, number>();
      for (const r of perIteration) { spent += r.n; evalsAt.set(r.iteration, spent); }
      let k = 0;
      let evals = 0;
      const at = checkpoints.map((c, i) => {
        if (i === checkpoints.length - 1) return { qd: (domain.scale * (final.total - domain.offset * final.cells)) / cells, coverage: (100 * final.cells) / cells };
        let best = { qd: 0, coverage: 0 };
        for (; k < rows.length; k++) {
          evals = evalsAt.get(rows[k]!.iteration) ?? evals;
          if (evals > c) break;
          best = { qd: domain.scale * rows[k]!.qd, coverage: 100 * rows[k]!.coverage };
        }
        return best;
      });
      return { qd: at.map((a) => a.qd), coverage: at.map((a) => a.coverage), seconds, evaluations: spent };
    } finally {
      conn.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const stat = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  return `${mid.toFixed(2)} [${s[0]!.toFixed(2)}, ${s[s.length - 1]!.toFixed(2)}]`;
};

console.log(`qd-quality bench: ${machine()}; ${evaluations} evaluations per search, ${seeds} seeds, ${jobs} searches side by side (1 worker each)`);
const t0 = performance.now();
const tasks = domains.flatMap((d) => mixNames.flatMap((m) => Array.from({ length: seeds }, (_, s) => ({ d, m, s }))));
const results = new Map<string, Result[]>();
let next = 0;
let done = 0;
await Promise.all(Array.from({ length: jobs }, async () => {
  while (next < tasks.length) {
    const { d, m, s } = tasks[next++]!;
    const r = await search(d, m, s);
    const key = `${d.name}/${m}`;
    results.set(key, [...(results.get(key) ?? []), r]);
    done++;
    console.log(`  [${done}/${tasks.length}] ${key} seed ${s}: normalised QD ${r.qd.at(-1)!.toFixed(2)}, coverage ${r.coverage.at(-1)!.toFixed(1)}% in ${r.seconds.toFixed(0)} s`);
  }
}));

for (const d of domains) {
  console.log(`\n${d.name}: normalised QD score (median [min, max] over ${seeds} seeds) and coverage % at ${checkpoints.map((c) => c.toLocaleString('en')).join(' / ')} evaluations`);
  console.log(`  ${'mix'.padEnd(14)}${checkpoints.map((c) => `QD @${c / 1000}k`.padEnd(24)).join('')}${'coverage @end'.padEnd(24)}published at 5.4M (QD / cov %)`);
  for (const m of mixNames) {
    const rs = results.get(`${d.name}/${m}`)!;
    const pub = d.published[m];
    console.log(`  ${m.padEnd(14)}${checkpoints.map((_, i) => stat(rs.map((r) => r.qd[i]!)).padEnd(24)).join('')}${stat(rs.map((r) => r.coverage.at(-1)!)).padEnd(24)}${pub ? `${pub[0]} / ${pub[1]}` : '-'}`);
  }
}
if (long) {
  const tutorial = { qd: 46.191, coverage: 57.91 };
  console.log(`\npyribs tutorial (cma_mae.ipynb), CMA-MAE on sphere-100 after 500 iterations x 540 = 270,000 evaluations: normalised QD ${tutorial.qd}, coverage ${tutorial.coverage}%`);
  for (const m of mixNames) {
    const rs = results.get(`sphere-100/${m}`)!;
    const qd = rs.map((r) => r.qd.at(-1)!).sort((a, b) => a - b);
    console.log(`  ${m}: median ${qd[Math.floor(qd.length / 2)]!.toFixed(2)} = ${(qd[Math.floor(qd.length / 2)]! / tutorial.qd).toFixed(3)}x the tutorial's figure (${evaluations.toLocaleString('en')} evaluations)`);
  }
}
const seconds = (performance.now() - t0) / 1000;
const evalsPerSecond = [...results.values()].flat().reduce((s, r) => s + r.evaluations, 0) / seconds;
console.log(`\nwhole bench ${seconds.toFixed(0)} s (${evalsPerSecond.toFixed(0)} evaluations/s over all searches)`);
