// Checks the JS isolate sandbox: results copied in and out, every failure reason, and hostile candidates provoked for real (in the default isolate host; js-isolate-host.test.ts checks the host itself and the thread mode).
import test from 'ava';
import { createServer } from 'node:net';
import { runInIsolate } from '../../../fitness/sandbox/js-isolate.js';
import { mulberry32 } from '../../../examples/shared/prng.js';
import { failure, run } from '../../helpers/isolate.js';


/** A normal call that must still work, in the same thread, after a hostile one. */
async function stillWorks(t: import('ava').ExecutionContext): Promise<void> {
  t.deepEqual((await run('function f(a) { return { twice: 2 * a, proto: Object.keys(Object.prototype), json: JSON.stringify([1]) }; }', { args: [21] })).value,
    { twice: 42, proto: [], json: '[1]' });
}

test('runInIsolate() calls the entry with copied arguments and copies the result out', async (t) => {
  const input = { xs: [1, 2, 3], name: 'in' };
  const result = await run('function f(o, k) { o.xs.push(99); o.name = "changed"; return { sum: o.xs.reduce((a, b) => a + b, 0) * k, name: o.name }; }', { args: [input, 2] });
  t.deepEqual(result.value, { sum: 210, name: 'changed' });
  t.deepEqual(input, { xs: [1, 2, 3], name: 'in' }, 'the host object is untouched');
  t.true(result.cpuMs >= 0 && result.wallMs >= result.cpuMs * 0.5);
});

test('NaN, Infinity, undefined entries and typed arrays survive the copy out', async (t) => {
  const { value } = await run('function f() { return { nan: NaN, inf: -Infinity, list: [1, undefined, Infinity], typed: new Float64Array([0.5, 2]), gone: undefined }; }');
  t.deepEqual(value, { nan: Number.NaN, inf: Number.NEGATIVE_INFINITY, list: [1, undefined, Number.POSITIVE_INFINITY], typed: [0.5, 2] });
  t.is((await run('function f() { return undefined; }')).value, undefined);
  t.is((await run('function f() { return NaN; }')).value, Number.NaN);
});

test('an async entry is awaited, and promise callbacks run, inside the limits', async (t) => {
  t.is((await run('async function f() { const v = await Promise.resolve(20); return v + await new Promise((r) => r(22)); }')).value, 42);
  t.is((await run('const f = async () => 7;')).value, 7, 'a const holding a function counts as the entry');
});

test('console output comes back as lines, objects as JSON, and travels with a failure', async (t) => {
  t.is((await run('function f() { console.log("a", { n: 1 }, [2]); console.error(3); return 0; }')).console, 'a {"n":1} [2]\n3\n');
  const error = await failure(t, 'function f() {\n  console.log("before");\n  throw new Error("after");\n}', 'threw');
  t.is(error.output, 'before\n');
});

test('a syntax error is a syntax failure naming the program line, or the end of the file for a bracket left open', async (t) => {
  const error = await failure(t, 'function f() {\n  return 1 +;\n}', 'syntax');
  t.is(error.message, "program.js does not parse: Unexpected token ';' (line 2)");
  const open = await failure(t, 'function f() {\n  return [1, 2];\n', 'syntax');
  t.regex(open.message, /^program\.js does not parse: .* at the end of the file \(is a bracket left open\?\)$/);
  const renamed = await failure(t, 'function f() {', 'syntax', { filename: 'solve.js' });
  t.regex(renamed.message, /^solve\.js does not parse: /);
  t.regex((await failure(t, 'import fs from "fs";\nfunction f() {}', 'syntax')).message, /Cannot use import statement outside a module \(line 1\)/);
  t.regex((await failure(t, 'function f() { with (Math) return PI; }', 'syntax')).message, /Strict mode code may not include a with statement/);
});

const thrown: Array<[string, string, string]> = [
  ['an Error', 'function f() {\n  throw new RangeError("too far");\n}', 'program.js failed: RangeError: too far (program.js line 2)'],
  ['an Error while loading', 'const a = null;\nconst b = a.size;\nfunction f() {}', "program.js failed: TypeError: Cannot read properties of null (reading 'size') (program.js line 2)"],
  ['a string', 'function f() { throw "oops"; }', 'program.js failed: threw "oops", not an Error'],
  ['null', 'function f() { throw null; }', 'program.js failed: threw null, not an Error'],
  ['a number', 'function f() { throw 42; }', 'program.js failed: threw 42, not an Error'],
  ['a plain object', 'function f() { throw { code: 3 }; }', 'program.js failed: threw {"code":3}, not an Error'],
  ['a symbol', 'function f() { throw Symbol("s"); }', 'program.js failed: threw a symbol, not an Error'],
  ['a function', 'function f() { throw f; }', 'program.js failed: threw a function, not an Error'],
  ['an object whose getters throw', 'function f() { throw { get name() { throw new Error("x"); }, get message() { throw 1; } }; }', 'program.js failed: threw a value that cannot be described'],
  ['an Error whose message is a million characters', 'function f() { throw new Error("m".repeat(1e6)); }', `program.js failed: Error: ${'m'.repeat(993)}… (program.js line 1)`],
  ['from a rejected promise', 'async function f() { await null; throw new TypeError("late"); }', 'program.js failed: TypeError: late (program.js line 1)'],
];

