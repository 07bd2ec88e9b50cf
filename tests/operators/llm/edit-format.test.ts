// Tests of the LLM edit formats: SEARCH/REPLACE diffs, whole-file rewrites, evolve blocks, rendering and the repair message.
import test from 'ava';
import { applyDiff, evolveRegions, parseRewrite } from '../../../operators/llm/edit-format.js';
import { applied, block, errorsOf, program } from '../../helpers/edit-answers.js';

test('applyDiff() replaces the SEARCH lines and reports what changed', (t) => {
  const files = { 'program.js': program, 'README.md': '# score\n' };
  const result = applyDiff(files, block('    const k = 3;', '    const k = 4;'));
  t.deepEqual(result, { ok: true, files: { 'program.js': program.replace('k = 3', 'k = 4'), 'README.md': '# score\n' }, changed: ['program.js'], blocks: 1 });
  t.is(files['program.js'], program, 'the input is not mutated');
});

test('the path after SEARCH may be left out when exactly one file is editable', (t) => {
  const answer = '<<<<<<< SEARCH\n    const k = 3;\n=======\n    const k = 5;\n>>>>>>> REPLACE';
  t.is(applied(t, applyDiff({ 'program.js': program }, answer))['program.js'], program.replace('k = 3', 'k = 5'));
  const two = { 'program.js': program, 'notes.txt': 'k = 3\n' };
  t.is(applied(t, applyDiff(two, answer, { editable: (p) => p === 'program.js' }))['program.js'], program.replace('k = 3', 'k = 5'));
  t.deepEqual(errorsOf(applyDiff(two, answer)), [
    'block 1: no file named after SEARCH, and 2 files are editable (notes.txt, program.js); write <<<<<<< SEARCH followed by the path',
  ]);
});

test('several blocks over several files apply in order, each on the result of the previous ones', (t) => {
  const files = { 'program.js': program, 'config.json': '{\n  "k": 3\n}\n' };
  const answer = [
    block('    const k = 3;', '    const k = 4;'),
    block('  "k": 3', '  "k": 4,\n  "mode": "fast"', 'config.json'),
    block('    const k = 4;\n    total += item * k;', '    const k = 4;\n    total += item * k * 2;'),
  ].join('\n');
  const result = applyDiff(files, answer);
  t.like(result, { ok: true, changed: ['config.json', 'program.js'], blocks: 3 });
  const out = applied(t, result);
  t.is(out['program.js'], program.replace('k = 3', 'k = 4').replace('item * k;', 'item * k * 2;'));
  t.is(out['config.json'], '{\n  "k": 4,\n  "mode": "fast"\n}\n');
});

test('prose, fences and 5 to 9 angle brackets are tolerated around blocks', (t) => {
  const answer = [
    'I will raise k, which should help.',
    '```diff',
    block('    const k = 3;', '    const k = 6;', 'program.js', 5).trimEnd(),
    '```',
    'And tidy the return:',
    '```',
    block('  return total;', '  return total; // sum', 'program.js', 9).trimEnd(),
    '```',
    'Done.',
  ].join('\n');
  const out = applied(t, applyDiff({ 'program.js': program }, answer));
  t.is(out['program.js'], program.replace('k = 3', 'k = 6').replace('return total;', 'return total; // sum'));
});

test('an answer without a block is an error, and 4 or 10 angle brackets do not make one', (t) => {
  for (const answer of ['Here is my idea: raise k.', block('a', 'b', 'program.js', 4), block('a', 'b', 'program.js', 10)]) {
    const [error] = errorsOf(applyDiff({ 'program.js': program }, answer));
    t.true(error?.startsWith('no SEARCH/REPLACE block found'), error);
  }
});

test('CRLF answers apply to LF files, and CRLF files keep their CRLF line ends', (t) => {
  const crlfAnswer = block('  let total = 0;\n  for (const item of items) {', '  let total = 1;\n  for (const item of items) {').replace(/\n/g, '\r\n');
  t.is(applied(t, applyDiff({ 'program.js': program }, crlfAnswer))['program.js'], program.replace('total = 0', 'total = 1'));
  const crlfFile = program.replace(/\n/g, '\r\n');
  const out = applied(t, applyDiff({ 'program.js': crlfFile }, block('  return total;', '  total *= 2;\n  return total;')));
  t.is(out['program.js'], crlfFile.replace('  return total;', '  total *= 2;\r\n  return total;'));
});

