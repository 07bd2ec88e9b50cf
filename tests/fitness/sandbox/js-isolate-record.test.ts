// Checks that a candidate cannot steer what the isolate's runner reports: hooks on the prototypes and built-ins the runner or a harness could touch after the candidate ran, provoked for real, and the host-side decoding that caps and checks every record.
import test from 'ava';
import { runInIsolate } from '../../../fitness/sandbox/js-isolate.js';
import { MAX_DESCRIPTION } from '../../../fitness/sandbox/js-isolate-prelude.js';
import { MAX_RESULT_DEPTH, decodeRecord } from '../../../fitness/sandbox/js-isolate-record.js';
import { limitsOf } from '../../../fitness/sandbox/js-isolate-limits.js';
import { isSandboxError } from '../../../fitness/sandbox/sandbox-error.js';
import { failure, run } from '../../helpers/isolate.js';

const MB = 2 ** 20;

/** The exact attack of issue 11: a `then` on Object.prototype that answers for the runner's record with a forged "ok" and a 3.5 MB message. */
const forgeOk = `
Object.prototype.then = function (resolve) {
  delete Object.prototype.then;
  const forged = { kind: 'ok', text: 'x'.repeat(3.5 * ${MB}), json: '{"forged":true}', console: '', cut: false };
  resolve(forged);
};
function f() { return { honest: 1 }; }`;

const forgeThrew = `
Object.prototype.then = function (resolve) {
  resolve({ kind: 'threw', text: 'x'.repeat(3.5 * ${MB}), json: '', console: '', cut: false });
};
function f() { return { honest: 2 }; }`;

for (const host of ['process', 'thread'] as const) {
  test(`a then hook on Object.prototype cannot forge the runner's record (host: ${host})`, async (t) => {
    t.deepEqual((await run(forgeOk, { host })).value, { honest: 1 });
    t.deepEqual((await run(forgeThrew, { host })).value, { honest: 2 });
  });
}

test('a then hook on Object.prototype does not turn a harness\'s plain result into a thenable', async (t) => {
  const code = 'Object.prototype.then = function (resolve) { resolve({ forged: true }); };\nfunction f() { return 3; }';
  const { value } = await runInIsolate({ code, entry: 'f', harness: 'function (f) { return { answer: f() }; }', cpuTimeMs: 1000 });
  t.deepEqual(value, { answer: 3 });
});

/** Hooks on everything the runner used to reach after the candidate ran: setters, getters, toJSON, iterators, replaced built-ins. */
const hooks = `
for (const key of ['kind', 'text', 'json', 'console', 'cut', '0', '1', '2', '3', '4', 'length']) {
  try { Object.defineProperty(Object.prototype, key, { configurable: true, get() { return 'forged'; }, set() { throw new Error('setter hit: ' + key); } }); } catch (_) {}
}
for (const key of ['0', '1', '2', '3', '4']) {
  Object.defineProperty(Array.prototype, key, { configurable: true, get() { return 'forged'; }, set() { throw new Error('array setter hit: ' + key); } });
}
Array.prototype.toJSON = function () { return ['forged']; };
String.prototype.toJSON = function () { return 'forged'; };
Array.prototype[Symbol.iterator] = function* () { yield 'forged'; };
String.prototype[Symbol.iterator] = function* () { yield 'forged'; };
JSON.stringify = () => '["ok","","{\\\\"forged\\\\":1}","",false]';
String = function () { return 'forged'; };
Array.isArray = () => true;
Number.isFinite = () => true;
Object.keys = () => ['forged'];
Object.getPrototypeOf = () => null;
Reflect.apply = () => 'forged';
String.prototype.slice = () => 'forged';
String.prototype.split = () => ['forged'];
String.prototype.indexOf = () => 0;
`;

test('setters, getters, toJSON, iterators and replaced built-ins reach none of the runner\'s bookkeeping', async (t) => {
  // The candidate's own arrays pass through its own toJSON (it may shape its own answer), but nothing around them does.
  t.deepEqual((await run(`${hooks}\nfunction f() { return { n: NaN, list: [1, 2], text: 'kept' }; }`)).value, { n: Number.NaN, list: ['forged'], text: 'kept' });
  t.is((await run(`${hooks}\nfunction f() { return 'plain'; }`)).value, 'plain');
  const threw = await failure(t, `${hooks}\nfunction f() {\n  throw new RangeError('real');\n}`, 'threw');
  t.is(threw.message, `program.js failed: RangeError: real (program.js line ${hooks.split('\n').length + 2})`);
  t.is((await failure(t, `${hooks}\nfunction g() {}`, 'no-result')).message, 'program.js defines no function f()');
  t.is((await failure(t, `${hooks}\nfunction f() { return () => 1; }`, 'no-result')).message, 'program.js: the result cannot be copied out of the isolate: a function');
});