for (const [what, code, message] of thrown) {
  test(`a candidate that throws ${what} fails with reason threw and a description made inside the isolate`, async (t) => {
    t.is((await failure(t, code, 'threw')).message, message);
  });
}

test('an object whose getter loops forever when described is stopped by the CPU limit, never run on the host', async (t) => {
  await failure(t, 'function f() { throw { get message() { for (;;) {} } }; }', 'time-limit', { cpuTimeMs: 200 });
});

test('the global object holds the language built-ins and a console, nothing of the host', async (t) => {
  const { value } = await run('function f() { return Object.getOwnPropertyNames(globalThis).sort(); }');
  t.deepEqual(value, [
    'AggregateError', 'Array', 'ArrayBuffer', 'Atomics', 'BigInt', 'BigInt64Array', 'BigUint64Array', 'Boolean', 'DataView', 'Error',
    'EvalError', 'Float32Array', 'Float64Array', 'Function', 'Infinity', 'Int16Array', 'Int32Array', 'Int8Array', 'JSON', 'Map', 'Math',
    'NaN', 'Number', 'Object', 'Promise', 'Proxy', 'RangeError', 'ReferenceError', 'Reflect', 'RegExp', 'Set', 'SharedArrayBuffer',
    'String', 'Symbol', 'SyntaxError', 'TypeError', 'URIError', 'Uint16Array', 'Uint32Array', 'Uint8Array', 'Uint8ClampedArray',
    'WeakMap', 'WeakSet', 'console', 'decodeURI', 'decodeURIComponent', 'encodeURI', 'encodeURIComponent', 'escape', 'eval',
    'globalThis', 'isFinite', 'isNaN', 'parseFloat', 'parseInt', 'undefined', 'unescape',
  ]);
  const names = ['require', 'process', 'module', 'exports', 'global', 'Buffer', 'fetch', 'XMLHttpRequest', 'WebSocket', 'setTimeout',
    'setInterval', 'setImmediate', 'queueMicrotask', 'performance', 'Date', 'Intl', 'WebAssembly', 'FinalizationRegistry', 'WeakRef', 'ivm', 'Deno', 'Bun'];
  const { value: types } = await run(`function f() { return [${names.map((n) => `typeof ${n}`).join(', ')}, typeof Atomics.wait, typeof Atomics.waitAsync]; }`);
  t.deepEqual(types, [...names, 'Atomics.wait', 'Atomics.waitAsync'].map(() => 'undefined'));
});

test('reading a file fails every way a candidate can try it', async (t) => {
  t.regex((await failure(t, 'function f() { return require("fs").readFileSync("/etc/passwd", "utf8"); }', 'threw')).message, /ReferenceError: require is not defined/);
  t.regex((await failure(t, 'async function f() { const fs = await import("fs"); return fs.readFileSync("/etc/passwd", "utf8"); }', 'threw')).message, /Error: Not supported/);
  t.regex((await failure(t, 'function f() { return globalThis.constructor.constructor("return process")().mainModule.require("fs"); }', 'threw')).message, /EvalError: Code generation from strings disallowed/);
  t.regex((await failure(t, 'function f() { return (async () => {}).constructor("return import(\'fs\')")(); }', 'threw')).message, /EvalError/);
  t.regex((await failure(t, 'function f() { return process.binding("fs"); }', 'threw')).message, /ReferenceError: process is not defined/);
});

