// Tests of archiveFromDescription: every kind survives a JSON round trip of describe() and then behaves the same.
import test from 'ava';
import type { Archive, ArchiveDescription } from '../../archives/archive.js';
import { archiveFromDescription } from '../../archives/archive-factory.js';
import { CvtArchive } from '../../archives/cvt-archive.js';
import { GridArchive } from '../../archives/grid-archive.js';
import { NoveltyArchive } from '../../archives/novelty-archive.js';
import { SoftArchive } from '../../archives/soft-archive.js';
import { rngFor } from '../../common/rng.js';

const dimensions = [{ name: 'x', min: 0, max: 1, bins: 4 }, { name: 'c', values: ['a', 'b'] }];
const ranges = [{ name: 'x', min: 0, max: 1 }, { name: 'y', min: 0, max: 1 }];
const cvt = () => new CvtArchive({ ranges, cells: 12, rng: rngFor(2, 0, 'factory'), samples: 500, epsilon: 0.01, qdOffset: -1 });

const archives: Array<[string, () => Archive, (k: number, r: () => number) => number[]]> = [
  ['a soft archive over a grid', () => new SoftArchive({ result: new GridArchive({ dimensions, qdOffset: -2 }), learningRate: 0.3, thresholdMin: -2 }), (_, r) => [r(), Math.floor(r() * 2)]],
  ['a soft archive with no minimum', () => new SoftArchive({ result: cvt(), learningRate: 1, thresholdMin: -Infinity }), (_, r) => [r(), r()]],
  ['a novelty archive over a CVT', () => new NoveltyArchive({ result: cvt(), neighbours: 4, threshold: 0.1 }), (_, r) => [r(), r()]],
];

for (const [what, make, draw] of archives) {
  test(`${what} is rebuilt from its JSON description and files a stream the same way`, (t) => {
    const original = make();
    const text = JSON.stringify(original.describe());
    const copy = archiveFromDescription(JSON.parse(text) as ArchiveDescription);
    t.is(JSON.stringify(copy.describe()), text);
    const rng = rngFor(9, 0, what);
    for (let k = 0; k < 300; k++) {
      const e = { variantId: `v${k}`, fitness: rng.next() * 4 - 2, descriptors: draw(k, () => rng.next()), iteration: k };
      t.deepEqual(copy.add(e), original.add(e));
    }
    t.deepEqual(copy.elites(), original.elites());
    t.deepEqual(copy.result.elites(), original.result.elites());
  });
}

test('a description whose result archive is not a grid or a CVT is refused', (t) => {
  const inner = new SoftArchive({ result: new GridArchive({ dimensions }), learningRate: 1, thresholdMin: -Infinity }).describe();
  t.throws(() => archiveFromDescription({ kind: 'novelty', neighbours: 1, threshold: 0, result: inner }), { instanceOf: RangeError, message: 'a result archive must be a grid or a CVT, not soft' });
});
