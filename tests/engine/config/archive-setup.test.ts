// The run's archive from its config and descriptors: every layout and rule, the errors that name the field, and categorical values.
import test from 'ava';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { archiveFromDescription } from '../../../archives/archive-factory.js';
import { ConfigError } from '../../../common/errors.js';
import type { DescriptorSpec } from '../../../common/types.js';
import { describeArchive } from '../../../engine/config/archive-setup.js';
import { runConfigSchema, type RunConfig } from '../../../engine/config/config-schema.js';
import { validateOutput } from '../../../fitness/validate-output.js';
import { tempDir } from '../../helpers/cli.js';

const numeric: DescriptorSpec[] = [{ name: 'x', min: -5, max: 5, bins: 4 }, { name: 'n', min: 0, max: 20, bins: 2 }];
const mixed: DescriptorSpec[] = [{ name: 'x', min: -5, max: 5, bins: 4 }, { name: 'style', values: ['terse', 'formal', 'socratic'] }];

function config(archive: object, seed = 1): RunConfig {
  return runConfigSchema.parse({ problem: 'p', seed, budget: { iterations: 1 }, operators: [{ type: 'param-mutation', weight: 1 }], archive });
}

function configError(t: import('ava').ExecutionContext, fn: () => unknown): ConfigError {
  const error = t.throws(fn, { instanceOf: ConfigError }) as ConfigError;
  return error;
}

test('the default archive is the problem\'s grid, categorical dimensions included', (t) => {
  const d = describeArchive(config({}), mixed, '/c.json');
  t.deepEqual(d, { kind: 'grid', qdOffset: 0, epsilon: 0, dimensions: mixed });
  const archive = archiveFromDescription(d);
  t.is(archive.totalCells, 12);
  // x = 4.9 is bin 3 of 4, "socratic" is value 2: cell 3 * 3 + 2.
  t.like(archive.add({ variantId: 'a', fitness: 1, descriptors: [4.9, 2], iteration: 0 }), { status: 'new', cell: 11 });
});

test('a CVT archive\'s centroids come from the run seed: the same seed gives the same cells, another seed others', (t) => {
  const a = describeArchive(config({ layout: 'cvt', cvt: { cells: 12, samples: 400 } }, 7), numeric, '/c.json');
  const b = describeArchive(config({ layout: 'cvt', cvt: { cells: 12, samples: 400 } }, 7), numeric, '/c.json');
  const c = describeArchive(config({ layout: 'cvt', cvt: { cells: 12, samples: 400 } }, 8), numeric, '/c.json');
  t.is(a.kind, 'cvt');
  t.deepEqual(a, b);
  t.notDeepEqual(a, c);
  if (a.kind !== 'cvt') return;
  t.is(a.centroids.length, 12);
  t.true(a.centroids.every(([x, n]) => x! >= -5 && x! <= 5 && n! >= 0 && n! <= 20));
});

test('a CVT archive takes its centroids from a file relative to the config', (t) => {
  const dir = tempDir();
  writeFileSync(join(dir, 'c.json'), JSON.stringify([[-1, 5], [1, 15]]));
  const d = describeArchive(config({ layout: 'cvt', cvt: { centroids: 'c.json' } }), numeric, join(dir, 'run.json'));
  t.like(d, { kind: 'cvt', centroids: [[-1, 5], [1, 15]], ranges: [{ name: 'x', min: -5, max: 5 }, { name: 'n', min: 0, max: 20 }] });
});

test('a CVT archive measures raw descriptors unless archive.cvt.clip says to clip them to the box first', (t) => {
  const dir = tempDir();
  // x in [-5, 5], n in [0, 20]. Raw (40, 10): (4, 0) at 36² + 10² = 1396 beats (-5, 10) at 45² = 2025.
  // Clipped to (5, 10): (-5, 10) at 10² = 100 beats (4, 0) at 1² + 10² = 101.
  writeFileSync(join(dir, 'c.json'), JSON.stringify([[-5, 10], [4, 0]]));
  const raw = describeArchive(config({ layout: 'cvt', cvt: { centroids: 'c.json' } }), numeric, join(dir, 'run.json'));
  const clipped = describeArchive(config({ layout: 'cvt', cvt: { centroids: 'c.json', clip: true } }), numeric, join(dir, 'run.json'));
  t.like(raw, { kind: 'cvt', clip: false });
  t.like(clipped, { kind: 'cvt', clip: true });
  t.deepEqual(archiveFromDescription(raw).cellOf([40, 10]), { cell: 1, clipped: false });
  t.deepEqual(archiveFromDescription(clipped).cellOf([40, 10]), { cell: 0, clipped: true });
});