test('environment variables are out of reach', async (t) => {
  process.env.OUROBOROS_TEST_SECRET = 'sk-do-not-leak';
  t.teardown(() => { delete process.env.OUROBOROS_TEST_SECRET; });
  t.regex((await failure(t, 'function f() { return process.env.OUROBOROS_TEST_SECRET; }', 'threw')).message, /ReferenceError: process is not defined/);
  const { value } = await run('function f() { const seen = new Set(); const walk = (o, d) => { if (d > 3 || o === null || (typeof o !== "object" && typeof o !== "function") || seen.has(o)) return ""; seen.add(o); let s = ""; for (const k of Reflect.ownKeys(o)) { let v; try { v = o[k]; } catch (_) { continue; } s += (typeof v === "string" ? v : "") + walk(v, d + 1); } return s; }; return walk(globalThis, 0); }');
  t.false(String(value).includes('sk-do-not-leak'), 'no string reachable from the global object holds the secret');
});

test('the network is out of reach: a local server sees no connection whatever the candidate tries', async (t) => {
  let connections = 0;
  const server = createServer((socket) => { connections++; socket.destroy(); });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => server.close());
  const port = (server.address() as { port: number }).port;
  const attempts = [
    `async function f() { return await fetch("http://127.0.0.1:${port}/"); }`,
    `function f() { return require("net").connect(${port}, "127.0.0.1"); }`,
    `async function f() { const net = await import("node:net"); return net.connect(${port}); }`,
    `function f() { const x = new XMLHttpRequest(); x.open("GET", "http://127.0.0.1:${port}/"); x.send(); }`,
    `function f() { return new WebSocket("ws://127.0.0.1:${port}/"); }`,
  ];
  for (const code of attempts) await failure(t, code, 'threw');
  await new Promise((resolve) => setTimeout(resolve, 100));
  t.is(connections, 0);
});

test('spawning a process fails every way a candidate can try it', async (t) => {
  t.regex((await failure(t, 'function f() { return require("child_process").execSync("id").toString(); }', 'threw')).message, /require is not defined/);
  t.regex((await failure(t, 'async function f() { return (await import("child_process")).execSync("id"); }', 'threw')).message, /Not supported/);
  t.regex((await failure(t, 'function f() { return new Worker("data:,"); }', 'threw')).message, /Worker is not defined/);
});

test('eval and every Function constructor throw EvalError; WebAssembly is gone', async (t) => {
  for (const expression of ['eval("1")', 'Function("return 1")()', 'new Function("return 1")', '(function* () {}).constructor("yield 1")',
    '(async function () {}).constructor("return 1")', '(async function* () {}).constructor("yield 1")', 'Reflect.construct(Object.getPrototypeOf(f).constructor, ["return 1"])']) {
    const error = await failure(t, `function f() { return ${expression}; }`, 'threw');
    t.regex(error.message, /^program\.js failed: EvalError: Code generation from strings disallowed for this context/, expression);
  }
  t.true((await run('function f() { return [f instanceof Function, typeof Function.prototype.call, (async () => {}) instanceof Function]; }')).value
    ?.toString() === 'true,function,true', 'instanceof Function still works');
  t.regex((await failure(t, 'function f() { return WebAssembly.Module; }', 'threw')).message, /WebAssembly is not defined/);
});

test('an endless loop is stopped at the CPU limit, and the thread keeps working', async (t) => {
  const error = await failure(t, 'function f() { for (;;) {} }', 'time-limit', { cpuTimeMs: 200 });
  t.is(error.message, 'program.js ran past the 200 ms CPU time limit (an endless loop, or far too much work)');
  await failure(t, 'for (;;) {}\nfunction f() {}', 'time-limit', { cpuTimeMs: 200 });
  await failure(t, 'function f() { Promise.resolve().then(function again() { return Promise.resolve().then(again); }); return 1; }', 'time-limit', { cpuTimeMs: 200 });
  await failure(t, 'function f() { return /(a+)+$/.test("a".repeat(40) + "b"); }', 'time-limit', { cpuTimeMs: 200 });
  await stillWorks(t);
});

test('a promise that never settles is stopped at the wall-clock limit', async (t) => {
  const error = await failure(t, 'async function f() { await new Promise(() => {}); }', 'time-limit', { cpuTimeMs: 200, wallTimeMs: 500 });
  t.is(error.message, 'program.js did not finish within the 500 ms wall-clock limit (is it waiting on a promise that never settles?)');
  await failure(t, 'function f() { return new Promise(() => {}); }', 'time-limit', { cpuTimeMs: 200, wallTimeMs: 500 });
  await stillWorks(t);
});