test('a file without a final newline keeps that state, also when its last line is replaced or deleted', (t) => {
  const files = { 'a.txt': 'one\ntwo\nthree' };
  t.is(applied(t, applyDiff(files, block('three', 'THREE\nFOUR', 'a.txt')))['a.txt'], 'one\ntwo\nTHREE\nFOUR');
  t.is(applied(t, applyDiff(files, '<<<<<<< SEARCH a.txt\nthree\n=======\n>>>>>>> REPLACE'))['a.txt'], 'one\ntwo');
  t.is(applied(t, applyDiff({ 'a.txt': 'one\ntwo\n' }, block('two', 'TWO', 'a.txt')))['a.txt'], 'one\nTWO\n');
});

test('an exact match is preferred to an indentation-tolerant one', (t) => {
  const files = { 'a.py': 'if x:\n    y = 1\ny = 1\n' };
  t.is(applied(t, applyDiff(files, block('y = 1', 'y = 2', 'a.py')))['a.py'], 'if x:\n    y = 1\ny = 2\n');
});

test('a SEARCH indented less than the file matches, and REPLACE is indented deeper to fit, keeping relative indentation', (t) => {
  const search = 'const k = 3;\ntotal += item * k;';
  const replace = 'const k = 3;\nif (item > 0) {\n  total += item * k;\n}';
  const out = applied(t, applyDiff({ 'program.js': program }, block(search, replace)));
  t.is(out['program.js'], program.replace('    const k = 3;\n    total += item * k;\n', '    const k = 3;\n    if (item > 0) {\n      total += item * k;\n    }\n'));
});

test('a SEARCH indented more than the file matches, and REPLACE is indented shallower to fit, keeping relative indentation', (t) => {
  const search = '        let total = 0;  \n        for (const item of items) {';
  const replace = '        let total = 0;\n        // each item\n            // (weighted)\n        for (const item of items) {';
  const out = applied(t, applyDiff({ 'program.js': program }, block(search, replace)));
  t.is(out['program.js'], program.replace('  let total = 0;\n', '  let total = 0;\n  // each item\n      // (weighted)\n'));
});

test('a SEARCH that matches several places is an error naming their lines', (t) => {
  const lines = Array.from({ length: 20 }, (_, i) => `step(${i + 1});`);
  lines[3] = lines[18] = 'total += step;';
  const result = applyDiff({ 'loop.js': lines.join('\n') + '\n' }, block('total += step;', 'total += 2 * step;', 'loop.js'));
  t.deepEqual(errorsOf(result), ['block 1 (loop.js): the SEARCH text matches 2 places (lines 4 and 19); add surrounding lines to make it unique']);
  lines[9] = '  total += step;';
  t.deepEqual(errorsOf(applyDiff({ 'loop.js': lines.join('\n') }, block('    total += step;', 'x', 'loop.js'))), [
    'block 1 (loop.js): the SEARCH text matches 3 places (lines 4, 10, 19); add surrounding lines to make it unique',
  ]);
});

test('a SEARCH that matches nowhere is an error quoting its first line and showing the nearest lines of the file', (t) => {
  const lines = Array.from({ length: 25 }, (_, i) => `log("step ${i + 1} of the pipeline");`);
  lines[11] = 'const rate = 0.25;';
  lines[12] = 'const decay = rate * 0.5;';
  const result = applyDiff({ 'train.js': lines.join('\n') + '\n' }, block('const rate = 0.2;\nconst decay = rate / 2;', 'const rate = 0.3;', 'train.js'));
  t.deepEqual(errorsOf(result), [[
    'block 1 (train.js): the SEARCH text was not found (its first line: `const rate = 0.2;`); the nearest lines of train.js are:',
    '11 | log("step 11 of the pipeline");',
    '12 | const rate = 0.25;',
    '13 | const decay = rate * 0.5;',
    '14 | log("step 14 of the pipeline");',
  ].join('\n')]);
});

