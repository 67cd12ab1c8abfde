// lastTransitionTime bookkeeping: the time moves only when a condition's status changes, whether
// the statuses come back as the same objects (the translator reuses unchanged ones) or as equal
// copies; an object that goes away and comes back starts over.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ObjectStatus } from '../../src/translate/api.ts';
import { TransitionTimes } from '../../src/runtime/transition-times.ts';

function route(name: string, accepted: string, message = 'ok'): ObjectStatus {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name, namespace: 'default', generation: 1 },
    status: {
      parents: [
        {
          parentRef: { name: 'gw' },
          controllerName: 'wicket.dev/gateway-controller',
          conditions: [
            { type: 'Accepted', status: accepted, reason: 'R', message },
            { type: 'ResolvedRefs', status: 'True', reason: 'ResolvedRefs', message: 'ok' },
          ],
        },
      ],
    },
  };
}

function times(s: ObjectStatus): string[] {
  const parents = s.status['parents'] as { conditions: { lastTransitionTime: string }[] }[];
  return parents[0]!.conditions.map((c) => c.lastTransitionTime);
}

test('transition times move only when a condition status changes', () => {
  let clock = 0;
  const t = new TransitionTimes(() => new Date(Date.UTC(2026, 0, 1, 0, 0, clock)));
  const a = route('a', 'True');
  const b = route('b', 'True');
  const first = t.fill([a, b]);
  assert.deepEqual(times(first[0]!), ['2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z']);

  clock = 1;
  // The same objects: the same filled copies come back.
  const same = t.fill([a, b]);
  assert.equal(same[0], first[0]);
  assert.equal(same[1], first[1]);

  clock = 2;
  // Equal copies: times kept; a changed message alone does not move the time either.
  const again = t.fill([route('a', 'True', 'other words'), route('b', 'True')]);
  assert.deepEqual(times(again[0]!), ['2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z']);
  assert.equal(again[1], first[1], 'an equal copy gets the copy filled before');

  clock = 3;
  // A status change moves that condition's time only.
  const changed = t.fill([route('a', 'False'), route('b', 'True')]);
  assert.deepEqual(times(changed[0]!), ['2026-01-01T00:00:03.000Z', '2026-01-01T00:00:00.000Z']);

  clock = 4;
  // b goes away, then comes back: its times start over.
  t.fill([route('a', 'False')]);
  clock = 5;
  const back = t.fill([route('a', 'False'), b]);
  assert.deepEqual(times(back[0]!), ['2026-01-01T00:00:03.000Z', '2026-01-01T00:00:00.000Z']);
  assert.deepEqual(times(back[1]!), ['2026-01-01T00:00:05.000Z', '2026-01-01T00:00:05.000Z']);
});

test('conditions are told apart by parent, the copy shares what holds no condition, and the input is left as it was', () => {
  let clock = 0;
  const t = new TransitionTimes(() => new Date(Date.UTC(2026, 0, 1, 0, 0, clock)));
  const twoParents = (first: string, second: string): ObjectStatus => {
    const s = route('r', first);
    const parents = s.status['parents'] as { parentRef: { name: string }; conditions: { status: string }[] }[];
    const other = structuredClone(parents[0]!);
    other.parentRef = { name: 'gw2' };
    other.conditions[0]!.status = second;
    return { ...s, status: { parents: [parents[0], other] } };
  };
  const input = twoParents('True', 'True');
  const before = JSON.stringify(input);
  const [first] = t.fill([input]);
  assert.equal(JSON.stringify(input), before, 'the input is not changed');
  const parentsIn = input.status['parents'] as { parentRef: object }[];
  const parentsOut = first!.status['parents'] as { parentRef: object; conditions: { lastTransitionTime: string }[] }[];
  assert.equal(parentsOut[0]!.parentRef, parentsIn[0]!.parentRef, 'parentRef shared, not copied');

  clock = 7;
  // Swap the order of the parents and flip the second one's Accepted: only that condition moves.
  const swapped = twoParents('True', 'False');
  const parents = swapped.status['parents'] as unknown[];
  swapped.status['parents'] = [parents[1], parents[0]];
  const [second] = t.fill([swapped]);
  const out = second!.status['parents'] as { parentRef: { name: string }; conditions: { lastTransitionTime: string }[] }[];
  assert.equal(out[0]!.parentRef.name, 'gw2');
  assert.deepEqual(out[0]!.conditions.map((c) => c.lastTransitionTime), ['2026-01-01T00:00:07.000Z', '2026-01-01T00:00:00.000Z']);
  assert.deepEqual(out[1]!.conditions.map((c) => c.lastTransitionTime), ['2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z']);
});

test('an object reported twice in one call: the first report is remembered', () => {
  let clock = 0;
  const t = new TransitionTimes(() => new Date(Date.UTC(2026, 0, 1, 0, 0, clock)));
  t.fill([route('a', 'True')]);
  clock = 1;
  const [x, y] = t.fill([route('a', 'True'), route('a', 'False')]);
  assert.deepEqual(times(x!), ['2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z']);
  assert.deepEqual(times(y!), ['2026-01-01T00:00:01.000Z', '2026-01-01T00:00:00.000Z']);
  clock = 2;
  const [z] = t.fill([route('a', 'True')]);
  assert.deepEqual(times(z!), ['2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z']);
});

test('equal conditions filled in one call are one object (memory at thousands of routes), and stay correct when one object changes', () => {
  let clock = 0;
  const t = new TransitionTimes(() => new Date(Date.UTC(2026, 0, 1, 0, 0, clock)));
  const [a, b] = t.fill([route('a', 'True'), route('b', 'True')]);
  const conds = (s: ObjectStatus) => (s.status['parents'] as { conditions: unknown[] }[])[0]!.conditions;
  assert.equal(conds(a!), conds(b!), 'one list of conditions for both');
  clock = 1;
  const [a2, b2] = t.fill([route('a', 'False'), route('b', 'True')]);
  assert.deepEqual(times(a2!), ['2026-01-01T00:00:01.000Z', '2026-01-01T00:00:00.000Z']);
  assert.deepEqual(times(b2!), ['2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z']);
  assert.equal((conds(b2!)[0] as { status: string }).status, 'True', "b's shared conditions were not changed by a's update");
});
