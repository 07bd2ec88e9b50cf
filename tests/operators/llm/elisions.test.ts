// Tests of the elision recogniser: the markers models use to leave code out, and the code and comments that merely look like them.
import test from 'ava';
import { findElisions, isElision } from '../../../operators/llm/elisions.js';

const elisions = [
  '// ... existing code ...', '// ...existing code...', '    // ... unchanged ...', '# ... rest of the code ...', '# rest of the code',
  '# ... rest of the function unchanged', '// rest of the file unchanged', '// Rest of the function remains the same',
  '// other methods remain unchanged', '/* ... */', '/* rest of the code */', '<!-- ... -->', '<!-- rest of the document unchanged -->',
  '{/* ... */}', '-- ...', '; ...', '% ...', '...', '…', '  …', '. . .', '[...]', '(...)', '# (rest of file unchanged)', '// (unchanged)',
  '// unchanged', '// Unchanged.', '// existing code here', '// previous code remains the same', '# code omitted for brevity',
  '// ... (omitted for brevity)', '# keep the rest of the file as is', '// everything else stays the same', '// same as before',
  '# [rest of the implementation]', '// …rest of function', '// rest of your code...',
  '...rest of the code unchanged', '... rest of code', '  ...existing code...', '…rest', '// ... same logic ...', '# Other helpers unchanged',
  '// existing code', '# rest unchanged', '// the rest goes here', '// other methods are the same', '# keep the rest', '... # rest of the class',
  '// ...rest of the component', '/* ...other methods here */',
];

const code = [
  'return [...xs, 1];', 'const b = { ...a, k: 1 };', 'f(...args);', 'x: int = ...', 'def f(x): ...', 'arr[..., 0]',
  '# TODO: handle more cases...', '// ...and then normalize.', '// the rest of the code assumes x is sorted',
  '# the cache is unchanged when x < 0', '// Keep this in sync with the server.', '"...",', "print('...')", '//', '#', '',
  '#include <stdio.h>', '--i;', '# Same rules apply to B.', 'rest = items[1:]  # the rest', 'Loading...', 'Other methods:',
  // Code that spreads an expression.
  '  ...rest,', '  {...rest}', '  ...body,', '  ...content,', '  ...previous,', '  ...lines', '  ...rest', '    ...lines.slice(1),',
  '  ...obj.prop,', '  ...other.methods,', '  ...more()', '<Button {...props} />', '  {...props}', 'return [...a, ...b];', '  [...xs]',
  '  ...(cond ? x : y),', '  ...(rest ?? {}),', '  ...rest;', 'f(...lines)', '  ...code)', '// ...rest,',
  // Comments that name code without saying that any was left out.
  '# Other helpers', '// same logic', '// helpers', '# REST', '// Rest', '// everything else', '# existing helpers', '// remaining methods',
  '// previous implementation', '# all values are the same', '// keep other options sorted', '// Keep existing entries for old clients',
  '# no change', '// same as above', '# process the remaining items...', '# the rest', '// ...and the others',
];

for (const line of elisions) test(`${JSON.stringify(line)} is an elision`, (t) => t.true(isElision(line, 'x = 1')));
for (const line of code) test(`${JSON.stringify(line)} is code or a real comment, not an elision`, (t) => t.false(isElision(line, 'x = 1')));

test('a bare ... under a line ending in ":" is Python\'s Ellipsis (a stub body), elsewhere an elision', (t) => {
  t.false(isElision('        ...', '    def score(self, job: dict) -> float:'));
  t.false(isElision('    ...', 'class P(Protocol):  # a protocol'));
  t.true(isElision('    ...', '    total = 0'));
  t.true(isElision('...', 'def f():'), 'not indented under the opener');
  t.true(isElision('    # ...', '    def f(self):'), 'a comment is never Python code');
  t.false(isElision('        ...  # pragma: no cover', '    def f(self) -> int:'), 'a stub body with a comment');
  t.true(isElision('    ...  # pragma: no cover', '    x = 1'));
});

test('findElisions() skips marker lines the original already has, and reports the new ones by index', (t) => {
  const original = ['x = 1', '# ...', 'y = 2'];
  t.deepEqual(findElisions(['x = 1', '# ...', 'y = 3', '# rest of the code'], original), [3]);
  t.deepEqual(findElisions(['def f():', '    ...', 'z = [...a]'], []), []);
  const spread = ['const merged = {', '  ...previous,', '  ...rest,', '};', 'return [', '  ...lines', '];', '// same logic', '  // ... rest of the code'];
  t.deepEqual(findElisions(spread, []), [8]);
});