test('unbounded allocation ends as out-of-memory, and the thread keeps working', async (t) => {
  const error = await failure(t, 'function f() { const a = []; for (;;) a.push(new Array(1e4).fill(1.5)); }', 'out-of-memory', { cpuTimeMs: 20_000, memoryMb: 32 });
  t.is(error.message, "program.js ran out of memory: it reached the isolate's 32 MB heap limit");
  await failure(t, 'function f() { let s = [1]; for (;;) s = s.concat(s); }', 'out-of-memory', { cpuTimeMs: 20_000, memoryMb: 32 });
  t.regex((await failure(t, 'function f() { return new ArrayBuffer(2 ** 30).byteLength; }', 'threw', { memoryMb: 32 })).message, /RangeError: Array buffer allocation failed/);
  await stillWorks(t);
});

test('a result over maxResultBytes is output-too-large, counted in UTF-8 bytes', async (t) => {
  const error = await failure(t, 'function f() { return "x".repeat(5e6); }', 'output-too-large');
  t.regex(error.message, /^program\.js returned a result of at least \d+ bytes of JSON, over the 1048576-byte limit$/);
  await failure(t, 'function f() { return new Array(3e5).fill(1.2345); }', 'output-too-large');
  await failure(t, 'function f() { return "é".repeat(600); }', 'output-too-large', { maxResultBytes: 1000 });
  t.is((await run('function f() { return "é".repeat(400); }', { maxResultBytes: 1000 })).value, 'é'.repeat(400));
});

test('a console flood is cut at maxConsoleBytes and does not fail the call', async (t) => {
  const result = await run('function f() { for (let i = 0; i < 1e6; i++) console.log("line " + i, { i }); return "done"; }', { maxConsoleBytes: 1000, cpuTimeMs: 5000 });
  t.is(result.value, 'done');
  t.true(Buffer.byteLength(result.console) <= 1000 + 100, `${Buffer.byteLength(result.console)} bytes`);
  t.true(result.console.startsWith('line 0 {"i":0}\nline 1 {"i":1}\n'));
  t.true(result.console.endsWith('[console output cut at 1000 bytes]\n'));
});

const uncopyable: Array<[string, string, string]> = [
  ['a function', 'function f() { return () => 1; }', 'a function'],
  ['a function inside an object', 'function f() { return { ok: 1, cb: () => 1 }; }', 'a function at key "cb"'],
  ['a symbol', 'function f() { return [Symbol("s")]; }', 'a symbol at key "0"'],
  ['a bigint', 'function f() { return 1n; }', 'a bigint'],
  ['a Map', 'function f() { return { m: new Map([[1, 2]]) }; }', 'a Map, Set or ArrayBuffer (return plain arrays and objects) at key "m"'],
  ['a cycle', 'function f() { const a = {}; a.self = a; return a; }', 'TypeError: Converting circular structure to JSON'],
];

for (const [what, code, text] of uncopyable) {
  test(`a result holding ${what} is no-result, naming what cannot be copied`, async (t) => {
    t.true((await failure(t, code, 'no-result')).message.startsWith(`program.js: the result cannot be copied out of the isolate: ${text}`));
  });
}

test('a candidate without the entry is no-result', async (t) => {
  t.is((await failure(t, 'function g() {}', 'no-result')).message, 'program.js defines no function f()');
  t.is((await failure(t, 'const f = 3;', 'no-result')).message, 'program.js defines no function f()');
});

test('tampering with built-ins inside reaches neither the host nor the next call', async (t) => {
  const tamper = `
    Object.prototype.polluted = "yes";
    Object.defineProperty(Object.prototype, "kind", { set() { throw new Error("trap"); }, get() { return "trap"; } });
    JSON.stringify = () => "{}";
    JSON.parse = () => ({});
    String.prototype.slice = () => "";
    Array.prototype.map = null;
    Array.isArray = () => false;
    Math.random = () => 0.5;
    Error.prepareStackTrace = () => "forged stack";
    function f() { return { answer: [1, 2, 3], text: "kept" }; }`;
  t.deepEqual((await run(tamper)).value, { answer: [1, 2, 3], text: 'kept' }, 'the runner encodes with the built-ins captured before the candidate ran');
  t.is((await failure(t, `${tamper}\nfunction g() { throw new Error("real"); }\nf = g;`, 'threw')).message, 'program.js failed: Error: real');
  t.is(({} as Record<string, unknown>).polluted, undefined);
  t.is(JSON.stringify({ a: [1] }), '{"a":[1]}');
  t.deepEqual([1, 2].map((x) => x * 2), [2, 4]);
  t.deepEqual((await run('function f() { return [({}).polluted, typeof [].map, JSON.stringify([1]), Math.random() === 0.5]; }')).value,
    [undefined, 'function', '[1]', false]);
});