test('the nearest lines are capped at 30 and numbered from the top of the file', (t) => {
  const file = Array.from({ length: 60 }, (_, i) => `row ${i + 1}`).join('\n');
  const search = Array.from({ length: 40 }, (_, i) => `row ${i + 1}x`).join('\n');
  const [error] = errorsOf(applyDiff({ 'rows.txt': file }, block(search, '', 'rows.txt')));
  const shown = error!.split('\n').slice(1);
  t.is(shown.length, 30);
  t.is(shown[0], ' 1 | row 1');
  t.is(shown[29], '30 | row 30');
});

const diffErrors: Array<[string, string, string[]]> = [
  ['a file that does not exist', block('x', 'y', 'main.py'), ['block 1 (main.py): file main.py does not exist; the files are: README.md, program.js']],
  ['a file that may not be edited', block('# score', '# Score', 'README.md'), ['block 1 (README.md): file README.md may not be edited']],
  ['an empty SEARCH part', block('', 'const z = 1;'), ['block 1 (program.js): the SEARCH part is empty; quote the existing lines to replace (diffs do not create files)']],
  ['a block without its divider', '<<<<<<< SEARCH program.js\n  return total;\n>>>>>>> REPLACE\n', ["block 1 (program.js): missing the '=======' line between SEARCH and REPLACE"]],
  ['a block without its end', '<<<<<<< SEARCH program.js\n  return total;\n=======\n  return 0;\n', ["block 1 (program.js): missing the '>>>>>>> REPLACE' line that ends the block"]],
  ['an edit that changes nothing', block('  return total;', '  return total;'), ['the edit changes nothing']],
];

for (const [what, answer, errors] of diffErrors) {
  test(`applyDiff() rejects ${what}`, (t) => {
    const files = { 'program.js': program, 'README.md': '# score\n' };
    t.deepEqual(errorsOf(applyDiff(files, answer, { editable: (p) => p !== 'README.md' })), errors);
  });
}

test('the errors of every block are collected, numbered, and nothing is applied', (t) => {
  const answer = [
    block('    const k = 3;', '    const k = 4;'),
    block('nothing like this', 'x'),
    block('x', 'y', 'other.js'),
    block('  return total;', '  return -total;'),
    '<<<<<<< SEARCH program.js\n  }\n=======\n',
  ].join('\n');
  const errors = errorsOf(applyDiff({ 'program.js': program }, answer));
  t.is(errors.length, 3);
  t.true(errors[0]!.startsWith('block 2 (program.js): the SEARCH text was not found (its first line: `nothing like this`)'));
  t.is(errors[1], 'block 3 (other.js): file other.js does not exist; the files are: program.js');
  t.is(errors[2], "block 5 (program.js): missing the '>>>>>>> REPLACE' line that ends the block");
});

const marked = [
  'import math',             // 1
  '',                        // 2
  '# EVOLVE-BLOCK-START',    // 3
  'def step(x):',            // 4
  '    return x * 2',        // 5
  '# EVOLVE-BLOCK-END',      // 6
  '',                        // 7
  'def run(x):',             // 8
  '    return step(x)',      // 9
  '',                        // 10
  '// EVOLVE-BLOCK-START',   // 11
  'RATE = 0.1',              // 12
  '/* EVOLVE-BLOCK-END */',  // 13
].join('\n') + '\n';

test('evolveRegions() finds the content lines between markers in any comment style', (t) => {
  t.deepEqual(evolveRegions(marked), [{ start: 4, end: 5 }, { start: 12, end: 12 }]);
  t.deepEqual(evolveRegions('a\n# EVOLVE-BLOCK-START\n# EVOLVE-BLOCK-END\n'), [{ start: 3, end: 2 }]);
  t.deepEqual(evolveRegions('no markers here\n# EVOLVE-BLOCK-STARTED is not one\n'), []);
});

