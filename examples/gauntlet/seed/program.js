// Summarises a list of numbers. Runs in a V8 isolate: language built-ins only.
function summarize(values) {
  let min = values[0];
  let max = values[0];
  let sum = 0;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
  }
  const sorted = [...values].sort();
  const median = sorted[Math.floor(sorted.length / 2)];
  return { count: values.length, min, max, mean: sum / values.length, median };
}
