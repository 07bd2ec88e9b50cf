import test from 'ava';
import { shortNumber } from '../../common/format.js';

test('integers are written exactly; other numbers to 6 significant digits without trailing zeros', (t) => {
  t.deepEqual([1234567, 0, -42, 0.5, 2.416812345, 1 / 3, 1.5e-7, 123456.789].map(shortNumber), ['1234567', '0', '-42', '0.5', '2.41681', '0.333333', '1.5e-7', '123457']);
});
