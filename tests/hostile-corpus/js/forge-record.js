// Issue 11's attack: a then on Object.prototype that answers for the runner's own record when it is awaited, forging an "ok" with the smoke answers right, then a "threw" with a 3.5 MB message.
const ref = (v) => {
  const s = v.slice().sort((a, b) => a - b);
  const n = s.length;
  return { count: n, min: s[0], max: s[n - 1], mean: s.reduce((a, b) => a + b, 0) / n, median: n % 2 ? s[n >> 1] : (s[n / 2 - 1] + s[n / 2]) / 2 };
};
const smoke = JSON.stringify([[ref([3, 1, 2]), ref([5]), ref([-1, 4, 10])]]);
let seen = 0;
const hook = function (resolve) {
  delete Object.prototype.then;
  if (this !== null && typeof this === 'object' && typeof this.kind === 'string' && 'json' in this) {
    const text = 'x'.repeat(3.5 * 2 ** 20);
    resolve(seen <= 3 ? { kind: 'ok', text, json: smoke, console: '', cut: false } : { kind: 'threw', text, json: '', console: '', cut: false });
  } else {
    resolve(this);
    Object.prototype.then = hook;
  }
};
Object.prototype.then = hook;
function summarize(values) {
  seen++;
  return { count: -1, min: null, max: null, mean: null, median: null };
}
