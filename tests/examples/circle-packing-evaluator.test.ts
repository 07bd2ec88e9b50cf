// Checks the circle-packing problem: a valid seed with room to improve, deterministic scoring, precise rejections, tweakable constants.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { DescriptorSpec } from '../../common/types.js';
import { loadProblem } from '../../engine/config/problem.js';
import type { EvaluatorResult } from '../../fitness/evaluator.js';
import { checkPacking, violations } from '../../examples/circle-packing/check-packing.js';
import { TIME_LIMIT_MS, evaluate } from '../../examples/circle-packing/evaluator.js';
import { runProgram } from '../../examples/shared/program-sandbox.js';

const problemDir = fileURLToPath(new URL('../../examples/circle-packing/', import.meta.url));
const manifest = JSON.parse(readFileSync(`${problemDir}problem.json`, 'utf8')) as { description: string; descriptors: DescriptorSpec[] };
const seedProgram = readFileSync(`${problemDir}seed/program.js`, 'utf8');

function run(code: string, seed = 1): Promise<EvaluatorResult> {
  return evaluate({ variantId: 'test', files: { 'program.js': code }, params: {}, seed, iteration: 0, problemDir });
}

/** A pack() returning the circles that `body` (JavaScript, with `i` the index) describes. */
const packing = (body: string): string => `function pack() {\n  return Array.from({ length: 26 }, (_, i) => (${body}));\n}\n`;
/** 26 small circles on a 6 x 5 grid (the last four cells empty): valid, far from optimal. */
const grid = (r: string): string => packing(`{ x: 0.1 + 0.16 * (i % 6), y: 0.1 + 0.2 * Math.floor(i / 6), r: ${r} }`);

function assertInRanges(t: import('ava').ExecutionContext, result: EvaluatorResult, label: string): void {
  const values = result.descriptors as number[];
  t.is(values.length, manifest.descriptors.length, label);
  manifest.descriptors.forEach((d, k) => {
    const v = values[k]!;
    t.true(Number.isFinite(v) && v >= d.min && v <= d.max, `${label}: ${d.name} = ${v} outside [${d.min}, ${d.max}]`);
  });
}

test('the seed packs 26 valid circles with a sum of radii around 2.24, well short of the best known 2.635', async (t) => {
  const result = await run(seedProgram);
  t.true(result.fitness > 2.2 && result.fitness < 2.3, `seed fitness ${result.fitness}`);
  t.is(result.metrics?.sumRadii, result.fitness);
  t.regex(result.artifacts?.summary ?? '', /^sum of radii 2\.24\d+ \(85\.\d\d% of the best known 2\.635\)/);
  t.is(result.artifacts?.packing?.split('\n').length, 26);
  assertInRanges(t, result, 'seed');
});

test('the task statement quotes the seed score and the time limit the evaluator enforces', async (t) => {
  t.true(manifest.description.includes(`the seed scores ${(await run(seedProgram)).fitness.toFixed(4)}`));
  t.true(manifest.description.includes(`${TIME_LIMIT_MS / 1000} seconds of CPU time`));
});

test('evaluate() returns identical output for the same program and seed', async (t) => {
  t.deepEqual(await run(seedProgram, 3), await run(seedProgram, 3));
  t.deepEqual(await run(seedProgram, 3), await run(seedProgram, 4), 'the seed program uses no randomness');
});

test('Math.random inside the program is seeded by the evaluation seed', async (t) => {
  const random = grid('0.01 + 0.05 * Math.random()');
  t.deepEqual(await run(random, 5), await run(random, 5));
  t.not((await run(random, 5)).fitness, (await run(random, 6)).fitness);
});

test('the seed marks one evolve block, with the fixed helpers after it', (t) => {
  const start = seedProgram.indexOf('// EVOLVE-BLOCK-START');
  const end = seedProgram.indexOf('// EVOLVE-BLOCK-END');
  t.true(start >= 0 && end > start);
  t.is(seedProgram.split('EVOLVE-BLOCK-START').length, 2);
  t.is(seedProgram.split('EVOLVE-BLOCK-END').length, 2);
  const after = seedProgram.slice(end);
  for (const helper of ['function feasibleRadii(', 'function freeRoom(', 'function pack(']) t.true(after.includes(helper), helper);
  t.false(/\b(require|import)\b/.test(seedProgram));
});

