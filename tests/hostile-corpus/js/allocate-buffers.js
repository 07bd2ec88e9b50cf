// Allocates array buffers (memory outside the JavaScript heap) until something stops it.
function summarize(values) {
  const hoard = [];
  for (;;) hoard.push(new Float64Array(1 << 20));
}
