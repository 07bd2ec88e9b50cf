// Returns NaN and strings where numbers belong, hoping they are scored as numbers.
function summarize(values) {
  return { count: 'all of them', min: NaN, max: Infinity, mean: '42', median: -0 / 0 };
}
