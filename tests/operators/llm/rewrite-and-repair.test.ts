// Tests of whole-file rewrites on real-style answers, formatFiles() and parseRewrite() as a pair, and the repair message.
import test from 'ava';
import { applyDiff, formatFiles, parseRewrite, repairMessage } from '../../../operators/llm/edit-format.js';
import type { VariantFiles } from '../../../common/types.js';
import { applied, block, errorsOf, program } from '../../helpers/edit-answers.js';

const pyStub = 'class P(Protocol):\n    def f(self) -> int:\n        ...\n\n\ndef g(xs):\n    return [*xs]\n';

const rewriteCases: Array<[string, VariantFiles, string, VariantFiles | string[]]> = [
  ['a file whose content holds two fenced blocks is rejected: which one is the file is a guess',
    { 'a.py': 'x = 1\n' }, '<file path="a.py">\n```python\nx = 2\n```\nand also:\n```python\ny = 3\n```\n</file>',
    ['block 1 (a.py): the content holds more than one fenced block (after the fence closed at its line 3 comes `and also:`), so which is the file is unclear; give the file\'s entire content in one fence, or none']],
  ['a Markdown file wrapped in a fence keeps its own fenced blocks',
    { 'doc.md': 'Text\n' }, '<file path="doc.md">\n```markdown\nIntro\n```python\nf()\n```\nOutro\n```\n</file>', { 'doc.md': 'Intro\n```python\nf()\n```\nOutro\n' }],
  ['a four-backtick fence keeps the three-backtick fences inside it',
    { 'doc.md': 'Text\n' }, '<file path="doc.md">\n````markdown\nIntro\n```\nbare code\n```\n````\n</file>', { 'doc.md': 'Intro\n```\nbare code\n```\n' }],
  ['a fence that is never closed loses only its opening line',
    { 'a.json': '{}\n' }, '<file path="a.json">\n```json\n{"k": 1}\n</file>', { 'a.json': '{"k": 1}\n' }],
  ['a rewrite that elides code is rejected naming the line',
    { 'a.py': pyStub }, `<file path="a.py">\n${pyStub.replace('    return [*xs]\n', '    # ... rest unchanged ...\n')}</file>`,
    ['block 1 (a.py): the rewrite elides code (line 7: `# ... rest unchanged ...`); a rewrite replaces the whole file, so write out every line, also those that stay the same']],
  ['Python Ellipsis bodies and spread syntax are code, not elisions',
    { 'a.py': pyStub }, `<file path="a.py">\n${pyStub.replace('        ...\n', '        ...\n\n    def h(self) -> None:\n        ...\n')}</file>`,
    { 'a.py': pyStub.replace('        ...\n', '        ...\n\n    def h(self) -> None:\n        ...\n') }],
  ['a file given twice with the same content counts once',
    { 'a.txt': 'a\n' }, '<file path="a.txt">\nb\n</file>\nAgain, in full:\n<file path="a.txt">\n```\nb\n```\n</file>', { 'a.txt': 'b\n' }],
  ['an answer that is only a fenced block is told a fence does not name its file',
    { 'a.txt': 'a\n' }, 'Here:\n```\nb\n```\n',
    ['no <file path=...> block found; write each file as <file path="name">, its entire new content, </file> (the answer has 1 fenced block(s), but a fence does not say which file it is)']],
];

for (const [what, files, answer, expected] of rewriteCases) {
  test(`parseRewrite(): ${what}`, (t) => {
    const result = parseRewrite(files, answer);
    if (Array.isArray(expected)) t.deepEqual(errorsOf(result), expected);
    else t.deepEqual(applied(t, result), expected);
  });
}

test('formatFiles() renders the chosen files in sorted order, a newline before </file> only when the content lacks one', (t) => {
  const files = { 'b.txt': 'no newline', 'a.txt': 'line\n', 'c.txt': '' };
  t.is(formatFiles(files), '<file path="a.txt">\nline\n</file>\n<file path="b.txt">\nno newline\n</file>\n<file path="c.txt">\n</file>');
  t.is(formatFiles(files, ['b.txt', 'a.txt']), '<file path="a.txt">\nline\n</file>\n<file path="b.txt">\nno newline\n</file>');
  t.throws(() => formatFiles(files, ['z.txt']), { instanceOf: RangeError });
});

test('parseRewrite() reads back exactly what formatFiles() wrote', (t) => {
  const before: VariantFiles = { 'a.js': 'x\n', 'b.txt': 'no newline', 'c.md': '', 'd.py': 'a\r\nb\r\n', 'e.txt': 'trailing blank\n\n', 'f.txt': 'mentions </file> inline\n' };
  const after: VariantFiles = { 'a.js': 'x\ny\n', 'b.txt': 'still none', 'c.md': 'now text\n', 'd.py': 'a\r\nc\r\n', 'e.txt': 'two blanks\n\n\n', 'f.txt': 'says <file path="x"> and </file> inline\n' };
  const result = parseRewrite(before, formatFiles(after));
  t.deepEqual(result, { ok: true, files: after, changed: Object.keys(after), blocks: 6 });
  t.deepEqual(errorsOf(parseRewrite(before, formatFiles(before))), ['the edit changes nothing']);
});

test('repairMessage() says when the answer was cut off, and asks for a shorter one', (t) => {
  const cut = errorsOf(applyDiff({ 'program.js': program }, block('    const k = 3;', '    const k = 4;'), { cutOff: true }));
  const message = repairMessage(cut);
  t.regex(message, /^Your answer was cut off at the token limit and could not be applied, so none of it was\./);
  t.regex(message, /Keep it short enough to end before the token limit/);
  t.notRegex(repairMessage(['x']), /cut off|token limit/);
});

test('repairMessage() lists the errors verbatim and asks for corrected blocks only', (t) => {
  const errors = ['block 1 (a.js): file a.js may not be edited', 'block 2 (b.js): the SEARCH text was not found (its first line: `x`); the nearest lines of b.js are:\n1 | y'];
  const message = repairMessage(errors);
  for (const error of errors) t.true(message.includes(error));
  t.regex(message, /corrected blocks only/);
  t.regex(message, /none of it was/);
});