test('soft and novelty rules wrap the layout in their description', (t) => {
  t.deepEqual(describeArchive(config({ rule: 'soft', soft: { learningRate: 0.2, thresholdMin: -3 } }), numeric, '/c.json'),
    { kind: 'soft', learningRate: 0.2, thresholdMin: -3, result: { kind: 'grid', qdOffset: 0, epsilon: 0, dimensions: numeric } });
  t.deepEqual(describeArchive(config({ rule: 'soft', soft: { learningRate: 1 } }), numeric, '/c.json'),
    { kind: 'soft', learningRate: 1, thresholdMin: null, result: { kind: 'grid', qdOffset: 0, epsilon: 0, dimensions: numeric } });
  t.like(describeArchive(config({ rule: 'novelty', novelty: { neighbours: 4, threshold: 0.1 }, epsilon: 0.5 }), numeric, '/c.json'),
    { kind: 'novelty', neighbours: 4, threshold: 0.1, result: { kind: 'grid', epsilon: 0.5 } });
});

test('impossible archives are config errors naming the file and the field', (t) => {
  const dir = tempDir();
  const cases: Array<[object, DescriptorSpec[], RegExp]> = [
    [{ layout: 'cvt' }, mixed, /^\/c\.json: archive\.layout: "cvt" needs numeric descriptors, but the problem's descriptors\[1\] \(style\) is categorical; use layout "grid"$/],
    [{ rule: 'soft', soft: { learningRate: 0.5 } }, numeric, /^\/c\.json: archive\.soft\.thresholdMin: required when learningRate is below 1 \(got learningRate 0\.5\)/],
    [{ layout: 'cvt', cvt: { cells: 50, samples: 10 } }, numeric, /^\/c\.json: archive\.cvt: samples must be an integer >= cells \(50\), got 10$/],
    [{ layout: 'cvt', cvt: { centroids: 'missing.json' } }, numeric, /missing\.json: archive\.cvt\.centroids: cannot read the centroids: ENOENT/],
  ];
  for (const [archive, descriptors, message] of cases) t.regex(configError(t, () => describeArchive(config(archive), descriptors, '/c.json')).message, message);
  writeFileSync(join(dir, 'bad.json'), JSON.stringify([[1, 2], [3]]));
  t.regex(configError(t, () => describeArchive(config({ layout: 'cvt', cvt: { centroids: 'bad.json' } }), numeric, join(dir, 'run.json'))).message, /archive\.cvt: centroid 1 must have 2 coordinates/);
  writeFileSync(join(dir, 'nan.json'), '[["a", 1]]');
  t.regex(configError(t, () => describeArchive(config({ layout: 'cvt', cvt: { centroids: 'nan.json' } }), numeric, join(dir, 'run.json'))).message, /nan\.json: archive\.cvt\.centroids: must be a non-empty JSON array of centroids/);
});

test('an evaluator reports a categorical descriptor by value; it is kept as the value\'s index, and an unknown value is invalid', (t) => {
  t.deepEqual(validateOutput({ fitness: 1, descriptors: { x: 0.5, style: 'socratic' } }, mixed), { ok: true, output: { fitness: 1, descriptors: [0.5, 2], metrics: {}, artifacts: {} } });
  t.deepEqual(validateOutput({ fitness: 1, descriptors: [0.5, 'terse'] }, mixed), { ok: true, output: { fitness: 1, descriptors: [0.5, 0], metrics: {}, artifacts: {} } });
  t.deepEqual(validateOutput({ fitness: 1, descriptors: [0.5, 'chatty'] }, mixed), { ok: false, message: 'descriptor style must be one of "terse", "formal", "socratic" (got "chatty")' });
  // An index is not a value: with string values, 2 is unknown.
  t.deepEqual(validateOutput({ fitness: 1, descriptors: [0.5, 2] }, mixed), { ok: false, message: 'descriptor style must be one of "terse", "formal", "socratic" (got 2)' });
  const numbers: DescriptorSpec[] = [{ name: 'width', values: [2, 4, 8] }];
  t.like(validateOutput({ fitness: 1, descriptors: [8] }, numbers), { ok: true, output: { descriptors: [2] } });
  t.like(validateOutput({ fitness: 1, descriptors: ['8'] }, numbers), { ok: false });
});

test('every archive problem is reported at once', (t) => {
  const error = configError(t, () => describeArchive(config({ layout: 'cvt', rule: 'soft', soft: { learningRate: 0.2 } }), mixed, '/c.json'));
  t.is(error.problems.length, 2);
  t.regex(error.problems[0]!, /^archive\.layout: "cvt" needs numeric descriptors/);
  t.regex(error.problems[1]!, /^archive\.soft\.thresholdMin: required/);
});
