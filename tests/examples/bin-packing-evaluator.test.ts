// Checks the bin-packing problem: baselines reproduced exactly, a seed just past best fit, precise rejections, tweakable constants.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { DescriptorSpec } from '../../common/types.js';
import { loadProblem } from '../../engine/config/problem.js';
import type { EvaluatorResult } from '../../fitness/evaluator.js';
import { TIME_LIMIT_MS, codeLines, evaluate } from '../../examples/bin-packing/evaluator.js';
import { INSTANCES, lowerBound } from '../../examples/bin-packing/instances.js';
import { bestFit, firstFit, packOnline } from '../../examples/bin-packing/online-packing.js';
import { MAX_FAULT, readRuns } from '../../examples/bin-packing/priority-harness.js';

const problemDir = fileURLToPath(new URL('../../examples/bin-packing/', import.meta.url));
const manifest = JSON.parse(readFileSync(`${problemDir}problem.json`, 'utf8')) as { description: string; descriptors: DescriptorSpec[] };
const seedProgram = readFileSync(`${problemDir}seed/program.js`, 'utf8');

function run(code: string, seed = 1): Promise<EvaluatorResult> {
  return evaluate({ variantId: 'test', files: { 'program.js': code }, params: {}, seed, iteration: 0, problemDir });
}

const results = new Map<string, Promise<EvaluatorResult>>();
/** evaluate(code) at seed 1, once per program: evaluations take tens of milliseconds and several tests read the same ones. */
function scored(code: string): Promise<EvaluatorResult> {
  if (!results.has(code)) results.set(code, run(code));
  return results.get(code)!;
}

const priority = (body: string): string => `function priority(item, capacities) {\n  ${body}\n}\n`;
const firstFitProgram = priority('return capacities.map((_, i) => -i);');
const bestFitProgram = priority('return capacities.map((c) => -(c - item));');
const worstFitProgram = priority('return capacities.map((c) => c);');

function assertInRanges(t: import('ava').ExecutionContext, result: EvaluatorResult, label: string): void {
  const values = result.descriptors as number[];
  t.is(values.length, manifest.descriptors.length, label);
  manifest.descriptors.forEach((d, k) => {
    const v = values[k]!;
    t.true(Number.isFinite(v) && v >= d.min && v <= d.max, `${label}: ${d.name} = ${v} outside [${d.min}, ${d.max}]`);
  });
}

test('the instances are five fixed streams of 500 integer items in [20, 100] with bins of 150', (t) => {
  t.is(INSTANCES.length, 5);
  for (const instance of INSTANCES) {
    t.is(instance.capacity, 150);
    t.is(instance.items.length, 500);
    t.true(instance.items.every((s) => Number.isInteger(s) && s >= 20 && s <= 100));
  }
  t.is(INSTANCES.reduce((a, instance) => a + lowerBound(instance), 0), 1009);
});

test('a first-fit priority reproduces the firstFit baseline exactly', async (t) => {
  const result = await scored(firstFitProgram);
  t.is<unknown, unknown>(result.fitness, result.metrics?.firstFit);
  t.is(result.metrics?.bins, result.metrics?.firstFitBins);
  t.is(result.metrics?.excessPercent, result.metrics?.firstFitExcessPercent);
  t.is(result.metrics?.firstFitBins, 1062);
});

test('a best-fit priority reproduces the bestFit baseline exactly', async (t) => {
  const result = await scored(bestFitProgram);
  t.is<unknown, unknown>(result.fitness, result.metrics?.bestFit);
  t.is(result.metrics?.bins, result.metrics?.bestFitBins);
  t.is(result.metrics?.bestFitBins, 1058);
  t.regex(result.artifacts?.summary ?? '', /^1058 bins on 5 instances vs lower bound 1009 \(\+49, excess 4\.85%\); first fit 1062 \(5\.25%\), best fit 1058 \(4\.85%\): ties best fit$/);
});

test('the baselines agree with packing the instances directly', async (t) => {
  const bins = (choose: typeof firstFit) => INSTANCES.reduce((a, instance) => a + packOnline(instance, choose).length, 0);
  const result = await scored(seedProgram);
  t.is(result.metrics?.firstFitBins, bins(firstFit));
  t.is(result.metrics?.bestFitBins, bins(bestFit));
  t.is(result.metrics?.lowerBound, 1009);
});

