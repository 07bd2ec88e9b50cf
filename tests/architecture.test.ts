// Enforces the layering of docs/architecture.md by reading every import of the sources.
import test from 'ava';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { root } from './helpers/cli.js';

const layers = ['common', 'archives', 'operators', 'fitness', 'engine', 'cli'] as const;
type Layer = (typeof layers)[number] | 'index';

/** Which of our layers each layer may import. */
const allowed: Record<Layer, readonly string[]> = {
  common: ['common'],
  archives: ['common', 'archives'],
  operators: ['common', 'operators'],
  fitness: ['common', 'fitness'],
  engine: ['common', 'archives', 'operators', 'fitness', 'engine'],
  cli: ['common', 'archives', 'operators', 'fitness', 'engine', 'cli'],
  index: ['common', 'archives', 'operators', 'fitness', 'engine'],
};

/**
 * The rooms of engine/, lowest first: a room may import its own and the rooms before it, never one
 * after it, so the data flow reads top to bottom (docs/architecture.md, "The engine's rooms").
 */
const engineRooms = ['config', 'store', 'llm', 'arms', 'loop', 'queue', 'runs', 'output', 'tune'] as const;

/** The one file through which each third-party library enters. */
const gateways: Record<string, string> = {
  'better-sqlite3': 'engine/store/run-store.ts',
  piscina: 'fitness/evaluation-pool.ts',
  yargs: 'cli/main.ts',
  zod: 'engine/config/zod.ts',
  bullmq: 'engine/queue/bullmq.ts',
  seedrandom: 'common/rng.ts',
  'tsx': 'fitness/evaluation-worker.ts',
  'isolated-vm': 'fitness/sandbox/js-isolate.ts',
  diff: 'engine/output/variant-diff.ts',
};

function sources(): string[] {
  const out = ['index.ts'];
  const walk = (dir: string) => {
    for (const name of readdirSync(join(root, dir))) {
      const path = join(dir, name);
      if (statSync(join(root, path)).isDirectory()) walk(path);
      else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(path.split(sep).join('/'));
    }
  };
  for (const layer of layers) walk(layer);
  return out;
}

function importsOf(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  const found: string[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/g)) found.push(m[1]!);
  for (const m of text.matchAll(/(?:^|\n)\s*import\s+['"]([^'"]+)['"]/g)) found.push(m[1]!);
  for (const m of text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)) found.push(m[1]!);
  return found;
}

function layerOf(file: string): Layer {
  const top = file.split('/')[0]!;
  return top === 'index.ts' ? 'index' : (top as Layer);
}

const edges = sources().flatMap((file) => importsOf(file).map((spec) => ({ file, spec })));

test('the scanner sees the imports it must judge', (t) => {
  t.true(edges.some((e) => e.file === 'engine/store/run-store.ts' && e.spec === 'better-sqlite3'));
  t.true(edges.some((e) => e.file === 'engine/loop/search-engine.ts' && e.spec === '../../archives/island-model.js'));
  t.true(edges.some((e) => e.file === 'fitness/evaluation-worker.ts' && e.spec === 'tsx/esm/api'));
  t.true(edges.length > 80, `only ${edges.length} imports found`);
});

test('imports between our layers go one way only, and nothing imports cli/', (t) => {
  const wrong: string[] = [];
  for (const { file, spec } of edges) {
    if (!spec.startsWith('.')) continue;
    const target = relative(root, resolve(root, dirname(file), spec)).split(sep).join('/');
    const targetLayer = layerOf(target);
    if (!allowed[layerOf(file)].includes(targetLayer)) wrong.push(`${file} -> ${target}`);
  }
  t.deepEqual(wrong, []);
});

test('each third-party library enters through its one file', (t) => {
  const wrong: string[] = [];
  for (const { file, spec } of edges) {
    if (spec.startsWith('.') || spec.startsWith('node:')) continue;
    const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
    if (name === 'openai') { if (!file.startsWith('operators/llm/')) wrong.push(`${file} imports openai outside operators/llm/`); continue; }
    const gateway = gateways[name];
    if (gateway === undefined) wrong.push(`${file} imports ${name}, which has no gateway file`);
    else if (gateway !== file) wrong.push(`${file} imports ${name}; only ${gateway} may`);
  }
  t.deepEqual(wrong, []);
});

test('no source module is past 400 lines', (t) => {
  const big = sources().filter((f) => readFileSync(join(root, f), 'utf8').split('\n').length > 400);
  t.deepEqual(big, []);
});

function targetOf(file: string, spec: string): string {
  const target = relative(root, resolve(root, dirname(file), spec)).split(sep).join('/');
  return target.replace(/\.js$/, '.ts');
}

test('every engine module lives in a room, and rooms import only the rooms before them', (t) => {
  const roomOf = (file: string) => engineRooms.indexOf(file.split('/')[1] as (typeof engineRooms)[number]);
  const engineFiles = sources().filter((f) => f.startsWith('engine/'));
  t.true(engineFiles.length > 25);
  t.deepEqual(engineFiles.filter((f) => f.split('/').length !== 3 || roomOf(f) < 0), [], 'engine/ files outside a known room');
  const wrong: string[] = [];
  for (const { file, spec } of edges) {
    if (!file.startsWith('engine/') || !spec.startsWith('.')) continue;
    const target = targetOf(file, spec);
    if (target.startsWith('engine/') && roomOf(target) > roomOf(file)) wrong.push(`${file} -> ${target}`);
  }
  t.deepEqual(wrong, []);
});

test('no import circles between source modules (type-only imports included)', (t) => {
  const graph = new Map<string, string[]>();
  for (const { file, spec } of edges) {
    if (!spec.startsWith('.')) continue;
    graph.set(file, [...(graph.get(file) ?? []), targetOf(file, spec)]);
  }
  // Depth-first search with colours: an edge to a module still on the stack closes a circle.
  const state = new Map<string, 'open' | 'done'>();
  const circles: string[] = [];
  const stack: string[] = [];
  const visit = (file: string) => {
    state.set(file, 'open');
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === 'open') circles.push([...stack.slice(stack.indexOf(next)), next].join(' -> '));
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of [...graph.keys()].sort()) if (!state.has(file)) visit(file);
  t.deepEqual(circles, []);
});
