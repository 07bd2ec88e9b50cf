// Tests of Bandit (engine/arms/bandit.ts): each policy's choices, discounting, out-of-order credits, resuming, validation, the Beta sampler.
import test from 'ava';
import { rngFor, type Rng } from '../../../common/rng.js';
import { Bandit, chooseWeighted, DEFAULT_EXPLORATION, sampleBeta, type BanditPolicy, type BanditState } from '../../../engine/arms/bandit.js';

const labels = ['mutate/a/0.2', 'mutate/b/0.7', 'rewrite/a/1.0'];
type LearningPolicy = Exclude<BanditPolicy, { kind: 'weights' }>;
const ucb1: LearningPolicy = { kind: 'ucb1', exploration: DEFAULT_EXPLORATION, discount: 1 };
const thompson: LearningPolicy = { kind: 'thompson', discount: 1 };
const learners: Array<[string, LearningPolicy]> = [['ucb1', ucb1], ['thompson', thompson]];

/** Bernoulli rewards with success probabilities `p(round)`, the bandit choosing with rngFor(seed, round, 'bandit'). */
function simulate(bandit: Bandit, rounds: number, p: (round: number) => readonly number[], seed = 7): number[] {
  const world = rngFor(seed, 0, 'world');
  const choices: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const arm = bandit.choose(rngFor(seed, round, 'bandit'));
    choices.push(arm);
    bandit.credit(arm, world.next() < p(round)[arm]! ? 1 : 0);
  }
  return choices;
}

function share(choices: readonly number[], arm: number): number {
  return choices.filter((c) => c === arm).length / choices.length;
}

/** An Rng that counts the uniform draws taken from it. */
function counting(rng: Rng): Rng & { draws: number } {
  const counted = { ...rng, draws: 0, next: () => { counted.draws++; return rng.next(); } };
  return counted;
}

test('the weights policy chooses as chooseWeighted does, from one draw', (t) => {
  const weights = [3, 0, 1.5];
  const bandit = new Bandit(labels, weights, { kind: 'weights' });
  for (let i = 0; i < 500; i++) {
    const rng = counting(rngFor(1, i, 'op'));
    t.is(bandit.choose(rng), chooseWeighted(weights, rngFor(1, i, 'op').next()));
    t.is(rng.draws, 1);
    bandit.credit(i % 3, 1); // rewards do not move the weights policy
  }
  t.deepEqual(bandit.stats().map((s) => s.score), [3 / 4.5, 0, 1.5 / 4.5]);
});

for (const [name, policy] of learners) {
  test(`${name} concentrates on the best of three Bernoulli arms`, (t) => {
    const choices = simulate(new Bandit(labels, [1, 1, 1], policy), 2000, () => [0.2, 0.5, 0.8]);
    t.true(share(choices.slice(1000), 2) > 0.8, `best arm share ${share(choices.slice(1000), 2)}`);
  });
}

test('ucb1 tries every arm once before comparing them', (t) => {
  const choices = simulate(new Bandit(labels, [1, 1, 1], ucb1), 3, () => [0.2, 0.5, 0.8]);
  t.deepEqual(choices, [0, 1, 2]);
});

test('ucb1 spreads choices over untried arms while their credits are pending', (t) => {
  const bandit = new Bandit(labels, [1, 1, 1], ucb1);
  t.deepEqual([0, 1, 2, 3].map(() => bandit.choose(rngFor(1, 0, 'x'))), [0, 1, 2, 0]);
});

test('ucb1 breaks ties by lowest index', (t) => {
  const bandit = new Bandit(labels, [1, 1, 1], ucb1);
  for (const arm of [0, 1, 2]) bandit.credit(arm, 0.5);
  t.is(bandit.choose(rngFor(1, 0, 'x')), 0);
});

// With discounting the counts stay near 1 / (1 - gamma) = 20, where c = sqrt(2) explores so much that the
// best arm gets only about half the choices; discounted UCB1 wants a smaller c.
const adaptive: Array<[string, LearningPolicy]> = [['ucb1 (c = 0.5)', { ...ucb1, exploration: 0.5 }], ['thompson', thompson]];

for (const [name, policy] of adaptive) {
  test(`${name} with discount 0.95 follows a best arm that changes midway, faster than without discount`, (t) => {
    const p = (round: number) => (round < 1000 ? [0.8, 0.5, 0.2] : [0.2, 0.5, 0.8]);
    const lateShare = (discount: number) =>
      share(simulate(new Bandit(labels, [1, 1, 1], { ...policy, discount }), 1300, p).slice(1000), 2);
    const discounted = lateShare(0.95);
    const undiscounted = lateShare(1);
    t.true(discounted > 0.5, `discounted share ${discounted}`);
    t.true(undiscounted < discounted, `undiscounted ${undiscounted} vs discounted ${discounted}`);
  });
}

