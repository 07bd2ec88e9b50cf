// Tries to end the process that runs it.
function summarize(values) {
  process.exit(1);
}
