// Tries to read a file outside its folder and return its text as the answer.
function summarize(values) {
  const fs = require('fs');
  return { count: values.length, min: fs.readFileSync('__CANARY_FILE__', 'utf8') };
}