for (const [name, policy] of learners) {
  test(`${name} never chooses an arm of weight 0, even its best`, (t) => {
    const bandit = new Bandit(labels, [1, 1, 0], policy);
    for (let i = 0; i < 50; i++) bandit.credit(2, 1);
    const choices = simulate(bandit, 500, () => [0.2, 0.5, 0.8]);
    t.false(choices.includes(2));
    t.is(bandit.stats()[2]!.pulls, 0);
  });
}

for (const [name, policy] of learners) {
  test(`${name} learns from credits that arrive late and out of order`, (t) => {
    const bandit = new Bandit(labels, [1, 1, 1], policy);
    const world = rngFor(3, 0, 'world');
    const order = rngFor(3, 0, 'order');
    const pending: number[] = [];
    const choices: number[] = [];
    for (let round = 0; round < 2000; round++) {
      // Eight choices ahead of the credits, credited in a shuffled order, as a pipelined engine does.
      while (pending.length < 8) {
        const arm = bandit.choose(rngFor(3, choices.length, 'bandit'));
        choices.push(arm);
        pending.push(arm);
      }
      const [arm] = pending.splice(Math.floor(order.next() * pending.length), 1);
      bandit.credit(arm!, world.next() < [0.2, 0.5, 0.8][arm!]! ? 1 : 0);
    }
    const stats = bandit.stats();
    t.deepEqual(stats.map((s) => s.pulls), [0, 1, 2].map((arm) => choices.filter((c) => c === arm).length));
    t.is(stats.reduce((a, s) => a + s.credits, 0), 2000);
    t.is(stats.reduce((a, s) => a + s.pulls, 0), 2007);
    t.true(share(choices.slice(1000), 2) > 0.8, `best arm share ${share(choices.slice(1000), 2)}`);
  });
}

for (const [name, policy] of learners) {
  test(`${name} restored from JSON continues exactly as the original`, (t) => {
    const discounted = { ...policy, discount: 0.9 };
    const world = rngFor(5, 0, 'world');
    const step = (bandit: Bandit, round: number, rewards: number[]) => {
      const arm = bandit.choose(rngFor(5, round, 'bandit'));
      bandit.credit(arm, rewards[round]!);
      return arm;
    };
    const rewards = Array.from({ length: 500 }, () => world.next()); // fractional rewards exercise the floats
    const original = new Bandit(labels, [1, 1, 1], discounted);
    let snapshot = '';
    const expected: number[] = [];
    for (let round = 0; round < 500; round++) {
      if (round === 250) snapshot = JSON.stringify(original.toJSON());
      expected.push(step(original, round, rewards));
    }
    const restored = Bandit.restore(labels, [1, 1, 1], discounted, JSON.parse(snapshot) as BanditState);
    const resumed: number[] = [];
    for (let round = 250; round < 500; round++) resumed.push(step(restored, round, rewards));
    t.deepEqual(resumed, expected.slice(250));
    t.deepEqual(restored.toJSON(), original.toJSON());
    t.deepEqual(restored.stats(), original.stats());
  });
}

test('restore() names the arms whose labels differ from the saved state', (t) => {
  const state = new Bandit(labels, [1, 1, 1], ucb1).toJSON();
  const changed = ['mutate/a/0.2', 'mutate/b/0.9', 'rewrite/a/1.0', 'rewrite/b/1.0'];
  const error = t.throws(() => Bandit.restore(changed, [1, 1, 1, 1], ucb1, state));
  t.is(error?.message, 'bandit state does not match the configured arms: '
    + 'arm 1 is "mutate/b/0.7" in the saved state but "mutate/b/0.9" in the config; '
    + 'arm 3 "rewrite/b/1.0" is in the config but not in the saved state');
  const fewer = t.throws(() => Bandit.restore(labels.slice(0, 2), [1, 1], ucb1, state));
  t.is(fewer?.message, 'bandit state does not match the configured arms: '
    + 'arm 2 "rewrite/a/1.0" is in the saved state but not in the config');
});

test('restore() rejects a malformed state with the field at fault', (t) => {
  const state = new Bandit(labels, [1, 1, 1], ucb1).toJSON();
  state.arms[1]!.discountedCount = -1;
  state.arms[2]!.pulls = 1.5;
  const error = t.throws(() => Bandit.restore(labels, [1, 1, 1], ucb1, state));
  t.is(error?.message, 'invalid bandit state: arms[1].discountedCount: must be a finite number >= 0 (got -1); '
    + 'arms[2].pulls: must be a finite integer >= 0 (got 1.5)');
});