test('the engine loads the problem folder as a code problem with no parameter space', (t) => {
  const problem = loadProblem(problemDir);
  t.is(problem.manifest.name, 'circle-packing');
  t.is(problem.params, null);
  t.deepEqual(Object.keys(problem.seedFiles), ['program.js']);
  t.deepEqual(problem.descriptors.map((d) => d.name), ['radiusCv', 'wallShare']);
});

const rejected: Array<[string, string, RegExp]> = [
  ['two circles overlap', packing('{ x: 0.1 + 0.035 * i, y: 0.5, r: i < 2 ? 0.03 : 0.004 }'),
    /^invalid packing: circles 0 and 1 overlap by 0\.025 \(centre distance 0\.035 < r0 \+ r1 = 0\.06\)$/],
  ['a circle crosses a wall', packing('{ x: 0.06 + 0.0376 * i, y: 0.5, r: 0.01 }'),
    /^invalid packing: circle 25 crosses the right wall by 0\.01 \(1 - \(x \+ r\) = -0\.01\)$/],
  ['every circle sits on the same spot', packing('{ x: 0.5, y: 0.5, r: 0.1 }'), /^invalid packing: circles 0 and 1 overlap by 0\.2 .*\(and 324 more violations\)$/],
  ['a radius is zero', packing('{ x: 0.02 + 0.037 * i, y: 0.5, r: i === 3 ? 0 : 0.01 }'), /^invalid packing: circle 3 has radius 0, must be positive$/],
  ['too few circles', 'function pack() { return Array.from({ length: 25 }, () => ({ x: 0.5, y: 0.5, r: 0.01 })); }', /^pack\(\) returned 25 circles, expected 26$/],
  ['a radius is NaN', packing('{ x: 0.02 + 0.037 * i, y: 0.5, r: i === 7 ? 0 / 0 : 0.01 }'), /^circle 7: r is NaN, expected a finite number$/],
  ['a coordinate is infinite', packing('{ x: i === 0 ? 1 / 0 : 0.5, y: 0.5, r: 0.01 }'), /^circle 0: x is Infinity, expected a finite number$/],
  ['a field is missing', packing('{ x: 0.5, y: 0.5 }'), /^circle 0: r is missing, expected a finite number$/],
  ['circles are arrays', packing('[0.5, 0.5, 0.01]'), /^circle 0 is an array, expected an object \{ x, y, r \}$/],
  ['a field is a function', packing('{ x: 0.5, y: 0.5, r: () => 0.01 }'), /^program\.js: the result cannot be copied out of the isolate: a function at key "r"$/],
  ['pack() returns a number', 'function pack() { return 2.6; }', /^pack\(\) returned a number, expected an array of 26 objects \{ x, y, r \}$/],
  ['pack() returns nothing', 'function pack() {}', /^pack\(\) returned undefined, expected an array of 26/],
  ['pack() throws', 'function pack() {\n  throw new Error("no layout");\n}', /^program\.js failed: Error: no layout \(program\.js line 2\)$/],
  ['the program throws while loading', 'const a = null;\nconst b = a.size;', /^program\.js failed: TypeError: .*null.* \(program\.js line 2\)$/],
  ['there is no pack()', 'function place() { return []; }', /^program\.js defines no function pack\(\)$/],
  ['the program does not parse', 'function pack( {', /^program\.js does not parse: /],
  ['the program reads the clock', 'function pack() { return Date.now(); }', /^program\.js failed: ReferenceError: Date is not defined/],
  ['the program uses require', 'const fs = require("fs");\nfunction pack() {}', /^program\.js failed: ReferenceError: require is not defined \(program\.js line 1\)$/],
  ['the program uses eval', 'function pack() { return eval("[]"); }', /^program\.js failed: EvalError: Code generation from strings disallowed/],
];

for (const [what, code, message] of rejected) {
  test(`evaluate() throws a precise message when ${what}`, async (t) => {
    await t.throwsAsync(run(code), { message });
  });
}

/** 26 circles of radius 0.5 at NaN centres: what pack() returns in the attack of issue 11 (sum of radii 13). */
const nanCircles = 'Array.from({ length: 26 }, () => ({ x: NaN, y: NaN, r: 0.5 }))';

