// The status writer skips an object without merging or comparing while what it last found in sync
// (or wrote) still holds. After a write, the cache takes our own write back in place (the watch
// event: same object, status and resourceVersion updated): that version is the one our write made,
// so the object is still in sync — the next publish must not compare it again. A version someone
// else made must be compared. A fake client and cache stand in for the API server here: what is
// checked is the writer's bookkeeping (how many objects it looks up to compare), which the real
// API server tests (provider.test.ts) cannot observe.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StatusWriter, type ObjectSource, type StatusWriterOptions } from '../../src/providers/kubernetes/status-writer.ts';
import type { KubeClient } from '../../src/providers/kubernetes/kube-client.ts';
import type { ObjectStatus } from '../../src/translate/api.ts';

const CONTROLLER = 'wicket.dev/gateway-controller';

/** A writer as the provider makes one (its cache reports replacements), always allowed to write, on a fixed clock. */
function writerOver(client: KubeClient, source: ObjectSource, more: Partial<StatusWriterOptions> = {}): StatusWriter {
  return new StatusWriter(client, {
    controllerName: CONTROLLER,
    replacementsReported: true,
    canWrite: () => true,
    now: () => new Date('2026-01-01T00:00:00Z'),
    source,
    ...more,
  });
}

function setup() {
  let rv = 100;
  const cache = new Map<string, any>();
  for (const name of ['a', 'b', 'c']) {
    cache.set(name, { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name, namespace: 'ns', generation: 1, resourceVersion: String(rv++) }, spec: {} });
  }
  const looked: string[] = [];
  const puts: string[] = [];
  const client = {
    async request(method: string, path: string, opts: { body: any }) {
      assert.equal(method, 'PUT');
      const name = opts.body.metadata.name as string;
      puts.push(name);
      return { status: 200, body: structuredClone({ ...opts.body, metadata: { ...opts.body.metadata, resourceVersion: String(rv++) } }) };
    },
  } as unknown as KubeClient;
  const writer = writerOver(client, {
    lookup(_kind, name) {
      looked.push(name);
      const obj = cache.get(name);
      return obj ? { obj, version: 'v1' } : undefined;
    },
    all: () => [...cache.values()].map((obj) => ({ obj, version: 'v1' })),
  });
  /** The watch event of a status-only write: the cached object takes status and version in place. */
  const echo = (name: string, status: unknown, version: string) => {
    const obj = cache.get(name)!;
    obj.status = structuredClone(status);
    obj.metadata.resourceVersion = version;
  };
  return { cache, writer, echo, puts, looked, nextRv: () => String(rv++) };
}

const statusOf = (name: string): ObjectStatus => ({
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'HTTPRoute',
  metadata: { name, namespace: 'ns', generation: 1 },
  status: {
    parents: [{ parentRef: { name: 'gw', namespace: 'ns' }, controllerName: CONTROLLER, conditions: [{ type: 'Accepted', status: 'True', reason: 'Accepted', message: '', observedGeneration: 1 }] }],
  },
});

test('status writer: an object whose cached copy shows our own write is not compared again; one someone else wrote is', async () => {
  const { writer, echo, puts, looked, nextRv } = setup();
  const statuses = ['a', 'b', 'c'].map(statusOf);
  await writer.publish(statuses);
  assert.deepEqual(puts.sort(), ['a', 'b', 'c']);
  // Each PUT's answer carried the version our write made (the fake server's 103, 104, 105 in PUT
  // order); the watch brings it back in place.
  const order = [...puts];
  order.forEach((name, i) => echo(name, { parents: statuses.find((s) => s.metadata.name === name)!.status['parents'] }, String(103 + i)));

  const before = looked.length;
  await writer.publish(statuses);
  assert.deepEqual(looked.slice(before), [], 'no object compared: each cached copy is the version our write made');
  assert.equal(puts.length, 3);

  // Someone else writes b's status (a version we did not make): b alone is compared, and put back.
  echo('b', { parents: [] }, nextRv());
  const before2 = looked.length;
  await writer.publish(statuses);
  assert.deepEqual([...new Set(looked.slice(before2))], ['b'], 'b alone compared');
  assert.deepEqual(puts.slice(3), ['b']);
});

