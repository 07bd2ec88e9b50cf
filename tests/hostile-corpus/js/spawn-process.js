// Tries to start a shell.
function summarize(values) {
  require('child_process').execSync('touch __CANARY_DIR__/pwned');
  return { count: values.length };
}
