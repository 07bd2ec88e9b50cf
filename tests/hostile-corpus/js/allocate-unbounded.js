// Allocates ordinary objects until something stops it.
function summarize(values) {
  const hoard = [];
  for (;;) hoard.push(new Array(1 << 16).fill(hoard.length));
}