test('status writer: a status the server stores normalised is not written again and again; one someone else changes is', async () => {
  // The server drops empty condition messages: what it stores never equals what we write, so the
  // writer must remember the pair (what it wrote, what was stored) to know the object is in sync.
  let rv = 200;
  const cache = new Map<string, any>([['a', { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name: 'a', namespace: 'ns', generation: 1, resourceVersion: String(rv++) }, spec: {} }]]);
  const puts: string[] = [];
  let stored: unknown;
  const normalise = (status: any) => structuredClone({ ...status, parents: status.parents.map((p: any) => ({ ...p, conditions: p.conditions.map(({ message, ...c }: any) => (message === '' ? c : { ...c, message })) })) });
  const client = {
    async request(method: string, _path: string, opts: { body: any }) {
      assert.equal(method, 'PUT');
      puts.push(opts.body.metadata.name);
      stored = normalise(opts.body.status);
      return { status: 200, body: { ...structuredClone(opts.body), status: structuredClone(stored), metadata: { ...opts.body.metadata, resourceVersion: String(rv++) } } };
    },
  } as unknown as KubeClient;
  const writer = writerOver(client, {
    lookup: (_kind, name) => (cache.has(name) ? { obj: cache.get(name), version: 'v1' } : undefined),
    all: () => [...cache.values()].map((obj) => ({ obj, version: 'v1' })),
  });
  const echo = (status: unknown, version: string) => {
    const obj = cache.get('a')!;
    obj.status = structuredClone(status);
    obj.metadata.resourceVersion = version;
  };
  await writer.publish([statusOf('a')]);
  assert.deepEqual(puts, ['a']);
  // The watch brings the stored status back (in place, the version our write made).
  echo(stored, String(rv - 1));
  // An equal status in a new object is compared (not the one found in sync), and found in sync.
  await writer.publish([statusOf('a')]);
  assert.deepEqual(puts, ['a'], 'the normalised copy the server stored counts as what we wrote');
  // Someone else changes it: written again.
  echo({ parents: [] }, String(rv++));
  await writer.publish([statusOf('a')]);
  assert.deepEqual(puts, ['a', 'a']);
});

test('status writer: a Gateway whose listeners only gain attached routes is written once per window, with the last count; another change at once', async () => {
  let rv = 300;
  const gw = { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name: 'gw', namespace: 'ns', generation: 1, resourceVersion: String(rv++) }, spec: {} } as any;
  const puts: any[] = [];
  const client = {
    async request(method: string, _path: string, opts: { body: any }) {
      assert.equal(method, 'PUT');
      puts.push(structuredClone(opts.body.status));
      const version = String(rv++);
      // The watch echo, in place, as the reflector does.
      gw.status = structuredClone(opts.body.status);
      gw.metadata.resourceVersion = version;
      return { status: 200, body: { ...structuredClone(opts.body), metadata: { ...opts.body.metadata, resourceVersion: version } } };
    },
  } as unknown as KubeClient;
  const writer = writerOver(client, { lookup: (kind, name) => (kind === 'Gateway' && name === 'gw' ? { obj: gw, version: 'v1' } : undefined), all: () => [] }, { holdCountsMs: 150 });
  const gwStatus = (attached: number, programmed = 'True'): ObjectStatus => ({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name: 'gw', namespace: 'ns', generation: 1 },
    status: {
      conditions: [{ type: 'Programmed', status: programmed, reason: programmed === 'True' ? 'Programmed' : 'Invalid', message: '', observedGeneration: 1 }],
      listeners: [{ name: 'http', supportedKinds: [{ kind: 'HTTPRoute' }], attachedRoutes: attached, conditions: [] }],
    },
  });
  const attachedOf = (s: any) => s.listeners[0].attachedRoutes;
  await writer.publish([gwStatus(1)]);
  assert.deepEqual(puts.map(attachedOf), [1], 'the first change after a quiet spell: at once');
  await writer.publish([gwStatus(2)]);
  await writer.publish([gwStatus(3)]);
  assert.deepEqual(puts.map(attachedOf), [1], 'counts within the window wait');
  await writer.idle();
  assert.deepEqual(puts.map(attachedOf), [1, 3], 'at the window end, one write with the last count');
  // A condition change is written at once, within the window too.
  await writer.publish([gwStatus(4, 'False')]);
  assert.deepEqual(puts.map(attachedOf), [1, 3, 4]);
  assert.equal(puts[2].conditions[0].status, 'False');
  await writer.idle();
  assert.equal(puts.length, 3, 'nothing held: nothing more written');
});
