// Tests of splitReasoning(): which reasoning sections are removed before an answer is parsed, and which look-alikes are kept.
import test from 'ava';
import { draftedEdits, splitReasoning } from '../../../operators/llm/reasoning-sections.js';

const block = (from: string, to: string) => `<<<<<<< SEARCH a.py\n${from}\n=======\n${to}\n>>>>>>> REPLACE\n`;

const wrappers: Array<[string, string, string]> = [
  ['<think>', '</think>', 'Qwen, DeepSeek'],
  ['<THINK>', '</THINK>', 'upper case'],
  ['<thinking>', '</thinking>', 'Claude-style prompts'],
  ['<Thinking>', '</Thinking>', 'mixed case'],
  ['<reasoning>', '</reasoning>', 'reasoning tag'],
  ['<thought>', '</thought>', 'thought tag'],
  ['<think type="internal">', '</think>', 'attributes'],
  ['<|begin_of_thought|>', '<|end_of_thought|>', 'Open-Thoughts'],
  ['[THINK]', '[/THINK]', 'Magistral'],
  ['◁think▷', '◁/think▷', 'Kimi'],
  ['<|channel|>analysis<|message|>', '<|end|>', 'gpt-oss harmony'],
];

for (const [open, close, who] of wrappers) {
  test(`a ${open}…${close} section (${who}) is removed with the block drafted in it, and the answer after it is kept`, (t) => {
    const split = splitReasoning(`${open}\nDraft:\n${block('x = 1', 'x = 9')}Too big.\n${close}\n\nSet x to 2.\n${block('x = 1', 'x = 2')}`);
    t.is(split.answer, `Set x to 2.\n${block('x = 1', 'x = 2')}`);
    t.deepEqual(split.reasoning, [`\nDraft:\n${block('x = 1', 'x = 9')}Too big.\n`]);
    t.is(split.unclosed, undefined);
    t.is(draftedEdits(split.reasoning), 1);
  });
}

test('a closing </think> with no opening tag (DeepSeek-R1 templates open it in the prompt) ends a reasoning prefix', (t) => {
  const split = splitReasoning(`Let me see.\n${block('x = 1', 'x = 9')}No.\n</think>\n\nFinal.\n${block('x = 1', 'x = 2')}`);
  t.is(split.answer, `Final.\n${block('x = 1', 'x = 2')}`);
  t.deepEqual(split.reasoning, [`Let me see.\n${block('x = 1', 'x = 9')}No.\n`]);
  t.is(splitReasoning('Thinking done.</think>\nAnswer.').answer, 'Answer.', 'a closing tag that ends its line');
});

test('an opening tag never closed makes the rest of the answer reasoning, and says which tag it was', (t) => {
  const split = splitReasoning(`<think>\nI will change x.\n${block('x = 1', 'x = 2')}`);
  t.is(split.answer, '');
  t.is(split.unclosed, '<think>');
  t.is(draftedEdits(split.reasoning), 1);
  t.like(splitReasoning(`Plan first.\n<reasoning>\n${block('x = 1', 'x = 2')}`), { answer: 'Plan first.\n', unclosed: '<reasoning>' });
});

test('several sections, one in the middle of the answer, are all removed', (t) => {
  const split = splitReasoning(`<think>a</think>\nOne.\n${block('x', 'y')}<think>\nb\n</think>\nTwo.\n`);
  t.is(split.answer, `One.\n${block('x', 'y')}Two.\n`);
  t.deepEqual(split.reasoning, ['a', '\nb\n']);
});

test('tags inside an edit block or a <file> body are content, not reasoning', (t) => {
  const diff = block('Reason step by step.', '<think>\nReason step by step.\n</think>');
  t.deepEqual(splitReasoning(diff), { answer: diff, reasoning: [] });
  const rewrite = '<file path="prompt.md">\nExample:\n<think>\nfirst this\n</think>\n</file>\n';
  t.deepEqual(splitReasoning(rewrite), { answer: rewrite, reasoning: [] });
});

test('a closing tag on its own line inside a <file> body or an edit block is content, not the end of a reasoning prefix', (t) => {
  const rewrite = '<file path="prompt.md">\nReason, then write\n</think>\nthen the answer.\n</file>\n<file path="params.json">\n{}\n</file>\n';
  t.deepEqual(splitReasoning(rewrite), { answer: rewrite, reasoning: [] });
  const diff = block('Close with', 'Close with\n</think>');
  t.deepEqual(splitReasoning(diff), { answer: diff, reasoning: [] });
});

test('a closing tag mentioned inline in prose or code is not a reasoning boundary', (t) => {
  const text = `Models end their reasoning with </think> tags, so strip them.\n${block('a', 'b')}`;
  t.deepEqual(splitReasoning(text), { answer: text, reasoning: [] });
  const inline = 'Use <think> and </think> around reasoning.\n';
  t.deepEqual(splitReasoning(inline), { answer: inline, reasoning: [] });
});

test('an answer without reasoning comes back unchanged', (t) => {
  const text = `Raise x.\n\`\`\`diff\n${block('x = 1', 'x = 2')}\`\`\`\n`;
  t.deepEqual(splitReasoning(text), { answer: text, reasoning: [] });
});

test('the framing tokens around a final answer (Open-Thoughts, harmony) are dropped', (t) => {
  t.is(splitReasoning('<|begin_of_thought|>x<|end_of_thought|>\n<|begin_of_solution|>\nDone.\n<|end_of_solution|>').answer, 'Done.\n');
  t.is(splitReasoning('<|channel|>analysis<|message|>x<|end|><|start|>assistant<|channel|>final<|message|>Done.<|return|>').answer, 'Done.');
});
