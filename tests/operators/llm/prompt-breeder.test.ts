// The meta-operator of prompt evolution: what it is asked, and which of its answers may join a population.
import test from 'ava';
import { breedMessages, parseBred, type PromptVariant } from '../../../operators/llm/prompt-breeder.js';

const parent: PromptVariant = {
  system: 'You are an expert engineer. Task:\n{{task}}\nDescriptors: {{descriptors}}',
  template: '## The variant\n{{evaluation}}\n\n{{files}}\n\nPropose one improvement as SEARCH/REPLACE blocks.',
};
const good = { system: `${parent.system}\nBe bold.`, template: `${parent.template}\nPrefer changes that raise the score a lot.` };
const tagged = (v: PromptVariant) => `<system>\n${v.system}\n</system>\n<template>\n${v.template}\n</template>`;

test('the request shows the best and worst prompts with their records and outcomes, and the placeholders allowed', (t) => {
  const [system, user] = breedMessages('diff',
    { label: 'diff#2', variant: parent, uses: 12, meanReward: 0.41, outcomes: ['iteration 30: new cell', 'iteration 27: the child\'s evaluation failed (threw): boom'] },
    { label: 'diff#0', variant: good, uses: 5, meanReward: 0.1, outcomes: [] });
  t.regex(system!.content as string, /^You improve the instructions/);
  const text = user!.content as string;
  t.regex(text, /## The best prompt so far\n\n### diff#2: used 12 time\(s\), mean reward 0\.410/);
  t.regex(text, /- iteration 27: the child's evaluation failed \(threw\): boom/);
  t.regex(text, /## The worst prompt so far\n\n### diff#0: used 5 time\(s\), mean reward 0\.100/);
  t.regex(text, /must keep \{\{files\}\}/);
  t.regex(text, /\{\{evaluation\}\}, \{\{files\}\}, \{\{lineage\}\}/);
  const [, alone] = breedMessages('crossover', { label: 'x#0', variant: parent, uses: 0, meanReward: null, outcomes: [] }, null);
  t.notRegex(alone!.content as string, /worst/);
  t.regex(alone!.content as string, /not used yet[\s\S]*must keep \{\{parents\}\}/);
});

test('a real-style answer (think tags, prose, fences, tags quoted from the request first) is parsed from its last tags', (t) => {
  const answer = `<think>\nThe request shows <system>\nold\n</system> and I should improve it.\n</think>\nMade it bolder.\n\n\`\`\`xml\n${tagged(good)}\n\`\`\``;
  t.deepEqual(parseBred(answer, false, 'diff', parent), { ok: true, variant: good });
  t.deepEqual(parseBred(`Sure!\n${tagged(parent)}\nOr better:\n${tagged(good)}`, false, 'diff', parent), { ok: true, variant: good });
});

test('answers that cannot join are refused with every reason', (t) => {
  const refused = (answer: string, cutOff = false, mode: 'diff' | 'crossover' = 'diff') => {
    const r = parseBred(answer, cutOff, mode, parent);
    return r.ok ? [] : r.errors;
  };
  t.deepEqual(refused(tagged(good), true), ['the answer was cut off at the token limit']);
  t.deepEqual(refused('I would rather not.'), ['no <system>...</system> block', 'no <template>...</template> block']);
  t.deepEqual(refused(tagged({ ...good, template: good.template.replace('{{files}}', 'the files') })), ['template: must keep {{files}}']);
  t.deepEqual(refused(tagged({ ...good, template: `${good.template} {{secret}}` })), ['template: unknown placeholder {{secret}}']);
  t.deepEqual(refused(tagged({ ...good, system: `${good.system} {{files}}` })), ['system: unknown placeholder {{files}}']);
  t.deepEqual(refused(tagged({ ...good, template: '{{files}}' })), ['template: too short (9 characters)']);
  t.regex(refused(tagged({ ...good, template: `${good.template}${'x'.repeat(2000)}` }))[0]!, /^template: \d+ characters, more than \d+ \(3x its parent's, at most 20000\)$/);
  t.deepEqual(refused(tagged(parent)), ['the same prompt as its parent']);
  t.deepEqual(refused(tagged(good), false, 'crossover'), ['template: unknown placeholder {{evaluation}}', 'template: unknown placeholder {{files}}', 'template: must keep {{parents}}']);
});