/**
 * Programs that tamper with what the host might read after them, each trying to get an invalid
 * packing scored: every one is refused or scored for what it really returned.
 */
const steering: Array<[string, string, RegExp]> = [
  ['replaces Number.isFinite and returns 26 circles at NaN centres (issue 11: scored 13)',
    `Number.isFinite = () => true;\nfunction pack() { return ${nanCircles}; }`, /^circle 0: x is NaN, expected a finite number$/],
  ['replaces Number.isFinite, Array.isArray and Array.prototype.map, and returns infinite radii',
    `Number.isFinite = () => true; Array.isArray = () => true; Array.prototype.map = function () { return this; };\nfunction pack() { return Array.from({ length: 26 }, (_, i) => ({ x: 0.5, y: 0.5, r: i === 4 ? Infinity : 0.01 })); }`,
    /^circle 4: r is Infinity, expected a finite number$/],
  ['puts a then on Object.prototype that answers with 26 large circles',
    `Object.prototype.then = function (resolve) { delete Object.prototype.then; resolve(${nanCircles}); };\nfunction pack() { return 'nothing'; }`,
    /^pack\(\) returned a string, expected an array of 26 objects/],
  ['puts a toJSON on Object.prototype that turns every circle into a NaN one',
    `Object.prototype.toJSON = function () { return Array.isArray(this) ? this : { x: NaN, y: NaN, r: 0.5 }; };\nfunction pack() { return Array.from({ length: 26 }, (_, i) => ({ x: 0.02 + 0.037 * i, y: 0.5, r: 0.01 })); }`,
    /^circle 0: x is NaN, expected a finite number$/],
  ['returns radii whose getter is finite when checked and large when scored',
    `function pack() { return Array.from({ length: 26 }, (_, i) => { let reads = 0; return { x: 0.02 + 0.037 * i, y: 0.5, get r() { return reads++ === 0 ? 0.01 : 0.5; } }; }); }`,
    /^sum of radii 0\.260000 /],
  ['returns a proxy that claims 26 circles and answers NaN to every read',
    `function pack() { return new Proxy([], { get: (t, k) => (k === 'length' ? 26 : typeof k === 'string' && /^\\d+$/.test(k) ? { x: NaN, y: NaN, r: 0.5 } : t[k]) }); }`,
    /^(circle 0: x is NaN, expected a finite number|pack\(\) returned 0 circles, expected 26)$/],
  ['returns a huge message where a number belongs',
    `function pack() { return Array.from({ length: 26 }, (_, i) => ({ x: i === 0 ? 'x'.repeat(5e5) : 0.5, y: 0.5, r: 0.01 })); }`,
    /^circle 0: x is a string, expected a finite number$/],
];

for (const [what, code, expected] of steering) {
  test(`a program that ${what} cannot steer its score`, async (t) => {
    const outcome = await run(code).then((r) => r.artifacts?.summary ?? '', (e: Error) => e.message);
    t.regex(outcome, expected);
  });
}

test('violations() refuses NaN and infinite values, which compare false with every bound', (t) => {
  const nan = Array.from({ length: 26 }, () => ({ x: Number.NaN, y: Number.NaN, r: 0.5 }));
  t.is(violations(nan)[0], 'circle 0 has x = NaN, must be a finite number');
  t.throws(() => checkPacking(nan), { message: /^invalid packing: circle 0 has x = NaN, must be a finite number \(and 25 more violations\)$/ });
  t.deepEqual(violations([{ x: 0.5, y: 0.5, r: Number.POSITIVE_INFINITY }]), ['circle 0 has r = Infinity, must be a finite number']);
});

test('evaluate() stops a program that never ends at the time limit and says so', async (t) => {
  // The message proves the CPU limit stopped it; wall time is not asserted (a loaded machine stretches it).
  await t.throwsAsync(run('function pack() { for (;;) {} }'), { message: `program.js ran past the ${TIME_LIMIT_MS} ms CPU time limit (an endless loop, or far too much work)` });
});

test('the time limit also covers promise callbacks the program leaves behind', async (t) => {
  const code = 'function pack() { Promise.resolve().then(() => { for (;;) {} }); return 1; }';
  await t.throwsAsync(runProgram(code, { entry: 'pack', harness: 'function (pack) { return pack(); }', timeoutMs: 100, seed: 0 }), { message: /ran past the 100 ms CPU time limit/ });
});