test('index setters on Array.prototype cannot see or change the arguments the harness receives', async (t) => {
  const code = `
    Object.defineProperty(Array.prototype, '1', { configurable: true, get() { return 'forged'; }, set(v) { this.stolen = v; } });
    Object.defineProperty(Array.prototype, '0', { configurable: true, get() { return 'forged'; }, set() {} });
    function f(x) { return x; }`;
  const { value } = await runInIsolate({ code, entry: 'f', harness: 'function (f, a, b) { return a + "|" + b; }', args: ['first', 'second'], cpuTimeMs: 1000 });
  t.is(value, 'first|second');
  t.is((await run(code, { args: ['only'] })).value, 'only');
});

test('a candidate that closes the function it is wrapped in runs too late to reach the arguments or the harness\'s built-ins', async (t) => {
  // The text after the first "}" runs when the script is run, before the entry is even loaded.
  const escape = `function f(a) { return a; } }), (Object.defineProperty(Array.prototype, '1', { configurable: true, get() { return 'forged'; }, set() {} }),
    Number.isFinite = () => true, 0), (function () { function f(a) { return a; }`;
  const harness = '(function () { const finite = Number.isFinite; return function (f, a, b) { return [a, b, finite(NaN)]; }; })()';
  t.deepEqual((await runInIsolate({ code: escape, entry: 'f', harness, args: ['first', 'second'], cpuTimeMs: 1000 })).value, ['first', 'second', false]);
});

test('replacing Promise.prototype.then, its constructor or Symbol.species cannot forge an async result', async (t) => {
  const forgedRecord = JSON.stringify(['ok', '', '{"forged":1}', '', false]);
  const thenForge = `const then = Promise.prototype.then;
    Promise.prototype.then = function (ok, bad) { if (typeof ok === 'function') ok(${JSON.stringify(forgedRecord)}); return then.call(this, ok, bad); };
    async function f() { await null; return 'honest'; }`;
  t.is((await run(thenForge)).value, 'honest');
  const ctorForge = `class Fake extends Promise { constructor(run) { super(run); run((v) => v, () => {}); } }
    Object.defineProperty(Promise.prototype, 'constructor', { configurable: true, get() { return Fake; } });
    Object.defineProperty(Promise, Symbol.species, { configurable: true, get() { return Fake; } });
    async function f() { await null; return 'honest'; }`;
  const outcome = await run(ctorForge).then((r) => r.value, (e: Error & { reason?: string }) => e.reason);
  t.true(outcome === 'honest' || outcome === 'threw', `got ${String(outcome)}`);
});

test('a replaced Promise.prototype.then cannot reject the wait on the runner\'s own promise with a message of its choosing', async (t) => {
  // isolated-vm waits on the runner's promise with V8's Then and Catch; Catch looks up \`then\` on the promise Then made.
  const rejectForge = `const then = Promise.prototype.then;
    Promise.prototype.then = function (ok, bad) { if (typeof bad === 'function') bad(new Error('forged crash')); return then.call(this, ok, bad); };
    async function f() { await null; return 'honest'; }`;
  const speciesForge = `class Fake extends Promise { then(ok, bad) { if (typeof bad === 'function') bad(new Error('forged crash')); return super.then(ok, bad); } }
    Object.defineProperty(Promise.prototype, 'constructor', { configurable: true, value: Fake });
    Object.defineProperty(Promise, Symbol.species, { configurable: true, get() { return Fake; } });
    async function f() { await null; return 'honest'; }`;
  // The default constructor of a Promise subclass spreads its arguments through the Array iterator.
  const iteratorForge = `Array.prototype[Symbol.iterator] = function* () {};
    async function f() { await null; return 'honest'; }`;
  for (const host of ['process', 'thread'] as const) {
    for (const code of [rejectForge, speciesForge, iteratorForge]) {
      const outcome = await run(code, { host }).then((r) => r.value, (e: Error & { reason?: string }) => `${e.reason}: ${e.message}`);
      t.is(outcome, 'honest', host);
    }
  }
});

test('only promises are waited for: a thenable is a result like any other, a promise that never settles meets the wall clock', async (t) => {
  t.regex((await failure(t, 'function f() { return { then(resolve) { resolve(1); } }; }', 'no-result')).message, /a function at key "then"$/);
  const error = await failure(t, 'function f() { return new Promise(() => {}); }', 'time-limit', { cpuTimeMs: 200, wallTimeMs: 500 });
  t.regex(error.message, /wall-clock limit/);
  t.is((await run('class Later extends Promise {}\nfunction f() { return Later.resolve(5); }')).value, 5, 'a promise subclass is still a promise');
  t.deepEqual((await run('function f() { const o = Object.create(null); o.a = [1]; return o; }')).value, { a: [1] }, 'an object without prototype is data');
  const posing = 'function f() { return new Proxy({}, { getPrototypeOf: () => Promise.prototype }); }';
  t.regex((await failure(t, posing, 'threw')).message, /^program\.js failed: TypeError: .*incompatible receiver/);
});

