// Never returns.
function summarize(values) {
  for (;;) { values = values.concat([]); }
}