test('evolveRegions() throws on unbalanced markers, and an edit to such a file is an error', (t) => {
  const broken = 'x = 1\n# EVOLVE-BLOCK-START\ny = 2\n';
  t.throws(() => evolveRegions(broken), { message: 'unbalanced evolve-block markers: EVOLVE-BLOCK-START at line 2 has no matching EVOLVE-BLOCK-END' });
  t.throws(() => evolveRegions('# EVOLVE-BLOCK-END\n'), { message: /EVOLVE-BLOCK-END at line 1 has no matching EVOLVE-BLOCK-START/ });
  t.deepEqual(errorsOf(applyDiff({ 'a.py': broken }, block('y = 2', 'y = 3', 'a.py'))), [
    'block 1 (a.py): a.py has unbalanced evolve-block markers (EVOLVE-BLOCK-START at line 2 has no matching EVOLVE-BLOCK-END), so it cannot be edited',
  ]);
});

test('an edit inside an evolve block applies', (t) => {
  const out = applied(t, applyDiff({ 'algo.py': marked }, block('def step(x):\n    return x * 2', 'def step(x):\n    return x * 3', 'algo.py') + block('RATE = 0.1', 'RATE = 0.2', 'algo.py')));
  t.is(out['algo.py'], marked.replace('x * 2', 'x * 3').replace('0.1', '0.2'));
});

test('an edit reaching outside the evolve blocks is an error giving the blocks\' line ranges', (t) => {
  const outside = block('def run(x):', 'def run(x, y):', 'algo.py');
  const overMarker = block('    return x * 2\n# EVOLVE-BLOCK-END', '    return x * 3\n# EVOLVE-BLOCK-END', 'algo.py');
  const spanning = block('    return x * 2\n# EVOLVE-BLOCK-END\n\ndef run(x):\n    return step(x)\n\n// EVOLVE-BLOCK-START\nRATE = 0.1', 'RATE = 1', 'algo.py');
  const hint = 'outside the evolve blocks (lines 4-5, line 12); edit only lines inside one EVOLVE-BLOCK-START/EVOLVE-BLOCK-END pair';
  t.deepEqual(errorsOf(applyDiff({ 'algo.py': marked }, outside + overMarker + spanning)), [
    `block 1 (algo.py): the edit touches line 8, ${hint}`,
    `block 2 (algo.py): the edit touches lines 5-6, ${hint}`,
    `block 3 (algo.py): the edit touches lines 5-12, ${hint}`,
  ]);
  // A file without markers is wholly editable, whatever its neighbours have.
  const out = applied(t, applyDiff({ 'algo.py': marked, 'util.py': 'a = 1\n' }, block('a = 1', 'a = 2', 'util.py')));
  t.is(out['util.py'], 'a = 2\n');
});

test('evolve-block line ranges follow the edits of earlier blocks', (t) => {
  const answer = block('def step(x):', 'def step(x):\n    """Doubles."""', 'algo.py') + block('import math', 'import os', 'algo.py');
  t.deepEqual(errorsOf(applyDiff({ 'algo.py': marked }, answer)), [
    'block 2 (algo.py): the edit touches line 1, outside the evolve blocks (lines 4-6, line 13); edit only lines inside one EVOLVE-BLOCK-START/EVOLVE-BLOCK-END pair',
  ]);
});

test('parseRewrite() replaces whole files, ignoring prose around the tags', (t) => {
  const files = { 'program.js': program, 'config.json': '{}\n', 'README.md': '# score\n' };
  const answer = `Here is the new version.\n<file path="program.js">\nexport const k = 4;\n</file>\nand the config:\n<file path="config.json">\n{"k": 4}\n</file>\nThat is all.`;
  t.deepEqual(parseRewrite(files, answer), {
    ok: true, files: { 'program.js': 'export const k = 4;\n', 'config.json': '{"k": 4}\n', 'README.md': '# score\n' }, changed: ['config.json', 'program.js'], blocks: 2,
  });
});

