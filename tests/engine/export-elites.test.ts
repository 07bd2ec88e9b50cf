import test from 'ava';
import { elitesToCsv, elitesToJsonl } from '../../engine/export-elites.js';

test('CSV quotes header and values that hold commas, quotes or newlines', (t) => {
  const csv = elitesToCsv([{ island: 0, cell: 3, variantId: 'v', fitness: 1, descriptors: [0.5], metrics: { 'loss, val': 'a "b"' }, privateMetrics: {}, recheckSpread: null, parentIds: ['p', 'q'], operator: 'seed', iteration: 0 }],
    [{ name: 'say "hi"', min: 0, max: 1, bins: 2 }]);
  t.is(csv, 'cell,island,fitness,"descriptor_say ""hi""","metric_loss, val",recheck_spread,variant_id,parent_ids,operator,iteration\n3,0,1,0.5,"a ""b""",,v,p q,seed,0\n');
});

test('private metrics get private_ columns (the union over elites) and a re-checked elite its spread', (t) => {
  const row = { island: 0, variantId: 'v', fitness: 1, descriptors: [0.5], metrics: { m: 1 }, parentIds: [], operator: 'seed', iteration: 0 };
  const rows = [
    { ...row, cell: 1, privateMetrics: { heldOut: 0.5 }, recheckSpread: 0.25 },
    { ...row, cell: 2, privateMetrics: { other: 'x' }, recheckSpread: null },
  ];
  const descriptors = [{ name: 'd', min: 0, max: 1, bins: 2 }];
  t.is(elitesToCsv(rows, descriptors),
    'cell,island,fitness,descriptor_d,metric_m,private_heldOut,private_other,recheck_spread,variant_id,parent_ids,operator,iteration\n' +
    '1,0,1,0.5,1,0.5,,0.25,v,,seed,0\n2,0,1,0.5,1,,x,,v,,seed,0\n');
  const first = JSON.parse(elitesToJsonl(rows, descriptors).split('\n')[0]!);
  t.deepEqual([first.privateMetrics, first.recheckSpread], [{ heldOut: 0.5 }, 0.25]);
});
