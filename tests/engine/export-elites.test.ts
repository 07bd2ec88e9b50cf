import test from 'ava';
import { elitesToCsv } from '../../engine/export-elites.js';

test('CSV quotes header and values that hold commas, quotes or newlines', (t) => {
  const csv = elitesToCsv([{ island: 0, cell: 3, variantId: 'v', fitness: 1, descriptors: [0.5], metrics: { 'loss, val': 'a "b"' }, parentIds: ['p', 'q'], operator: 'seed', iteration: 0 }],
    [{ name: 'say "hi"', min: 0, max: 1, bins: 2 }]);
  t.is(csv, 'cell,island,fitness,"descriptor_say ""hi""","metric_loss, val",variant_id,parent_ids,operator,iteration\n3,0,1,0.5,"a ""b""",v,p q,seed,0\n');
});