test('parseRewrite() strips a fence directly inside the tag, with or without a language tag', (t) => {
  for (const open of ['```', '```javascript', '~~~']) {
    const close = open.slice(0, 3);
    const answer = `<file path="program.js">\n${open}\nconst k = 4;\n\nreturn k;\n${close}\n</file>`;
    t.is(applied(t, parseRewrite({ 'program.js': program }, answer))['program.js'], 'const k = 4;\n\nreturn k;\n', open);
  }
  const md = '```\ncode\n```\n';
  t.is(applied(t, parseRewrite({ 'doc.md': md }, `<file path="doc.md">\n\`\`\`\ncode 2\n\`\`\`\n</file>`))['doc.md'], '```\ncode 2\n```\n', 'a file that is itself fenced keeps its fence');
});

test('parseRewrite() keeps the final-newline state and the CRLF line ends of the file it replaces', (t) => {
  t.is(applied(t, parseRewrite({ 'a.txt': 'old' }, '<file path="a.txt">\nnew\nlines\n</file>'))['a.txt'], 'new\nlines');
  t.is(applied(t, parseRewrite({ 'a.txt': 'old\n' }, '<file path="a.txt">\nnew</file>'))['a.txt'], 'new\n');
  t.is(applied(t, parseRewrite({ 'a.txt': 'old\r\nfile\r\n' }, '<file path="a.txt">\r\nnew\r\nfile\r\n</file>'))['a.txt'], 'new\r\nfile\r\n');
});

test('a rewrite may change the evolve blocks, and keeps everything outside them byte for byte', (t) => {
  const crlf = marked.replace(/\n/g, '\r\n');
  const answer = `<file path="algo.py">\n${marked.replace('    return x * 2', '    y = x + 1\n    return y * 2').replace('RATE = 0.1', '')}</file>`;
  const out = applied(t, parseRewrite({ 'algo.py': crlf }, answer));
  t.is(out['algo.py'], crlf.replace('    return x * 2', '    y = x + 1\r\n    return y * 2').replace('RATE = 0.1\r\n', '\r\n'));
});

const rewriteErrors: Array<[string, string, string[]]> = [
  ['a change outside the evolve blocks', `<file path="algo.py">\n${marked.replace('def run(x):', 'def run(x, y):')}</file>`,
    ['block 1 (algo.py): the rewrite changes algo.py outside its evolve blocks (first difference at line 8 of the original); keep everything outside the evolve blocks (lines 4-5, line 12) exactly as it is']],
  ['a line added after the last block', `<file path="algo.py">\n${marked}extra = 1\n</file>`,
    ['block 1 (algo.py): the rewrite changes algo.py outside its evolve blocks (first difference at line 14 of the original); keep everything outside the evolve blocks (lines 4-5, line 12) exactly as it is']],
  ['a dropped evolve block', `<file path="algo.py">\n${marked.split('\n').slice(0, 10).join('\n')}\n</file>`,
    ['block 1 (algo.py): the rewrite has 1 evolve blocks where algo.py has 2; keep everything outside the evolve blocks (lines 4-5, line 12) exactly as it is']],
  ['a file that does not exist', '<file path="new.py">\nx = 1\n</file>', ['block 1 (new.py): file new.py does not exist; the files are: algo.py, program.js, secret.txt']],
  ['a file that may not be edited', '<file path="secret.txt">\nopen\n</file>', ['block 1 (secret.txt): file secret.txt may not be edited']],
  ['a tag without its closing tag', '<file path="program.js">\nconst k = 1;\n', ['block 1 (program.js): <file path="program.js"> has no closing </file>']],
  ['a file given twice', '<file path="program.js">\na\n</file>\n<file path="program.js">\nb\n</file>', ['block 2 (program.js): file program.js is given more than once, with different content (blocks 1 and 2); give it once']],
  ['a rewrite that changes nothing', `<file path="program.js">\n${program}</file>`, ['the edit changes nothing']],
  ['an answer without a file tag', 'I would raise k.', ['no <file path=...> block found; write each file as <file path="name">, its entire new content, </file>']],
  ['an answer of SEARCH/REPLACE blocks', block('a', 'b'), ['no <file path=...> block found; write each file as <file path="name">, its entire new content, </file> (the answer gives SEARCH/REPLACE blocks, which this operator does not take)']],
];

