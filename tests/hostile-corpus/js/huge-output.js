// Answers with about 64 MB of text, and floods the console first.
function summarize(values) {
  for (let k = 0; k < 100000; k++) console.log('spam '.repeat(50));
  return { count: values.length, min: 'x'.repeat(64 * 1024 * 1024) };
}
