// Answers with a value nested thousands of levels deep, past what the host's JSON parser can take.
function summarize(values) {
  let v = { count: values.length };
  for (let i = 0; i < 3000; i++) v = [v];
  return v;
}