for (const [what, answer, errors] of rewriteErrors) {
  test(`parseRewrite() rejects ${what}`, (t) => {
    const files = { 'algo.py': marked, 'program.js': program, 'secret.txt': 'shut\n' };
    t.deepEqual(errorsOf(parseRewrite(files, answer, { editable: (p) => p !== 'secret.txt' })), errors);
  });
}

const heading = 'Intro\n\nFormat\n======\n\nAnswer: <number>\n';

test('a block whose SEARCH holds a line of only "=" is rejected naming both readings when both are found', (t) => {
  const answer = '<<<<<<< SEARCH p.md\nFormat\n======\n\nAnswer: <number>\n=======\nFormat\n======\n\nAnswer: <number>, digits only\n>>>>>>> REPLACE\n';
  t.deepEqual(errorsOf(applyDiff({ 'p.md': heading }, answer)), [
    "block 1 (p.md): the block has 3 lines of only '=' (its lines 2, 5 and 7) and more than one could be the divider: "
    + 'with the one at line 2, SEARCH is `Format`, found at line 3 of p.md; with the one at line 5, SEARCH is `Format` to `Answer: <number>`, found at lines 3-6 of p.md. '
    + "Nothing was guessed; quote a SEARCH part that only one reading finds: one with no line of only '=', or whose only such line is its first",
  ]);
  const conflict = 'a\n<<<<<<< HEAD\nx = 1\n=======\nx = 2\n>>>>>>> feature\nb\n';
  const whole = '<<<<<<< SEARCH c.py\n<<<<<<< HEAD\nx = 1\n=======\nx = 2\n>>>>>>> feature\n=======\nx = 2\n>>>>>>> REPLACE\n';
  t.regex(errorsOf(applyDiff({ 'c.py': conflict }, whole))[0]!, /^block 1 \(c\.py\): the block has 2 lines of only '=' \(its lines 3 and 6\) and more than one could be the divider: with the one at line 3, SEARCH is `<<<<<<< HEAD` to `x = 1`, found at lines 2-3 of c\.py; with the one at line 6, SEARCH is `<<<<<<< HEAD` to `>>>>>>> feature`, found at lines 2-6/, 'git conflict markers in the file');
  const twoBlocks = '<<<<<<< SEARCH c.py\n<<<<<<< HEAD\nx = 1\n=======\n>>>>>>> REPLACE\n<<<<<<< SEARCH c.py\n=======\nx = 2\n>>>>>>> feature\n=======\nx = 2\n>>>>>>> REPLACE\n';
  t.is(applied(t, applyDiff({ 'c.py': conflict }, twoBlocks))['c.py'], 'a\nx = 2\nb\n', 'the way out the error names: no such line, or only as the first');
});

test('a block with several lines of only "=" applies when exactly one reading finds its SEARCH part', (t) => {
  const newHeading = '<<<<<<< SEARCH p.md\nIntro\n=======\nIntro\n\nScope\n=====\nOne problem at a time.\n>>>>>>> REPLACE\n';
  t.is(applied(t, applyDiff({ 'p.md': heading }, newHeading))['p.md'], 'Intro\n\nScope\n=====\nOne problem at a time.\n\nFormat\n======\n\nAnswer: <number>\n');
  const fromUnderline = '<<<<<<< SEARCH p.md\n======\n\nAnswer: <number>\n=======\n======\n\nAnswer: <digits>\n>>>>>>> REPLACE\n';
  t.is(applied(t, applyDiff({ 'p.md': heading }, fromUnderline))['p.md'], heading.replace('<number>', '<digits>'), 'an empty SEARCH is no reading');
});

test('a block with several lines of only "=" and no reading found says so beside the usual not-found error', (t) => {
  const [error] = errorsOf(applyDiff({ 'p.md': heading }, '<<<<<<< SEARCH p.md\nOutro\n======\n=======\nEnd\n======\n>>>>>>> REPLACE\n'));
  t.true(error!.startsWith('block 1 (p.md): the SEARCH text was not found (its first line: `Outro`)'), error);
  t.true(error!.endsWith("(the block has 3 lines of only '=', its lines 2, 3 and 5; this reads the one at line 2 as the divider, and no reading's SEARCH part is found exactly once)"), error);
});