test('Math.random is mulberry32 of the seed: reproducible, different per seed, 0 by default', async (t) => {
  const code = 'function f() { return Array.from({ length: 5 }, () => Math.random()); }';
  const expected = (seed: number) => Array.from({ length: 5 }, mulberry32(seed));
  t.deepEqual((await run(code, { seed: 7 })).value, expected(7));
  t.deepEqual((await run(code, { seed: 7 })).value, expected(7));
  t.deepEqual((await run(code, { seed: 8 })).value, expected(8));
  t.deepEqual((await run(code)).value, expected(0));
  t.deepEqual((await run(code, { seed: 7, freshIsolate: true })).value, expected(7));
});

test('grants are callable by their names, with arguments and results copied both ways', async (t) => {
  const received: unknown[] = [];
  const kept = { list: [1, 2] };
  const grants = {
    hostSum: (xs: number[]) => { received.push(xs); xs.push(1000); return xs.slice(0, -1).reduce((a, b) => a + b, 0); },
    hostData: () => kept,
    hostFail: () => { throw new Error('refused by the host'); },
  };
  const code = `function f() {
    const xs = [1, 2, 3];
    const sum = hostSum(xs);
    const data = hostData(); data.list.push(3);
    let failed = ''; try { hostFail(); } catch (e) { failed = e.message; }
    let uncopyable = ''; try { hostSum([() => 1]); } catch (e) { uncopyable = e.message; }
    return { sum, xs, data, failed, uncopyable: uncopyable.length > 0 };
  }`;
  const { value } = await run(code, { grants });
  t.deepEqual(value, { sum: 6, xs: [1, 2, 3], data: { list: [1, 2, 3] }, failed: 'refused by the host', uncopyable: true });
  t.deepEqual(received, [[1, 2, 3, 1000]]);
  t.deepEqual(kept, { list: [1, 2] }, 'the isolate changed its copy, not the host object');
});

test('a harness receives the entry (or undefined) and the arguments, and its return value is the result', async (t) => {
  const harness = 'function (pack, n) { if (typeof pack !== "function") return { missing: true }; return Array.from({ length: n }, (_, i) => pack(i)); }';
  t.deepEqual((await runInIsolate({ code: 'function pack(i) { return i * i; }', entry: 'pack', harness, args: [4], cpuTimeMs: 1000 })).value, [0, 1, 4, 9]);
  t.deepEqual((await runInIsolate({ code: 'function other() {}', entry: 'pack', harness, args: [4], cpuTimeMs: 1000 })).value, { missing: true });
  const error = await t.throwsAsync(runInIsolate({ code: 'function pack(i) {\n  throw new Error("bad " + i);\n}', entry: 'pack', harness, args: [2], cpuTimeMs: 1000 }));
  t.is(error?.message, 'program.js failed: Error: bad 0 (program.js line 2)');
  await t.throwsAsync(runInIsolate({ code: 'function pack() {}', entry: 'pack', harness: 'function (', cpuTimeMs: 1000 }), { instanceOf: TypeError, message: /^the harness does not parse/ });
});

test('bad options are TypeErrors, before any isolate work', async (t) => {
  await t.throwsAsync(run('', { entry: 'not an identifier' }), { instanceOf: TypeError, message: /"not an identifier" is not a plain identifier/ });
  await t.throwsAsync(run('', { grants: { 'a-b': () => 1 } }), { instanceOf: TypeError, message: /"a-b" is not a plain identifier/ });
  await t.throwsAsync(run('', { entry: 'class' }), { instanceOf: TypeError, message: /"class" is not a plain identifier/ });
  await t.throwsAsync(run('', { cpuTimeMs: 0, memoryMb: 4 }), { instanceOf: TypeError, message: 'runInIsolate: memoryMb must be a finite number of at least 8 (got 4); cpuTimeMs must be a finite number of at least 1 (got 0)' });
  await t.throwsAsync(run('function f() {}', { args: [() => 1] }), { message: /could not be cloned/ });
});

test('concurrent calls in one thread do not disturb each other, and a fresh isolate gives the same results', async (t) => {
  const square = 'function f(x) { let s = 0; for (let i = 0; i < 1e5; i++) s += i % 7; return x * x + s * 0; }';
  const results = await Promise.allSettled([
    run(square, { args: [3] }), run('function f() { for (;;) {} }', { cpuTimeMs: 300 }), run(square, { args: [4] }),
    run(square, { args: [5], freshIsolate: true }), run('function f() { throw new Error("x"); }'),
  ]);
  t.deepEqual(results.map((r) => (r.status === 'fulfilled' ? r.value.value : (r.reason as { reason: string }).reason)), [9, 'time-limit', 16, 25, 'threw']);
});