test('the seed is valid and packs one bin fewer than best fit, far from the lower bound', async (t) => {
  const result = await scored(seedProgram);
  t.is(result.metrics?.bins, 1057);
  t.true(result.fitness > (result.metrics?.bestFit as number) && result.fitness < 0.96, `seed fitness ${result.fitness}`);
  t.is(result.metrics?.excessBins, 48);
  t.regex(result.artifacts?.summary ?? '', /: 1 bin fewer than best fit$/);
  assertInRanges(t, result, 'seed');
  t.is(result.metrics?.codeLines, 14);
});

test('the task statement quotes the baselines, the seed and the time limit as the evaluator computes them', async (t) => {
  const seed = await scored(seedProgram);
  const m = seed.metrics!;
  const quoted = [
    `L1 = ${m.lowerBound} bins in total`,
    `first fit uses ${m.firstFitBins} bins (fitness ${(m.firstFit as number).toFixed(6)})`,
    `best fit ${m.bestFitBins} (${(m.bestFit as number).toFixed(6)})`,
    `the seed ${m.bins} (${seed.fitness.toFixed(6)})`,
    `${TIME_LIMIT_MS / 1000} seconds of CPU time`,
  ];
  for (const text of quoted) t.true(manifest.description.includes(text), text);
});

test('evaluate() returns identical output for the same program, whatever the evaluation seed', async (t) => {
  t.deepEqual(await run(seedProgram, 3), await run(seedProgram, 3));
  t.deepEqual(await run(seedProgram, 3), await run(seedProgram, 4), 'the instances do not depend on the evaluation seed');
});

test('Math.random inside the program is seeded by the evaluation seed', async (t) => {
  const random = priority('return capacities.map(() => Math.random());');
  t.deepEqual(await run(random, 5), await run(random, 5));
  t.notDeepEqual((await run(random, 5)).metrics, (await run(random, 6)).metrics);
});

test('the seed marks one evolve block around priority()', (t) => {
  const start = seedProgram.indexOf('// EVOLVE-BLOCK-START');
  const end = seedProgram.indexOf('// EVOLVE-BLOCK-END');
  t.true(start >= 0 && end > start);
  t.is(seedProgram.split('EVOLVE-BLOCK-START').length, 2);
  t.is(seedProgram.split('EVOLVE-BLOCK-END').length, 2);
  t.true(seedProgram.slice(start, end).includes('function priority(item, capacities)'));
  t.false(/\b(require|import)\b/.test(seedProgram));
});

test('the engine loads the problem folder as a code problem with no parameter space', (t) => {
  const problem = loadProblem(problemDir);
  t.is(problem.manifest.name, 'bin-packing');
  t.is(problem.params, null);
  t.deepEqual(Object.keys(problem.seedFiles), ['program.js']);
  t.deepEqual(problem.descriptors.map((d) => d.name), ['nearlyFullShare', 'codeLines']);
});

const rejected: Array<[string, string, RegExp]> = [
  ['priority throws', priority('throw new Error("no idea");'), /^program\.js failed: Error: no idea \(program\.js line 2\)$/],
  ['a score is NaN', priority('return capacities.map((c) => (c - item) / (c - item) - 1);'),
    /^priority\(\d+, \[[\d, ]+\]\) on instance 0, item \d+ scored bin \d+ NaN, expected a finite number$/],
  ['a score is infinite', priority('return capacities.map((c) => 1 / (c - item));'), /scored bin \d+ Infinity, expected a finite number$/],
  ['a score is a string', priority('return capacities.map((c) => String(c));'), /scored bin 0 a string, expected a finite number$/],
  ['too few scores', priority('return capacities.slice(1);'), /^priority\(49, \[72, 76\]\) on instance 0, item 2 returned 1 score for 2 bins$/],
  ['a number instead of an array', priority('return 0;'), /returned a number, expected an array of \d+ numbers$/],
  ['nothing returned', priority('capacities.map((c) => -c);'), /returned undefined, expected an array of \d+ numbers$/],
  ['there is no priority()', 'function score(item, bins) { return bins; }', /^program\.js defines no function priority\(item, capacities\)$/],
  ['the program does not parse', 'function priority(item, capacities) {\n  return capacities.map((c) => -c;\n}', /^program\.js does not parse: .* \(line 2\)$/],
  ['the program reads the clock', priority('return capacities.map(() => Date.now());'), /^program\.js failed: ReferenceError: Date is not defined/],
];

