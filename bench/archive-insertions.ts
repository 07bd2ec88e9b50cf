// Measures archive insertions per second in memory: single add() and addBatch() of 100 and 10,000, for a grid and CVTs of 10,000 centroids.
// Run: npm run bench:archive [-- --elites N]. Prints figures and whether batches reach 1,000,000 insertions/s; asserts nothing.
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Archive, DescriptorRange, Elite } from '../archives/archive.js';
import { CvtArchive } from '../archives/cvt-archive.js';
import { GridArchive } from '../archives/grid-archive.js';
import { SoftArchive } from '../archives/soft-archive.js';
import { rngFor } from '../common/rng.js';

const flag = process.argv.indexOf('--elites');
const N = flag > 0 ? Number(process.argv[flag + 1]) : 1_000_000;
const TARGET = 1_000_000;

/** N elites with descriptors uniform in [-0.05, 1.05]^dim (a few clipped) and fitness uniform in [0, 100). */
function stream(dim: number, n: number): Elite[] {
  const rng = rngFor(1, 0, `bench/archive-insertions/${dim}`);
  return Array.from({ length: n }, (_, k) => ({
    variantId: `v${k}`,
    fitness: rng.next() * 100,
    descriptors: Array.from({ length: dim }, () => rng.next() * 1.1 - 0.05),
    iteration: k,
  }));
}

function batches(elites: Elite[], size: number): Elite[][] {
  const out: Elite[][] = [];
  for (let i = 0; i < elites.length; i += size) out.push(elites.slice(i, i + size));
  return out;
}

/** Insertions per second of one pass of `elites` into a fresh archive, in batches of `size` (1: add()). */
function measure(make: () => Archive, elites: Elite[], size: number): { rate: number; filled: number } {
  const groups = size === 1 ? [] : batches(elites, size);
  const archive = make();
  const t0 = performance.now();
  if (size === 1) for (const e of elites) archive.add(e);
  else for (const g of groups) archive.addBatch(g);
  const seconds = (performance.now() - t0) / 1000;
  return { rate: elites.length / seconds, filled: archive.result.stats().filledCells };
}

const ranges = (dim: number): DescriptorRange[] => Array.from({ length: dim }, (_, d) => ({ name: `d${d}`, min: 0, max: 1 }));

console.log(`archive insertions: ${N.toLocaleString('en')} elites per row (uniform fitness; each descriptor uniform in [-0.05, 1.05], so 1 in 11 is clipped), in memory, one thread;`);
console.log(`${cpus()[0]?.model ?? 'unknown cpu'} x ${cpus().length}, node ${process.version}`);

const setups: Array<{ name: string; dim: number; make: () => Archive }> = [];
const grid = { dimensions: [{ name: 'x', min: 0, max: 1, bins: 100 }, { name: 'y', min: 0, max: 1, bins: 100 }] };
setups.push({ name: 'grid 100x100', dim: 2, make: () => new GridArchive(grid) });
for (const dim of [2, 6]) {
  const t0 = performance.now();
  const centroids = new CvtArchive({ ranges: ranges(dim), cells: 10_000, rng: rngFor(1, 0, `bench/cvt/${dim}`) }).centroids();
  console.log(`k-means for 10,000 centroids in ${dim}-D (100,000 samples, 20 Lloyd iterations): ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  setups.push({ name: `CVT 10,000 cells ${dim}-D`, dim, make: () => new CvtArchive({ ranges: ranges(dim), centroids }) });
}
setups.push({ name: 'soft grid 100x100 (alpha 0.1)', dim: 2, make: () => new SoftArchive({ result: new GridArchive(grid), learningRate: 0.1, thresholdMin: 0 }) });

const sizes = [1, 100, 10_000];
console.log('');
console.log(`${'archive'.padEnd(32)}${sizes.map((s) => (s === 1 ? 'add()' : `batch ${s.toLocaleString('en')}`).padStart(16)).join('')}   filled   batch best / target`);
let worst = Infinity;
for (const s of setups) {
  const elites = stream(s.dim, N);
  // Warm-up: let the JIT see every path before the measured pass.
  for (const size of sizes) measure(s.make, elites.slice(0, 50_000), size);
  const rates = sizes.map((size) => measure(s.make, elites, size));
  const bestBatch = Math.max(rates[1]!.rate, rates[2]!.rate);
  if (!s.name.startsWith('soft')) worst = Math.min(worst, bestBatch);
  console.log(`${s.name.padEnd(32)}${rates.map((r) => `${(r.rate / 1e6).toFixed(2)} M/s`.padStart(16)).join('')}${String(rates[2]!.filled).padStart(9)}   ${(bestBatch / TARGET).toFixed(2)}x`);
}
console.log('');
console.log(`target ${TARGET.toLocaleString('en')} insertions/s in batches (grid and CVTs): ${worst >= TARGET ? 'met' : 'missed'}, worst setup at ${(worst / TARGET).toFixed(2)}x the target`);
