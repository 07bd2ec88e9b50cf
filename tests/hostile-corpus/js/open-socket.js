// Tries to open a connection to a local listener (the test's canary port) with fetch.
async function summarize(values) {
  const answer = await fetch('http://127.0.0.1:' + '__CANARY_PORT__' + '/exfiltrate');
  return { count: values.length, min: await answer.text() };
}
