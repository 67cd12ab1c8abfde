import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsonEqual, mergeConditions, mergeStatus, withoutOurEntries } from '../../src/providers/kubernetes/status-merge.ts';
import { kubeTime, microTime } from '../../src/providers/kubernetes/time.ts';
import type { Condition } from '../../src/resources/types.ts';

const OURS = 'wicket.dev/gateway-controller';
const T0 = '2026-01-01T00:00:00Z';
const NOW = '2026-06-01T12:00:00Z';
const c = (type: string, status: Condition['status'], reason = type, extra: Partial<Condition> = {}): Condition => ({ type, status, reason, message: '', ...extra });

test('lastTransitionTime is kept when the status did not change, and set to now when it did', () => {
  const existing = [c('Accepted', 'True', 'Accepted', { lastTransitionTime: T0, observedGeneration: 1 }), c('Programmed', 'False', 'Pending', { lastTransitionTime: T0 })];
  const merged = mergeConditions([c('Accepted', 'True', 'Accepted', { observedGeneration: 2 }), c('Programmed', 'True'), c('ResolvedRefs', 'True')], existing, NOW, 2);
  assert.deepEqual(merged.map((m) => [m.type, m.lastTransitionTime, m.observedGeneration]), [
    ['Accepted', T0, 2],
    ['Programmed', NOW, 2],
    ['ResolvedRefs', NOW, 2],
  ]);
  // A changed reason with the same status keeps the time (Kubernetes convention: status transitions only).
  assert.equal(mergeConditions([c('Accepted', 'True', 'Other')], existing, NOW)[0]!.lastTransitionTime, T0);
});

test('route status: foreign parent entries are kept, ours replaced, parentRef defaults filled in', () => {
  const foreign = { parentRef: { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'theirs' }, controllerName: 'other.io/ctl', conditions: [c('Accepted', 'True', 'Accepted', { lastTransitionTime: T0 })] };
  const oldOurs = { parentRef: { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'gw', namespace: 'infra' }, controllerName: OURS, conditions: [c('Accepted', 'True', 'Accepted', { lastTransitionTime: T0 })] };
  const stale = { parentRef: { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'gone' }, controllerName: OURS, conditions: [] };
  const out = mergeStatus('HTTPRoute', { parents: [foreign, oldOurs, stale] }, {
    parents: [{ parentRef: { name: 'gw', namespace: 'infra' }, controllerName: OURS, conditions: [c('Accepted', 'True'), c('ResolvedRefs', 'False', 'BackendNotFound')] }],
  }, OURS, 3, NOW) as any;
  assert.equal(out.parents.length, 2);
  assert.deepEqual(out.parents[0], foreign);
  assert.deepEqual(out.parents[1].parentRef, { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'gw', namespace: 'infra' });
  assert.deepEqual(out.parents[1].conditions.map((x: Condition) => [x.type, x.lastTransitionTime, x.observedGeneration]), [
    ['Accepted', T0, 3],
    ['ResolvedRefs', NOW, 3],
  ]);
});

test('BackendTLSPolicy ancestors merge like route parents', () => {
  const foreign = { ancestorRef: { name: 'x', group: 'gateway.networking.k8s.io', kind: 'Gateway' }, controllerName: 'other.io/ctl', conditions: [] };
  const out = mergeStatus('BackendTLSPolicy', { ancestors: [foreign] }, { ancestors: [{ ancestorRef: { name: 'gw' }, controllerName: OURS, conditions: [c('Accepted', 'True')] }] }, OURS, 1, NOW) as any;
  assert.deepEqual(out.ancestors.map((a: any) => a.controllerName), ['other.io/ctl', OURS]);
});

test('gateway status: whole status ours; listener conditions merged by listener name; address type defaulted', () => {
  const current = {
    conditions: [c('Programmed', 'True', 'Programmed', { lastTransitionTime: T0 })],
    listeners: [{ name: 'http', attachedRoutes: 1, supportedKinds: [], conditions: [c('Accepted', 'True', 'Accepted', { lastTransitionTime: T0 })] }],
    somethingOld: true,
  };
  const out = mergeStatus('Gateway', current, {
    addresses: [{ value: '127.1.0.1' }],
    conditions: [c('Programmed', 'True')],
    listeners: [{ name: 'http', attachedRoutes: 2, supportedKinds: [{ kind: 'HTTPRoute' }], conditions: [c('Accepted', 'True')] }, { name: 'new', attachedRoutes: 0, supportedKinds: [], conditions: [c('Accepted', 'False', 'PortUnavailable')] }],
  }, OURS, 5, NOW) as any;
  assert.equal(out.somethingOld, undefined);
  assert.deepEqual(out.addresses, [{ type: 'IPAddress', value: '127.1.0.1' }]);
  assert.equal(out.conditions[0].lastTransitionTime, T0);
  assert.equal(out.listeners[0].conditions[0].lastTransitionTime, T0);
  assert.deepEqual(out.listeners[0].supportedKinds, [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute' }]);
  assert.equal(out.listeners[1].conditions[0].lastTransitionTime, NOW);
});

test('merging what the server already has gives an equal status (so nothing is written)', () => {
  const server = {
    parents: [{ parentRef: { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'gw' }, controllerName: OURS, conditions: [c('Accepted', 'True', 'Accepted', { lastTransitionTime: T0, observedGeneration: 1 })] }],
  };
  const again = mergeStatus('HTTPRoute', server, { parents: [{ parentRef: { name: 'gw' }, controllerName: OURS, conditions: [c('Accepted', 'True', 'Accepted', { observedGeneration: 1 })] }] }, OURS, 1, NOW);
  assert.ok(jsonEqual(again, server));
});

test('withoutOurEntries removes only our entries, and is undefined when there are none', () => {
  const st = { parents: [{ controllerName: OURS, parentRef: { name: 'a' }, conditions: [] }, { controllerName: 'x/y', parentRef: { name: 'b' }, conditions: [] }] };
  assert.deepEqual((withoutOurEntries('HTTPRoute', st, OURS) as any).parents.map((p: any) => p.controllerName), ['x/y']);
  assert.equal(withoutOurEntries('HTTPRoute', { parents: [st.parents[1]] }, OURS), undefined);
});

test('jsonEqual ignores key order and undefined members, not array order', () => {
  assert.ok(jsonEqual({ a: 1, b: [1, { c: 2, d: 3 }] }, { b: [1, { d: 3, c: 2 }], a: 1, e: undefined }));
  assert.ok(!jsonEqual([1, 2], [2, 1]));
  assert.ok(!jsonEqual({ a: 1 }, { a: 1, b: null }));
});

test('time formats: conditions to the second, MicroTime with six fractional digits', () => {
  const d = new Date('2026-03-04T05:06:07.891Z');
  assert.equal(kubeTime(d), '2026-03-04T05:06:07Z');
  assert.equal(microTime(d), '2026-03-04T05:06:07.891000Z');
});