for (const [what, code, message] of rejected) {
  test(`evaluate() throws a precise message when ${what}`, async (t) => {
    await t.throwsAsync(run(code), { message });
  });
}

test('a typed array of scores is accepted like an array', async (t) => {
  const typed = priority('return Float64Array.from(capacities, (c) => -(c - item));');
  t.is((await run(typed)).fitness, (await scored(bestFitProgram)).fitness);
});

test('evaluate() stops a priority() that never returns at the time limit and says so', async (t) => {
  // The message proves the CPU limit stopped it; wall time is not asserted (a loaded machine stretches it).
  await t.throwsAsync(run(priority('for (;;) {}')), { message: `program.js ran past the ${TIME_LIMIT_MS} ms CPU time limit (an endless loop, or far too much work)` });
});

/** What a program that forges the harness's answer would like recorded: every item into a bin of its own (or first fit, choice 0). */
const forgedRuns = `{ runs: ${JSON.stringify(INSTANCES.map((i) => i.items.map(() => 0)))} }`;
const nanScores = 'const s = []; for (let i = 0; i < capacities.length; i++) s[i] = NaN; return s;';

/** Programs that tamper with the built-ins and prototypes the harness or the runner could touch after them, each scoring NaN. */
const steering: Array<[string, string]> = [
  ['replaces Number.isFinite, Array.isArray and ArrayBuffer.isView', 'Number.isFinite = () => true; Array.isArray = () => true; ArrayBuffer.isView = () => true;'],
  ['replaces the array methods the harness used to call', 'Array.prototype.push = function () { return 0; }; Array.prototype.slice = function () { return this; }; Array.prototype.map = function () { return [0]; };'],
  ['puts a then on Object.prototype that answers with forged runs', `Object.prototype.then = function (resolve) { delete Object.prototype.then; resolve(${forgedRuns}); };`],
  ['puts a toJSON on Object.prototype and String.prototype that answers with forged runs', `Object.prototype.toJSON = function () { return ${forgedRuns}; }; String.prototype.toJSON = Object.prototype.toJSON;`],
  ['replaces String and the typed-array length', "String = () => '0'; Object.defineProperty(Object.getPrototypeOf(Int32Array.prototype), 'length', { get() { return 0; } });"],
];

for (const [what, tamper] of steering) {
  test(`a program that ${what} still has its NaN scores refused`, async (t) => {
    await t.throwsAsync(run(`${tamper}\n${priority(nanScores)}`), { message: /^priority\(\d+, \[[\d, ]+\]\) on instance 0, item \d+ scored bin 0 NaN, expected a finite number$/ });
  });
}

test('a score whose getter changes on every read is read once by the harness', async (t) => {
  // Best fit on the first read, worst fit on any later one: the harness must act on the first.
  const flipping = `function priority(item, capacities) {
  const scores = [];
  for (let i = 0; i < capacities.length; i++) {
    let reads = 0;
    const c = capacities[i];
    Object.defineProperty(scores, i, { enumerable: true, get() { return reads++ === 0 ? -(c - item) : c; } });
  }
  return scores;
}`;
  t.is((await run(flipping)).fitness, (await scored(bestFitProgram)).fitness);
});

test('readRuns() accepts only well-formed choices, and cuts a fault message', (t) => {
  const tiny = [{ capacity: 10, items: [6, 3, 6] }];
  t.deepEqual(readRuns('runs -1,0,-1', tiny), [[-1, 0, -1]]);
  for (const bad of ['runs -1,0', 'runs -1,0,NaN', 'runs -1,0,1e9', 'runs -1,0,-2', 'runs -1,0,0.5', 'runs -1,0,-1;0', { runs: [[-1, 0, -1]] }, ['runs -1,0,-1'], null]) {
    t.throws(() => readRuns(bad, tiny), { message: 'the evaluation harness got malformed output (did program.js replace a built-in?)' }, JSON.stringify(bad));
  }
  t.throws(() => readRuns('missing', tiny), { message: 'program.js defines no function priority(item, capacities)' });
  const fault = t.throws(() => readRuns(`fault ${'f'.repeat(5 * 2 ** 20)}`, tiny));
  t.is(fault?.message.length, MAX_FAULT + 1);
});

