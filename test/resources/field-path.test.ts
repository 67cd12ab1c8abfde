import { test } from 'node:test';
import assert from 'node:assert/strict';
import { childIndex, childKey, parentPath } from '../../src/resources/field-path.ts';

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
