// What `ouroboros tune` buys on problems it never saw: tunes the suite's parameter operators on sphere-20
// and arm-20 (bench/tune.json), then compares the tuned config with the base on held-out problems
// (Rastrigin n = 20 and 100, sphere n = 100) over paired fresh seeds.
// Run: npm run bench:tune [-- --trials N --seeds N --workers N]. Prints figures; asserts nothing.
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { startRun } from '../engine/runs/run.js';
import { loadTuneConfig, prepareTune } from '../engine/tune/tune-setup.js';
import { validateTune } from '../engine/tune/tune-validate.js';
import { argNumber, machine } from './bench-support.js';

const TARGET = 1.1;
const file = fileURLToPath(new URL('./tune.json', import.meta.url));
const trials = argNumber('trials', 40);
const seeds = argNumber('seeds', 10);
const workers = argNumber('workers', availableParallelism());
// The committed config with the command line's trials and validation seeds, beside it so its relative paths hold.
const raw = JSON.parse(readFileSync(file, 'utf8')) as { trials: number; validation: { seeds: number; top: number } };
raw.trials = trials;
raw.validation.seeds = seeds;
const configFile = join(fileURLToPath(new URL('.', import.meta.url)), `.tune-bench-${process.pid}.json`);
writeFileSync(configFile, JSON.stringify(raw));
const db = join(mkdtempSync(join(tmpdir(), 'ouroboros-bench-tune-')), 'tune.sqlite');

console.log(`tune bench: ${machine()}; ${trials} trials, ${workers} workers, ${seeds} paired validation seeds`);
const t0 = performance.now();
try {
  const loaded = loadTuneConfig(configFile);
  console.log(`  training: ${loaded.train.map((p) => p.name).join(', ')} (x ${loaded.config.seeds} seeds, ${JSON.stringify(loaded.config.budget)} per inner search); held out: ${loaded.heldOut.map((p) => p.name).join(', ')}`);
  const outer = await prepareTune(loaded, db, workers, (m) => console.log(`  ${m}`));
  const tBase = performance.now();
  let shown = 0;
  const run = await startRun(outer, { db, workers, onProgress: (p) => {
    if (p.iterations < shown + 10) return;
    shown = p.iterations - (p.iterations % 10);
    console.log(`  trial ${p.iterations}/${trials}: best training score ${p.bestFitness?.toFixed(4) ?? '-'}`);
  } });
  const tTune = performance.now();
  console.log(`  tune run: ${run.iterations} trials in ${((tTune - tBase) / 1000).toFixed(0)} s (${run.pool.evaluations} evaluated this session)`);
  const v = await validateTune(db, workers, () => {});
  const best = v.configs[0]!;
  console.log(`  validation: ${((performance.now() - tTune) / 1000).toFixed(0)} s; whole bench ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  console.log(`\ntuned config (training score ${best.trainingScore.toFixed(4)} = mean ratio to the base on the training problems):`);
  for (const [k, x] of Object.entries(best.values)) console.log(`  ${k} = ${typeof x === 'number' ? Number(x.toPrecision(4)) : JSON.stringify(x)}`);
  console.log(`\nheld-out problem    tuned/base (mean of ${seeds} paired ratios)   95% bootstrap interval   wins   target >= ${TARGET}x with interval > 1`);
  let met = 0;
  for (const h of best.heldOut) {
    const ok = h.meanRatio >= TARGET && h.interval[0] > 1;
    if (ok) met++;
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    console.log(`  ${h.problem.padEnd(17)} ${h.meanRatio.toFixed(3)}x (${mean(h.tuned).toFixed(3)} vs ${mean(h.base).toFixed(3)})`.padEnd(62) + `[${h.interval[0].toFixed(3)}, ${h.interval[1].toFixed(3)}]`.padEnd(25) + `${h.wins}/${h.base.length}`.padEnd(7) + (ok ? 'met' : 'missed'));
  }
  console.log(`\n${met} of ${best.heldOut.length} held-out problems at >= ${TARGET}x with the interval above 1.0 (target: at least 2): ${met >= 2 ? 'met' : 'missed'}`);
  console.log(v.verdict);
} finally {
  rmSync(configFile, { force: true });
}
