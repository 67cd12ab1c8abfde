import { test } from 'node:test';
import assert from 'node:assert/strict';
import { childIndex, childKey, parentPath } from '../../src/resources/field-path.ts';
import { parseDuration } from '../../src/resources/validate/duration.ts';

test('field paths are built and walked up the way Kubernetes prints them', () => {
  const p = childKey(childIndex(childKey(childKey('', 'spec'), 'rules'), 0), 'name');
  assert.equal(p, 'spec.rules[0].name');
  const label = childKey(childKey('', 'metadata'), 'labels');
  const key = childKey(label, 'app.kubernetes.io/name');
  assert.equal(key, 'metadata.labels["app.kubernetes.io/name"]');
  assert.equal(parentPath(key), 'metadata.labels');
  assert.equal(parentPath('spec.rules[0].name'), 'spec.rules[0]');
  assert.equal(parentPath('spec.rules[0]'), 'spec.rules');
  assert.equal(parentPath('spec'), '');
  assert.equal(parentPath(childKey('data', 'a[0]')), 'data');
});

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
