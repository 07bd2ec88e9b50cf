import test from 'ava';
import { elitesToCsv, elitesToJsonl, measureColumns, type ArchiveHeader } from '../../../engine/output/export-elites.js';
import type { EliteRow } from '../../../engine/output/run-reader.js';
import type { DescriptorSpec } from '../../../common/types.js';

const descriptors: DescriptorSpec[] = [{ name: 'x', min: -5, max: 5, bins: 8 }, { name: 'shape', values: ['round', 'flat', 'spiky'] }];

const header: ArchiveHeader = {
  format: 'ouroboros-archive', formatVersion: 1, engineVersion: '0.1.0', exportedBy: '0.2.0', run: '/runs/r.sqlite', createdAt: '2025-01-01T00:00:00.000Z',
  seed: 7, iterations: 40, islands: 2,
  archive: {
    type: 'soft over grid',
    description: { kind: 'soft', learningRate: 0.3, thresholdMin: -60, result: { kind: 'grid', qdOffset: -50, epsilon: 0, dimensions: descriptors } },
  },
  qdOffset: -50, descriptors, measures: measureColumns(descriptors),
};

const row: EliteRow = {
  island: 1, cell: 13, variantId: 'v1', fitness: -1.5, descriptors: [0.25, 2], metrics: { shape: 'spiky' }, privateMetrics: {},
  recheckSpread: null, threshold: -20.5, parentIds: ['p', 'q'], operator: 'param-mutation', iteration: 12,
};

test('measureColumns says which measures are raw numbers and which are categorical indices', (t) => {
  t.deepEqual(measureColumns(descriptors), [
    { name: 'measures_0', descriptor: 'x', kind: 'number' },
    { name: 'measures_1', descriptor: 'shape', kind: 'categorical-index' },
  ]);
});

test('CSV opens with the header as one comment line, then pyribs-like columns: the index in measures_k, the value in descriptor_<name>', (t) => {
  const lines = elitesToCsv([row], header).split('\n');
  t.is(lines.length, 4);
  t.true(lines[0]!.startsWith('# ouroboros-archive {"format":"ouroboros-archive","formatVersion":1,'));
  t.deepEqual(JSON.parse(lines[0]!.slice('# ouroboros-archive '.length)), header);
  t.is(lines[1], 'index,objective,measures_0,measures_1,threshold,island,descriptor_x,descriptor_shape,metric_shape,recheck_spread,variant_id,parent_ids,operator,iteration');
  t.is(lines[2], '13,-1.5,0.25,2,-20.5,1,0.25,spiky,spiky,,v1,p q,param-mutation,12');
  t.is(lines[3], '');
});

test('JSON Lines opens with {"header"} and uses the CSV key names, with metrics and descriptors as objects', (t) => {
  const lines = elitesToJsonl([row, { ...row, cell: 4, descriptors: [-3, 0], threshold: -2, fitness: -2, parentIds: [], recheckSpread: 0.125, privateMetrics: { held: 1 } }], header)
    .split('\n');
  t.is(lines.length, 4);
  t.deepEqual(JSON.parse(lines[0]!), { header });
  t.is(lines[1], '{"index":13,"objective":-1.5,"measures_0":0.25,"measures_1":2,"threshold":-20.5,"island":1,"descriptor_x":0.25,"descriptor_shape":"spiky",' +
    '"descriptors":{"x":0.25,"shape":"spiky"},"metrics":{"shape":"spiky"},"private_metrics":{},"recheck_spread":null,"variant_id":"v1","parent_ids":["p","q"],' +
    '"operator":"param-mutation","iteration":12}');
  const second = JSON.parse(lines[2]!);
  t.deepEqual([second.index, second.measures_1, second.descriptor_shape, second.threshold, second.objective, second.parent_ids, second.recheck_spread, second.private_metrics],
    [4, 0, 'round', -2, -2, [], 0.125, { held: 1 }]);
  t.is(lines[3], '');
});

test('an empty archive exports its header and column row only', (t) => {
  t.is(elitesToJsonl([], header), JSON.stringify({ header }) + '\n');
  const csv = elitesToCsv([], header).split('\n');
  t.deepEqual(csv.slice(1), ['index,objective,measures_0,measures_1,threshold,island,descriptor_x,descriptor_shape,recheck_spread,variant_id,parent_ids,operator,iteration', '']);
});

test('CSV quotes header and values that hold commas, quotes, newlines or # (a pandas comment)', (t) => {
  const csv = elitesToCsv([{ ...row, descriptors: [0.5], metrics: { 'loss, val': 'a "b"', 'n#': 'x\ny', tag: '#1' }, parentIds: ['p'] }],
    [{ name: 'say "hi"', min: 0, max: 1, bins: 2 }]);
  t.is(csv, 'index,objective,measures_0,threshold,island,"descriptor_say ""hi""","metric_loss, val","metric_n#",metric_tag,recheck_spread,variant_id,parent_ids,operator,iteration\n' +
    '13,-1.5,0.5,-20.5,1,0.5,"a ""b""","x\ny","#1",,v1,p,param-mutation,12\n');
});

test('private metrics get private_ columns (the union over elites) and a re-checked elite its spread', (t) => {
  const rows: EliteRow[] = [
    { ...row, cell: 1, metrics: { m: 1 }, privateMetrics: { heldOut: 0.5 }, recheckSpread: 0.25 },
    { ...row, cell: 2, metrics: { m: 1 }, privateMetrics: { other: 'x' }, recheckSpread: null },
  ];
  const csv = elitesToCsv(rows, [{ name: 'd', min: 0, max: 1, bins: 2 }]);
  t.is(csv,
    'index,objective,measures_0,threshold,island,descriptor_d,metric_m,private_heldOut,private_other,recheck_spread,variant_id,parent_ids,operator,iteration\n' +
    '1,-1.5,0.25,-20.5,1,0.25,1,0.5,,0.25,v1,p q,param-mutation,12\n2,-1.5,0.25,-20.5,1,0.25,1,,x,,v1,p q,param-mutation,12\n');
  const first = JSON.parse(elitesToJsonl(rows, [{ name: 'd', min: 0, max: 1, bins: 2 }]).split('\n')[0]!);
  t.deepEqual([first.private_metrics, first.recheck_spread], [{ heldOut: 0.5 }, 0.25]);
});

test('a categorical index that names no value is exported as the number', (t) => {
  const line = JSON.parse(elitesToJsonl([{ ...row, descriptors: [0, 7] }], descriptors).split('\n')[0]!);
  t.deepEqual([line.measures_1, line.descriptor_shape], [7, 7]);
});