test('packOnline() refuses a choice outside the bins that fit, so a replay cannot pack illegally', (t) => {
  const instance = { capacity: 10, items: [6, 3, 6, 3] };
  t.deepEqual(packOnline(instance, () => 0), [1, 1]);
  t.throws(() => packOnline(instance, (_item, _capacities, position) => (position === 3 ? 1 : 0)), { message: 'item 3 (size 3): chose bin 1 of 1 that fit' });
  t.throws(() => packOnline(instance, () => 0.5), { message: /chose bin 0\.5 of 1/ });
});

test('codeLines() counts code in the evolve block, not blank or comment-only lines', (t) => {
  const block = '// header\n// EVOLVE-BLOCK-START\n// why\n\nconst A = 1;\n/* note\n * more */\nfunction f() {\n  return A; // trailing\n}\n// EVOLVE-BLOCK-END\nconst after = 2;\n';
  t.is(codeLines(block), 4);
  t.is(codeLines('const a = 1;\n\n// c\nconst b = 2;\n'), 2, 'the whole file when the markers are missing');
});

test('descriptors stay inside the declared ranges for heuristics of very different styles', async (t) => {
  const long = priority(`${Array.from({ length: 70 }, (_, i) => `const unused${i} = ${i};`).join('\n  ')}\n  return capacities.map((c) => -c);`);
  const styles: Record<string, string> = { firstFitProgram, bestFitProgram, worstFitProgram, long };
  for (const [name, code] of Object.entries(styles)) assertInRanges(t, await scored(code), name);
  t.is(((await scored(long)).descriptors as number[])[1], 60, 'long programs share the top cell');
  t.true(((await scored(long)).metrics?.codeLines as number) > 60);
  t.true(((await scored(worstFitProgram)).descriptors as number[])[0]! < ((await scored(bestFitProgram)).descriptors as number[])[0]!);
});

/**
 * Every numeric literal in the code of the evolve block (comments blanked out), with its offset
 * in the program; zeros are left out of the ±10% moves, where they would not change.
 */
function evolveLiterals(code: string): Array<{ at: number; text: string }> {
  const start = code.indexOf('// EVOLVE-BLOCK-START');
  const end = code.indexOf('// EVOLVE-BLOCK-END');
  const block = code.slice(start, end).replace(/\/\/[^\n]*/g, (comment) => ' '.repeat(comment.length));
  return [...block.matchAll(/(?<![\w.$])\d+(?:\.\d+)?(?:e[+-]?\d+)?(?![\w.])/g)].map((m) => ({ at: start + m.index!, text: m[0] }));
}

function replaceAt(code: string, literal: { at: number; text: string }, value: number): string {
  return code.slice(0, literal.at) + String(value) + code.slice(literal.at + literal.text.length);
}

test('moving any constant of the evolve block by 10% never breaks the program, and some moves change the bin count', async (t) => {
  const literals = evolveLiterals(seedProgram);
  t.true(literals.length >= 5, `${literals.length} literals`);
  const base = (await scored(seedProgram)).metrics?.bins as number;
  const counts: number[] = [];
  for (const { at, text } of literals.filter((l) => Number(l.text) !== 0)) {
    for (const factor of [0.9, 1.1]) {
      const code = replaceAt(seedProgram, { at, text }, Number(text) * factor);
      await t.notThrowsAsync(async () => { counts.push((await run(code)).metrics?.bins as number); }, `${text} x ${factor} at offset ${at}`);
    }
  }
  t.true(counts.some((b) => b < base), `bins after perturbation: ${counts.join(' ')} (seed ${base})`);
  t.true(counts.some((b) => b > base), `bins after perturbation: ${counts.join(' ')} (seed ${base})`);
});

test('stepping any integer literal of the evolve block by ±1 or ±2, as the loopback LLM stand-in does, never breaks the program', async (t) => {
  const integers = evolveLiterals(seedProgram).filter((l) => /^\d+$/.test(l.text));
  t.true(integers.length >= 4, `${integers.length} integer literals`);
  for (const literal of integers) {
    for (const step of [-2, -1, 1, 2]) {
      const value = Number(literal.text) + step;
      if (value < 0) continue;
      await t.notThrowsAsync(run(replaceAt(seedProgram, literal, value)), `${literal.text} -> ${value} at offset ${literal.at}`);
    }
  }
});