test('evaluate() names a variant without program.js', async (t) => {
  await t.throwsAsync(evaluate({ variantId: 't', files: { 'main.js': '' }, params: {}, seed: 0, iteration: 0, problemDir }), { message: 'the variant has no program.js (it has: main.js)' });
});

test('violations() lists every broken constraint and tolerates round-off of 1e-9', (t) => {
  t.deepEqual(violations([{ x: 0.5, y: 0.5, r: 0.5 + 5e-10 }]), []);
  t.deepEqual(violations([{ x: 0.25, y: 0.5, r: 0.25 }, { x: 0.75, y: 0.5, r: 0.25 + 5e-10 }]), []);
  t.deepEqual(violations([{ x: 0.1, y: 0.9, r: 0.2 }]), [
    'circle 0 crosses the left wall by 0.1 (x - r = -0.1)',
    'circle 0 crosses the top wall by 0.1 (1 - (y + r) = -0.1)',
  ]);
  t.throws(() => checkPacking([{ x: 0.5, y: 0.5, r: 0.5 + 2e-9 }]), { message: /by 2.00e-9 .*\(and 3 more violations\)$/ });
});

test('what the program prints reaches the artifacts', async (t) => {
  const code = `function pack() {\n  console.log('placing', { n: 26 });\n  return Array.from({ length: 26 }, (_, i) => ({ x: 0.02 + 0.037 * i, y: 0.5, r: 0.01 }));\n}\n`;
  t.is((await run(code)).artifacts?.console, 'placing {"n":26}');
  t.is((await run(seedProgram)).artifacts?.console, undefined);
});

test('descriptors stay inside the declared ranges for packings of very different styles', async (t) => {
  const styles: Record<string, string> = {
    uniformGrid: grid('0.07'),
    oneLargeManyTiny: packing('i === 0 ? { x: 0.5, y: 0.5, r: 0.45 } : { x: 0.005 + 0.0396 * (i - 1), y: 0.005, r: 0.004 }'),
    allAgainstWalls: packing('{ x: 0.01 + 0.0392 * i, y: i % 2 ? 0.01 : 0.99, r: 0.01 }'),
  };
  for (const [name, code] of Object.entries(styles)) assertInRanges(t, await run(code), name);
  t.is(((await run(styles.oneLargeManyTiny!)).descriptors as number[])[0], 1, 'a coefficient of variation above 1 counts as 1');
  t.true(((await run(styles.oneLargeManyTiny!)).metrics?.radiusCv as number) > 1);
  t.is(((await run(styles.allAgainstWalls!)).descriptors as number[])[1], 1);
  t.true(((await run(styles.uniformGrid!)).descriptors as number[])[0]! < 1e-12, 'equal radii have no spread');
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

test('moving any constant of the evolve block by 10% keeps the packing valid, and some moves score higher', async (t) => {
  const literals = evolveLiterals(seedProgram);
  t.true(literals.length >= 10, `${literals.length} literals`);
  const base = (await run(seedProgram)).fitness;
  let better = 0;
  for (const { at, text } of literals.filter((l) => Number(l.text) !== 0)) {
    for (const factor of [0.9, 1.1]) {
      const code = replaceAt(seedProgram, { at, text }, Number(text) * factor);
      const label = `${text} x ${factor} at offset ${at}`;
      let score = Number.NaN;
      await t.notThrowsAsync(async () => { score = (await run(code)).fitness; }, label);
      t.true(score > 1.5, `${label}: ${score}`);
      if (score > base + 1e-9) better++;
    }
  }
  t.true(better >= 3, `${better} perturbations beat the seed`);
});

test('stepping any integer literal of the evolve block by ±1 or ±2, as the loopback LLM stand-in does, keeps the packing valid', async (t) => {
  const integers = evolveLiterals(seedProgram).filter((l) => /^\d+$/.test(l.text));
  t.true(integers.length >= 10, `${integers.length} integer literals`);
  for (const literal of integers) {
    for (const step of [-2, -1, 1, 2]) {
      const value = Number(literal.text) + step;
      if (value < 0) continue;
      await t.notThrowsAsync(run(replaceAt(seedProgram, literal, value)), `${literal.text} -> ${value} at offset ${literal.at}`);
    }
  }
});