test('a result whose getters answer differently on every read is read once, inside the isolate', async (t) => {
  const code = `function f() {
    let reads = 0;
    const circle = { get r() { reads++; return reads === 1 ? 0.01 : NaN; } };
    const proxy = new Proxy({}, { ownKeys: () => ['x'], getOwnPropertyDescriptor: () => ({ enumerable: true, configurable: true }), get: (_, key) => (key === 'x' ? ++reads : undefined) });
    return [circle, proxy];
  }`;
  t.deepEqual((await run(code)).value, [{ r: 0.01 }, { x: 2 }]);
});

test('descriptions and console output are cut however the candidate builds them', async (t) => {
  const primitive = 'function f() { throw { name: "E", message: { [Symbol.toPrimitive]() { return "y".repeat(4e6); } } }; }';
  const error = await failure(t, primitive, 'threw');
  t.true(error.message.length <= MAX_DESCRIPTION + 40, `${error.message.length} characters`);
  const printed = await run('function f() { console.log("z".repeat(5e6)); return 1; }');
  t.true(Buffer.byteLength(printed.console) <= 16 * 1024 + 64);
  t.regex(printed.console, /\[console output cut at 16384 bytes\]\n$/);
});

test(`a result nested deeper than ${MAX_RESULT_DEPTH} levels is no-result with a reason, not crashed`, async (t) => {
  const nested = (depth: number) => `function f() { let v = []; for (let i = 1; i < ${depth}; i++) v = [v]; return v; }`;
  t.is(JSON.stringify((await run(nested(MAX_RESULT_DEPTH))).value).length, 2 * MAX_RESULT_DEPTH);
  const deeper = await failure(t, nested(MAX_RESULT_DEPTH + 1), 'no-result');
  t.is(deeper.message, `program.js: the result cannot be copied out of the isolate: it is nested ${MAX_RESULT_DEPTH + 1} levels deep, more than the ${MAX_RESULT_DEPTH} allowed`);
  // Deeper than the isolate's own JSON.stringify can go: its RangeError is a no-result too.
  t.regex((await failure(t, nested(2e5), 'no-result', { memoryMb: 128, cpuTimeMs: 20_000 })).message, /nested \d+ levels deep|Maximum call stack size exceeded/);
});

const limits = limitsOf({ code: '', entry: 'f', cpuTimeMs: 100 });
const decode = (raw: unknown) => decodeRecord(raw, 'f', limits, 1, 1);
const decodeError = (t: import('ava').ExecutionContext, raw: unknown) => {
  const error = t.throws(() => decode(raw));
  t.true(isSandboxError(error));
  return error as Error & { reason: string; output: string };
};

test('the host decodes only a well-formed record string; anything else is crashed', (t) => {
  t.deepEqual(decode(JSON.stringify(['ok', '', '{"a":[1,{"\\u0000ouroboros:value":"NaN"}]}', 'hi\n', false])).value, { a: [1, Number.NaN] });
  const malformed: unknown[] = [
    { kind: 'ok', text: '', json: '1', console: '', cut: false }, undefined, 'not json', JSON.stringify(['ok', '', '1', '']),
    JSON.stringify(['forged', '', '1', '', false]), JSON.stringify(['ok', '', 1, '', false]), JSON.stringify(['ok', '', '1', '', 'no']),
  ];
  for (const raw of malformed) {
    const error = decodeError(t, raw);
    t.is(error.reason, 'crashed');
    t.is(error.message, 'the isolate running program.js returned no well-formed record');
  }
});

test('the host caps what a record carries even if the runner inside were subverted', (t) => {
  const threw = decodeError(t, JSON.stringify(['threw', 'x'.repeat(3.5 * MB), '', 'p'.repeat(5 * MB), false]));
  t.is(threw.reason, 'threw');
  t.true(threw.message.length <= MAX_DESCRIPTION + 250, `${threw.message.length} characters`);
  t.true(Buffer.byteLength(threw.output) <= limits.maxConsoleBytes + 64);
  const big = decodeError(t, JSON.stringify(['ok', '', JSON.stringify('b'.repeat(2 * MB)), '', false]));
  t.is(big.reason, 'output-too-large');
  const deep = decodeError(t, JSON.stringify(['ok', '', '['.repeat(1e5) + ']'.repeat(1e5), '', false]));
  t.is(deep.reason, 'no-result');
  t.regex(deep.message, /nested 100000 levels deep/);
  const notJson = decodeError(t, JSON.stringify(['ok', '', '{', '', false]));
  t.is(notJson.reason, 'crashed');
});