test('a block repeated exactly is applied once, even when its REPLACE still contains its SEARCH', (t) => {
  const insert = block('  let total = 0;', '  let total = 0;\n  let count = 0;');
  const result = applyDiff({ 'program.js': program }, `${insert}\nTo summarise:\n${insert}`);
  t.like(result, { ok: true, blocks: 2 });
  t.is(applied(t, result)['program.js'], program.replace('  let total = 0;\n', '  let total = 0;\n  let count = 0;\n'));
});

test('beside a real problem, an exact duplicate is named as a duplicate, and a repeated SEARCH with another REPLACE as a repeat', (t) => {
  const first = block('    const k = 3;', '    const k = 4;');
  const errors = errorsOf(applyDiff({ 'program.js': program }, first + first + block('nothing like this', 'x')));
  t.is(errors.length, 2);
  t.is(errors[0], 'block 2 (program.js): a duplicate of block 1 (the same lines again); it counts once, so send it once');
  t.true(errors[1]!.startsWith('block 3 (program.js): the SEARCH text was not found (its first line: `nothing like this`)'), errors[1]);
  t.deepEqual(errorsOf(applyDiff({ 'program.js': program }, first + block('    const k = 3;', '    const k = 5;'))), [
    'block 2 (program.js): its SEARCH part repeats that of block 1, which already replaced those lines; merge the two into one block, or quote the lines as block 1 left them',
  ]);
});

test('a REPLACE part that elides code is rejected, and one keeping a marker its SEARCH has is not', (t) => {
  const lazy = block('  for (const item of items) {\n    const k = 3;\n    total += item * k;\n  }', '  for (const item of items) {\n    // ... existing code ...\n  }');
  t.deepEqual(errorsOf(applyDiff({ 'program.js': program }, lazy)), [
    'block 1 (program.js): the REPLACE part elides code (`// ... existing code ...`): the REPLACE lines replace the SEARCH lines exactly, so write out every line to keep, or quote fewer lines',
  ]);
  const withMarker = { 'a.py': 'def f():\n    ...\n' };
  t.is(applied(t, applyDiff(withMarker, block('def f():\n    ...', 'def f() -> int:\n    ...', 'a.py')))['a.py'], 'def f() -> int:\n    ...\n');
  const [error] = errorsOf(applyDiff({ 'program.js': program }, block('  let total = 0;\n  // ...\n  return total;', '  return 0;')));
  t.true(error!.includes("its line `// ...` stands for lines left out, but SEARCH must quote every line exactly"), error);
});

test('a fence inside the SEARCH and REPLACE parts is unwrapped; a REPLACE alone in a fence is rejected in code, kept in Markdown', (t) => {
  const wrapped = '<<<<<<< SEARCH program.js\n```js\n    const k = 3;\n```\n=======\n```js\n    const k = 4;\n```\n>>>>>>> REPLACE\n';
  t.is(applied(t, applyDiff({ 'program.js': program }, wrapped))['program.js'], program.replace('k = 3', 'k = 4'));
  const replaceOnly = block('    const k = 3;', '```js\n    const k = 4;\n```');
  t.deepEqual(errorsOf(applyDiff({ 'program.js': program }, replaceOnly)), [
    'block 1 (program.js): the REPLACE part is wrapped in a Markdown fence (`` ```js ``), which would become lines of program.js; write the lines without the fence',
  ]);
  t.is(applied(t, applyDiff({ 'doc.md': 'Example:\nTBD\n' }, block('TBD', '```js\nf(1)\n```', 'doc.md')))['doc.md'], 'Example:\n```js\nf(1)\n```\n');
});