test('credit() rejects a NaN reward and an unknown arm, and clamps rewards to [0, 1]', (t) => {
  const bandit = new Bandit(labels, [1, 1, 1], ucb1);
  t.is(t.throws(() => bandit.credit(1, Number.NaN))?.message, 'reward for arm 1 ("mutate/b/0.7") must be a number in [0, 1] (got NaN)');
  t.is(t.throws(() => bandit.credit(3, 1))?.message, 'arm must be an integer from 0 to 2 (got 3)');
  bandit.credit(0, 7);
  bandit.credit(1, -2);
  t.deepEqual(bandit.stats().map((s) => s.mean), [1, 0, null]);
});

test('discounting fades every arm at each credit before adding the new one', (t) => {
  const bandit = new Bandit(labels, [1, 1, 1], { kind: 'thompson', discount: 0.5 });
  bandit.credit(0, 1);
  bandit.credit(1, 0.5);
  bandit.credit(0, 0);
  const [a, b] = bandit.stats();
  t.like(a, { credits: 2, discountedCount: 1.25, discountedReward: 0.25, mean: 0.2, score: 1.25 / 3.25 });
  t.like(b, { credits: 1, discountedCount: 0.5, discountedReward: 0.25, mean: 0.5 });
});

const badBandits: Array<[string, string[], number[], BanditPolicy, string]> = [
  ['no arms', [], [], ucb1, 'invalid bandit: labels: must name at least one arm'],
  ['lengths that differ', ['a', 'b'], [1], ucb1, 'invalid bandit: labels and weights must have the same length (got 2 and 1)'],
  ['only zero weights', ['a', 'b'], [0, 0], ucb1, 'invalid bandit: weights: at least one must be positive'],
  ['a negative weight', ['a', 'b'], [1, -1], { kind: 'weights' }, 'invalid bandit: weights[1]: must be a finite number >= 0 (got -1)'],
  ['a discount of 0', ['a'], [1], { kind: 'thompson', discount: 0 }, 'invalid bandit: policy.discount: must be in (0, 1] (got 0)'],
  ['a discount above 1 and negative exploration', ['a'], [1], { kind: 'ucb1', exploration: -1, discount: 1.1 },
    'invalid bandit: policy.discount: must be in (0, 1] (got 1.1); policy.exploration: must be a finite number >= 0 (got -1)'],
  ['an unknown kind', ['a'], [1], { kind: 'epsilon' } as unknown as BanditPolicy,
    'invalid bandit: policy.kind: must be "weights", "ucb1" or "thompson" (got "epsilon")'],
];

for (const [what, badLabels, weights, policy, message] of badBandits) {
  test(`the constructor rejects ${what}`, (t) => {
    t.is(t.throws(() => new Bandit(badLabels, weights, policy))?.message, message);
  });
}

for (const [a, b] of [[0.5, 0.5], [0.3, 2], [2, 5], [1, 1], [30, 10]] as const) {
  test(`sampleBeta(${a}, ${b}) has the mean and variance of the Beta distribution`, (t) => {
    const rng = rngFor(11, 0, `beta/${a}/${b}`);
    const n = 20000;
    const xs = Array.from({ length: n }, () => sampleBeta(a, b, rng));
    t.true(xs.every((x) => x >= 0 && x <= 1));
    const mean = xs.reduce((s, x) => s + x, 0) / n;
    const variance = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1);
    const expectedMean = a / (a + b);
    const expectedVariance = (a * b) / ((a + b) ** 2 * (a + b + 1));
    t.true(Math.abs(mean - expectedMean) < 4 * Math.sqrt(expectedVariance / n), `mean ${mean} vs ${expectedMean}`);
    t.true(Math.abs(variance / expectedVariance - 1) < 0.05, `variance ${variance} vs ${expectedVariance}`);
  });
}

test('Thompson choices depend only on the state and the rng', (t) => {
  const run = () => simulate(new Bandit(labels, [1, 1, 1], { kind: 'thompson', discount: 0.97 }), 300, () => [0.3, 0.6, 0.5], 9);
  t.deepEqual(run(), run());
});

test('credit(arm, r, k) is k credits of r: counts, discounting and choices as k single calls', (t) => {
  for (const [name, policy] of [...learners, ['ucb1 discounted', { ...ucb1, discount: 0.9 }] as [string, LearningPolicy]]) {
    const once = new Bandit(labels, [1, 1, 1], policy);
    const many = new Bandit(labels, [1, 1, 1], policy);
    for (const [arm, r, k] of [[0, 0.5, 3], [1, 1, 1], [2, 0, 36], [0, 0.25, 2]] as const) {
      once.credit(arm, r, k);
      for (let j = 0; j < k; j++) many.credit(arm, r);
    }
    t.deepEqual(once.toJSON(), many.toJSON(), name);
    t.is(once.toJSON().arms[2]!.credits, 36, name);
  }
  const bandit = new Bandit(labels, [1, 1, 1], ucb1);
  for (const bad of [0, -1, 1.5, Number.NaN]) t.throws(() => bandit.credit(0, 1, bad), { message: /must be a positive integer/ });
});
