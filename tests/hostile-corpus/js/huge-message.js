// Throws an Error whose message is a megabyte, hoping it is stored and shown in full.
function summarize(values) {
  throw new Error('m'.repeat(2 ** 20));
}
