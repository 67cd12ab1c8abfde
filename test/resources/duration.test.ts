import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDuration } from '../../src/resources/validate/duration.ts';

test('GEP-2257 durations convert to milliseconds; invalid ones do not', () => {
  assert.equal(parseDuration('1h30m'), 5_400_000);
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('1m5s'), 65_000);
  assert.equal(parseDuration('0s'), 0);
  assert.equal(parseDuration('1.5s'), undefined);
  assert.equal(parseDuration('100us'), undefined);
  assert.equal(parseDuration('1h1m1s1ms1h'), undefined, 'at most four parts');
  assert.equal(parseDuration('100000s'), undefined, 'at most 5 digits per part');
  assert.equal(parseDuration('1d'), undefined);
  assert.equal(parseDuration(''), undefined);
  assert.equal(parseDuration('-1s'), undefined);
  assert.equal(parseDuration('1s1s'), 2000, 'GEP-2257: units may repeat, the total is the sum');
});
