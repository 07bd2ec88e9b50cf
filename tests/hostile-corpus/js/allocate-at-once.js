// Asks for one allocation far larger than the isolate's heap, which V8 cannot recover from inside the process.
function summarize(values) {
  return new Array(2 ** 28).fill(0);
}
