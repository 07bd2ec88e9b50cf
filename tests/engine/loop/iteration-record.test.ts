// The bandit's reward and credits of an iteration (engine/loop/iteration-record.ts), per iteration and per evaluation.
import test from 'ava';
import { creditsOf, creditUnitOf, rewardOf } from '../../../engine/loop/iteration-record.js';

const kids = (...s: Array<'new' | 'improved' | 'rejected'>) => s.map((addStatus) => ({ addStatus }));

test('per iteration: 1 if any child filled a new cell, 0.5 if one improved a cell, else 0; one credit whatever the children', (t) => {
  t.is(rewardOf(kids('rejected', 'new', 'rejected')), 1);
  t.is(rewardOf(kids('rejected', 'improved')), 0.5);
  t.is(rewardOf(kids('rejected', 'rejected')), 0);
  t.is(rewardOf([]), 0);
  t.is(creditsOf(36, 'iteration'), 1);
  t.is(creditsOf(0, 'iteration'), 1);
});

test('per evaluation: the mean of each child\'s 1, 0.5 or 0, credited once per child (once for an iteration without children)', (t) => {
  t.is(rewardOf(kids('rejected', 'new', 'rejected', 'improved'), 'evaluation'), 1.5 / 4);
  t.is(rewardOf(kids('new'), 'evaluation'), 1);
  t.is(rewardOf([], 'evaluation'), 0);
  t.is(creditsOf(36, 'evaluation'), 36);
  t.is(creditsOf(0, 'evaluation'), 1);
  // A 36-child generation with one new cell earns 1/36 per evaluation, where per iteration it earned as much as a lucky single child.
  const generation = kids('new', ...Array<'rejected'>(35).fill('rejected'));
  t.is(rewardOf(generation, 'evaluation') * creditsOf(36, 'evaluation'), rewardOf(kids('new'), 'evaluation') * creditsOf(1, 'evaluation'));
});

test('the credit unit comes from the config; fixed weights credit per iteration', (t) => {
  t.is(creditUnitOf({ policy: 'weights' }), 'iteration');
  t.is(creditUnitOf({ policy: 'ucb1', exploration: 1, discount: 1, credit: 'evaluation' }), 'evaluation');
  t.is(creditUnitOf({ policy: 'thompson', discount: 1, credit: 'iteration' }), 'iteration');
});
