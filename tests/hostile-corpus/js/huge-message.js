// Throws an Error whose message is 5 MB, hoping it is stored and shown in full.
function summarize(values) {
  throw new Error('m'.repeat(5 * 2 ** 20));
}
