// usableCopy() (src/translate/sanitize.ts): the kept translation shares sanitize's copy of a route
// list instead of making its own, so the copy must be handed out only for a list holding exactly
// the same objects in the same order. A wrong copy would not show in translation results (the
// incremental path refuses an inconsistent change and builds everything again), so it is checked
// here directly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Snapshot } from '../../src/resources/snapshot.ts';
import { sanitizeSnapshot, usableCopy } from '../../src/translate/sanitize.ts';

const route = (name: string) => ({ metadata: { name, namespace: 'ns' }, spec: {} });

function sanitize(httpRoutes: unknown[]): Snapshot {
  return sanitizeSnapshot({ httpRoutes } as unknown as Snapshot);
}

test('the copy kept for a list is handed out for that list only, and is not the caller’s array', () => {
  const a = route('a');
  const b = route('b');
  const c = route('c');
  const list = [a, b, c];
  assert.equal(sanitize(list).httpRoutes, list, 'all usable: the input itself, nothing copied');
  const copy = usableCopy('httpRoutes', list);
  assert.ok(copy !== undefined);
  assert.notEqual(copy, list, 'a copy, not the caller’s array');
  assert.deepEqual(copy, list);
  // The same objects in another array: the same copy.
  assert.equal(usableCopy('httpRoutes', [a, b, c]), copy);
  // Same length, another object or another order: none.
  assert.equal(usableCopy('httpRoutes', [a, b, route('c')]), undefined);
  assert.equal(usableCopy('httpRoutes', [b, a, c]), undefined);
  assert.equal(usableCopy('httpRoutes', [a, b]), undefined);
  // A field never sanitized: none.
  assert.equal(usableCopy('grpcRoutes', []), undefined);
});

test('a caller changing its array in place after sanitizing does not change the copy or get it', () => {
  const a = route('a');
  const b = route('b');
  const list = [a, b];
  sanitize(list);
  const copy = usableCopy('httpRoutes', list)!;
  [list[0], list[1]] = [b, a];
  assert.deepEqual(copy, [a, b], 'the copy keeps the order it was made with');
  assert.equal(usableCopy('httpRoutes', list), undefined);
  // Sanitized again as changed: a new copy, for the new order.
  sanitize(list);
  const again = usableCopy('httpRoutes', list);
  assert.ok(again !== undefined && again !== copy);
  assert.deepEqual(again, [b, a]);
});

test('a list with an unusable entry keeps no copy of itself (the filtered list is translated)', () => {
  const a = route('a');
  const list = [a, { metadata: { name: 42 } }];
  const out = sanitize(list).httpRoutes as unknown[];
  assert.deepEqual(out, [a]);
  assert.equal(usableCopy('httpRoutes', list), undefined);
});