test('a path on the line before the fence (Aider style) names the file of a block without one', (t) => {
  const files = { 'program.js': program, 'notes.txt': 'k = 3\n' };
  const answer = '### notes.txt\n```text\n<<<<<<< SEARCH\nk = 3\n=======\nk = 4\n>>>>>>> REPLACE\n```\n\n**program.js**\n\n```js\n<<<<<<< SEARCH\n    const k = 3;\n=======\n    const k = 4;\n>>>>>>> REPLACE\n```\n';
  t.deepEqual(applied(t, applyDiff(files, answer)), { 'program.js': program.replace('k = 3', 'k = 4'), 'notes.txt': 'k = 4\n' });
  t.deepEqual(errorsOf(applyDiff(files, 'Change this:\n<<<<<<< SEARCH\nk = 3\n=======\nk = 4\n>>>>>>> REPLACE\n')), [
    'block 1: no file named after SEARCH, and 2 files are editable (notes.txt, program.js); write <<<<<<< SEARCH followed by the path',
  ]);
});

test('blocks drafted inside a reasoning section are never applied, by applyDiff() and parseRewrite() alike', (t) => {
  const draft = block('    const k = 3;', '    const k = 9;');
  const diff = applyDiff({ 'program.js': program }, `<think>\n${draft}</think>\n${block('    const k = 3;', '    const k = 4;')}`);
  t.is(applied(t, diff)['program.js'], program.replace('k = 3', 'k = 4'));
  t.deepEqual(errorsOf(applyDiff({ 'program.js': program }, `<think>\n${draft}</think>\nDone above.`)), [
    'no SEARCH/REPLACE block found outside the reasoning section; the 1 block(s) drafted inside it are not applied; write the final blocks after the reasoning',
  ]);
  t.deepEqual(errorsOf(parseRewrite({ 'a.txt': 'a\n' }, '<thinking>\n<file path="a.txt">\nb\n</file>\n')), [
    'no <file path=...> block found; write each file as <file path="name">, its entire new content, </file> (the reasoning section opened by <thinking> is never closed, so everything after it is reasoning, including the 1 file(s) drafted in it, which are not applied)',
  ]);
  t.deepEqual(applied(t, parseRewrite({ 'a.txt': 'a\n' }, '<think>\n<file path="a.txt">\nb\n</file>\n</think>\n<file path="a.txt">\nc\n</file>\n')), { 'a.txt': 'c\n' });
});

test('an answer cut off at the token limit is never applied, and the cut-off comes first among its errors', (t) => {
  const good = block('    const k = 3;', '    const k = 4;');
  const cut = 'the answer was cut off at the token limit (finish_reason "length"), so its edits may be incomplete and none is applied; answer more briefly';
  t.deepEqual(errorsOf(applyDiff({ 'program.js': program }, good, { cutOff: true })), [cut]);
  t.deepEqual(errorsOf(parseRewrite({ 'a.txt': 'a\n' }, '<file path="a.txt">\nb\n</file>\nThis changes', { cutOff: true })), [cut]);
  t.deepEqual(errorsOf(applyDiff({ 'program.js': program }, '<<<<<<< SEARCH program.js\n    const k = 3;\n===', { cutOff: true })), [
    cut, "block 1 (program.js): missing the '=======' line between SEARCH and REPLACE",
  ]);
  t.true(applyDiff({ 'program.js': program }, good, { cutOff: false }).ok);
});

test('a diff answer of whole files in <file> tags is told that this operator does not take them', (t) => {
  t.deepEqual(errorsOf(applyDiff({ 'program.js': program }, '<file path="program.js">\nx\n</file>\n')), [
    'no SEARCH/REPLACE block found; write each edit as <<<<<<< SEARCH path, the old lines, =======, the new lines, >>>>>>> REPLACE (the answer gives whole files in <file> tags, which this operator does not take)',
  ]);
});

test('an answer in unified-diff form is told that this form is not accepted', (t) => {
  t.deepEqual(errorsOf(applyDiff({ 'program.js': program }, '--- a/program.js\n+++ b/program.js\n@@ -4,1 +4,1 @@\n-    const k = 3;\n+    const k = 4;\n')), [
    'no SEARCH/REPLACE block found; write each edit as <<<<<<< SEARCH path, the old lines, =======, the new lines, >>>>>>> REPLACE (the answer looks like a unified diff, which is not accepted)',
  ]);
});
