// The kubernetes provider against a real etcd + kube-apiserver (binaries from the conformance
// harness, see control-plane.ts): initial sync, changes, missing CRDs, status writes, conflicts,
// foreign controllers' entries, leader election, watch restarts with 410 Gone, and the RBAC in
// deploy/ being enough.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { createKubernetesProvider } from '../../src/providers/kubernetes/index.ts';
import type { KubernetesProvider, KubernetesProviderOptions } from '../../src/providers/kubernetes/index.ts';
import { KubeClient } from '../../src/providers/kubernetes/kube-client.ts';
import { kindInfo } from '../../src/providers/kubernetes/kinds.ts';
import { StatusWriter } from '../../src/providers/kubernetes/status-writer.ts';
import { EventRecorder } from '../../src/providers/kubernetes/event-recorder.ts';
import type { SnapshotUpdate } from '../../src/providers/api.ts';
import type { Snapshot } from '../../src/resources/snapshot.ts';
import type { ObjectStatus } from '../../src/translate/api.ts';
import { setLogLevel } from '../../src/log.ts';
import { spawn } from 'node:child_process';
import { CuttableProxy, freePort, maybeBuild, missingPrerequisite, startControlPlane, until } from './control-plane.ts';
import type { ControlPlane } from './control-plane.ts';

const OURS = 'wicket.dev/gateway-controller';
const GW = 'gateway.networking.k8s.io/v1';

maybeBuild();
const missing = missingPrerequisite();
if (missing) console.log(`# kubernetes provider integration tests skipped: ${missing}`);
setLogLevel('error');

let cp: ControlPlane;

async function api(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown, contentType?: string): Promise<any> {
  const res = await cp.client.request(method, path, { body, contentType });
  if (res.status >= 300) throw new Error(`${method} ${path}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

function pathOf(kind: string, namespace?: string, name?: string): string {
  const info = kindInfo(kind)!;
  const gv = info.group ? `/apis/${info.group}/${info.versions[0]}` : `/api/${info.versions[0]}`;
  return `${gv}${info.namespaced && namespace ? `/namespaces/${namespace}` : ''}/${info.plural}${name ? `/${name}` : ''}`;
}

const create = (obj: any) => api('POST', pathOf(obj.kind, obj.metadata.namespace), obj);
const get = (kind: string, ns: string | undefined, name: string) => api('GET', pathOf(kind, ns, name));
const del = (kind: string, ns: string | undefined, name: string) => api('DELETE', pathOf(kind, ns, name));
const patch = (kind: string, ns: string | undefined, name: string, body: unknown) => api('PATCH', pathOf(kind, ns, name), body, 'application/merge-patch+json');

const ns = (name: string) => create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
const gatewayClass = (name: string, controllerName = OURS) => create({ apiVersion: GW, kind: 'GatewayClass', metadata: { name }, spec: { controllerName } });
const gateway = (namespace: string, name: string, className: string, listeners: any[] = [{ name: 'http', port: 80, protocol: 'HTTP' }]) =>
  create({ apiVersion: GW, kind: 'Gateway', metadata: { name, namespace }, spec: { gatewayClassName: className, listeners } });
const route = (namespace: string, name: string, parents: any[], backend = 'web') =>
  create({ apiVersion: GW, kind: 'HTTPRoute', metadata: { name, namespace }, spec: { parentRefs: parents, rules: [{ backendRefs: [{ name: backend, port: 80 }] }] } });
const cond = (type: string, status: 'True' | 'False', reason: string, message = '') => ({ type, status, reason, message });

/** publishStatus returns at once (writes never hold up the runtime); tests wait for the writes. */
async function publish(p: KubernetesProvider, statuses: ObjectStatus[]): Promise<void> {
  await p.publishStatus(statuses);
  await p.statusWritten();
}

/** A started provider and every snapshot it emitted. */
class Harness {
  readonly updates: SnapshotUpdate[] = [];
  provider!: KubernetesProvider;
  #client: KubeClient | undefined;
  readonly opts: Partial<KubernetesProviderOptions>;
  constructor(opts: Partial<KubernetesProviderOptions> = {}) {
    this.opts = opts;
  }
  async start(): Promise<this> {
    this.#client = clientFor(cp.kubeconfig);
    this.provider = createKubernetesProvider({ controllerName: OURS, client: this.#client, absentRetryMs: 300, ...this.opts });
    await this.provider.start((u) => this.updates.push(u));
    return this;
  }
  get last(): Snapshot | undefined {
    return this.updates.at(-1)?.snapshot;
  }
  waitFor(what: string, pred: (s: Snapshot) => boolean, timeoutMs = 30_000): Promise<Snapshot> {
    return until(what, timeoutMs, async () => (this.last && pred(this.last) ? this.last : undefined));
  }
  async stop(): Promise<void> {
    await this.provider?.stop();
    await (this.opts.client ?? this.#client)?.close();
  }
}

function clientFor(kubeconfig: string): KubeClient {
  return KubeClient.load(kubeconfig);
}

const has = (list: { metadata: { name: string; namespace?: string } }[], namespace: string, name: string) =>
  list.some((o) => o.metadata.name === name && o.metadata.namespace === namespace);

function gatewayStatus(namespace: string, name: string, generation: number, message = ''): ObjectStatus {
  return {
    apiVersion: GW,
    kind: 'Gateway',
    metadata: { name, namespace, generation },
    status: {
      addresses: [{ type: 'IPAddress', value: '127.1.0.1' }],
      conditions: [cond('Accepted', 'True', 'Accepted', message), cond('Programmed', 'True', 'Programmed', message)].map((c) => ({ ...c, observedGeneration: generation })),
      listeners: [{ name: 'http', attachedRoutes: 0, supportedKinds: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute' }], conditions: [{ ...cond('Accepted', 'True', 'Accepted'), observedGeneration: generation }] }],
    },
  };
}

describe('kubernetes provider against a real kube-apiserver', { skip: missing ? `needs the test control plane: ${missing}` : false, timeout: 600_000 }, () => {
  before(async () => {
    // ListenerSet's CRD is left out at first: the provider must cope with a kind that is not served.
    cp = await startControlPlane({ crds: (f) => !f.includes('listenersets') });
  });
  after(async () => {
    await cp?.stop();
  });

  test('initial sync gives one complete snapshot; changes give new ones; unrelated churn none; a late CRD is picked up', async () => {
    await ns('sync');
    await gatewayClass('sync-class');
    await gateway('sync', 'gw', 'sync-class', [{ name: 'https', port: 443, protocol: 'HTTPS', tls: { certificateRefs: [{ name: 'cert' }] } }]);
    await route('sync', 'r1', [{ name: 'gw' }]);
    await create({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'sync' }, spec: { ports: [{ port: 80 }] } });
    await create({ apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 'web-1', namespace: 'sync', labels: { 'kubernetes.io/service-name': 'web' } }, addressType: 'IPv4', endpoints: [{ addresses: ['198.18.0.10'], conditions: { ready: true } }], ports: [{ port: 8080 }] });
    await create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'cert', namespace: 'sync' }, type: 'Opaque', data: { a: 'Yg==' } });
    await create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'unrelated', namespace: 'sync' }, type: 'Opaque' });
    await create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'sh.helm.release.v1.app.v1', namespace: 'sync' }, type: 'helm.sh/release.v1', data: { release: 'eA==' } });
    const h = await new Harness().start();
    try {
      const first = await h.waitFor('first snapshot', () => true);
      // The very first snapshot is complete: everything created before start is in it.
      assert.ok(has(first.gateways, 'sync', 'gw') && has(first.httpRoutes, 'sync', 'r1'));
      assert.ok(has(first.services, 'sync', 'web') && has(first.endpointSlices, 'sync', 'web-1'));
      assert.ok(has(first.secrets, 'sync', 'cert') && !has(first.secrets, 'sync', 'unrelated'));
      assert.deepEqual(first.listenerSets, []);
      // Helm release Secrets are filtered out by the server; other Secrets are cached (not emitted).
      assert.ok(h.provider.reflectors.get('Secret')!.get('unrelated', 'sync'));
      assert.equal(h.provider.reflectors.get('Secret')!.get('sh.helm.release.v1.app.v1', 'sync'), undefined);
      assert.equal(h.provider.reflectors.get('ListenerSet')!.state, 'absent');
      assert.equal(first.gateways.find((g) => g.metadata.name === 'gw')!.apiVersion, GW);
      assert.equal(h.updates.length, 1);

      await patch('HTTPRoute', 'sync', 'r1', { spec: { hostnames: ['a.example'] } });
      await h.waitFor('route update', (s) => s.httpRoutes.some((r) => r.metadata.name === 'r1' && r.spec.hostnames?.[0] === 'a.example'));

      // Churn in a Secret nothing references: cached, but no snapshot.
      const before = h.updates.length;
      await create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'noise', namespace: 'sync' }, type: 'Opaque' });
      await until('noise secret cached', 10_000, async () => h.provider.reflectors.get('Secret')!.get('noise', 'sync') ?? undefined);
      await new Promise((r) => setTimeout(r, 100)); // several debounce periods
      assert.equal(h.updates.length, before, 'no snapshot for an unreferenced Secret');

      await del('HTTPRoute', 'sync', 'r1');
      await h.waitFor('route deleted', (s) => !has(s.httpRoutes, 'sync', 'r1'));

      // The ListenerSet CRD appears later: found on the next retry, and its objects arrive.
      await cp.installCRDs((f) => f.includes('listenersets'));
      await create({ apiVersion: GW, kind: 'ListenerSet', metadata: { name: 'ls', namespace: 'sync' }, spec: { parentRef: { name: 'gw' }, listeners: [{ name: 'extra', port: 8080, protocol: 'HTTP' }] } });
      await h.waitFor('ListenerSet in snapshot', (s) => has(s.listenerSets, 'sync', 'ls'));
      for (const u of h.updates) assert.ok(has(u.snapshot.gateways, 'sync', 'gw'), 'no snapshot ever lacks the Gateway');
    } finally {
      await h.stop();
    }
  });

  test('status: written with observedGeneration and lastTransitionTime, only when changed; events recorded', async () => {
    await ns('status');
    await gatewayClass('status-class');
    await gateway('status', 'gw', 'status-class');
    const h = await new Harness().start();
    try {
      await h.waitFor('gateway cached', (s) => has(s.gateways, 'status', 'gw'));
      await publish(h.provider, [gatewayStatus('status', 'gw', 1)]);
      const g1 = await get('Gateway', 'status', 'gw');
      const accepted1 = g1.status.conditions.find((c: any) => c.type === 'Accepted');
      assert.equal(accepted1.observedGeneration, 1);
      assert.match(accepted1.lastTransitionTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      assert.deepEqual(g1.status.addresses, [{ type: 'IPAddress', value: '127.1.0.1' }]);
      assert.equal(h.provider.statusWriter.counters.written, 1);

      // The same status again: nothing written (resourceVersion unchanged).
      await until('status seen by the cache', 10_000, async () => (h.provider.reflectors.get('Gateway')!.get('gw', 'status')?.status ? true : undefined));
      await publish(h.provider, [gatewayStatus('status', 'gw', 1)]);
      assert.equal((await get('Gateway', 'status', 'gw')).metadata.resourceVersion, g1.metadata.resourceVersion);
      assert.equal(h.provider.statusWriter.counters.written, 1);

      // A spec change (generation 2): the new observedGeneration is written, the unchanged
      // condition keeps its lastTransitionTime.
      await patch('Gateway', 'status', 'gw', { spec: { listeners: [{ name: 'http', port: 8080, protocol: 'HTTP' }] } });
      await h.waitFor('generation 2 cached', (s) => s.gateways.some((g) => g.metadata.name === 'gw' && g.metadata.generation === 2));
      await publish(h.provider, [gatewayStatus('status', 'gw', 2)]);
      const g2 = await get('Gateway', 'status', 'gw');
      const accepted2 = g2.status.conditions.find((c: any) => c.type === 'Accepted');
      assert.equal(accepted2.observedGeneration, 2);
      assert.equal(accepted2.lastTransitionTime, accepted1.lastTransitionTime);

      // A stale status (computed for generation 1) is not written over a newer object.
      const written = h.provider.statusWriter.counters.written;
      await publish(h.provider, [gatewayStatus('status', 'gw', 1, 'stale')]);
      assert.equal(h.provider.statusWriter.counters.written, written);

      // The Programmed transition produced an Event about the Gateway.
      const ev = await until('Programmed event', 10_000, async () => {
        const list = await api('GET', '/apis/events.k8s.io/v1/namespaces/status/events');
        return list.items.find((e: any) => e.regarding?.name === 'gw' && e.reason === 'Programmed');
      });
      assert.equal(ev.type, 'Normal');
      assert.equal(ev.reportingController, OURS);

      // Deleted while being written: ignored.
      await del('Gateway', 'status', 'gw');
      await publish(h.provider, [gatewayStatus('status', 'gw', 2, 'after delete')]);
    } finally {
      await h.stop();
    }
  });

  test('status: the same computed status is written again when someone else changed it on the server', async () => {
    await ns('overwrite');
    await gatewayClass('overwrite-class');
    await gateway('overwrite', 'gw', 'overwrite-class');
    const h = await new Harness().start();
    try {
      await h.waitFor('gateway cached', (s) => has(s.gateways, 'overwrite', 'gw'));
      // The runtime hands back the very same ObjectStatus while an object's status is unchanged.
      const st = gatewayStatus('overwrite', 'gw', 1, 'ours');
      await publish(h.provider, [st]);
      const cached = () => h.provider.reflectors.get('Gateway')!.get('gw', 'overwrite');
      await until('our status cached', 10_000, async () => (cached()?.status?.conditions?.[0]?.message === 'ours' ? true : undefined));
      await publish(h.provider, [st]);
      assert.equal(h.provider.statusWriter.counters.written, 1, 'unchanged: not written again');

      // Someone else overwrites the status; the same computed status must be put back.
      const objBefore = cached();
      const snapshotsBefore = h.updates.length;
      const g = await get('Gateway', 'overwrite', 'gw');
      await api('PUT', pathOf('Gateway', 'overwrite', 'gw') + '/status', { ...g, status: { conditions: [{ ...cond('Accepted', 'False', 'Pending', 'theirs'), lastTransitionTime: '2026-01-01T00:00:00Z' }] } });
      await until('their status cached', 10_000, async () => (cached()?.status?.conditions?.[0]?.message === 'theirs' ? true : undefined));
      // A status-only change: taken in place (the translator's caches key on identity), no snapshot.
      assert.equal(cached(), objBefore);
      assert.equal(cached().metadata.resourceVersion, (await get('Gateway', 'overwrite', 'gw')).metadata.resourceVersion);
      await new Promise((r) => setTimeout(r, 100)); // several debounce windows
      assert.equal(h.updates.length, snapshotsBefore);
      await publish(h.provider, [st]);
      assert.equal((await get('Gateway', 'overwrite', 'gw')).status.conditions[0].message, 'ours');
      assert.equal(h.provider.statusWriter.counters.written, 2);
    } finally {
      await h.stop();
    }
  });

  test('status: the periodic resync puts back a status someone else overwrote, with no input changed', async () => {
    await ns('resync');
    await gatewayClass('resync-class');
    await gateway('resync', 'gw', 'resync-class');
    await gateway('resync', 'gw2', 'resync-class');
    const h = await new Harness({ resyncMs: 200 }).start();
    try {
      await h.waitFor('gateways cached', (s) => has(s.gateways, 'resync', 'gw') && has(s.gateways, 'resync', 'gw2'));
      await publish(h.provider, [gatewayStatus('resync', 'gw', 1, 'ours'), gatewayStatus('resync', 'gw2', 1, 'ours')]);
      const cached = (name: string) => h.provider.reflectors.get('Gateway')!.get(name, 'resync');
      await until('our statuses cached', 10_000, async () => (['gw', 'gw2'].every((n) => cached(n)?.status?.conditions?.[0]?.message === 'ours') ? true : undefined));
      assert.equal(h.provider.statusWriter.counters.written, 2);
      const g = await get('Gateway', 'resync', 'gw');
      await api('PUT', pathOf('Gateway', 'resync', 'gw') + '/status', { ...g, status: { conditions: [{ ...cond('Accepted', 'False', 'Pending', 'theirs'), lastTransitionTime: '2026-01-01T00:00:00Z' }] } });
      // No publish from us: the resync alone puts ours back, and only on the object that moved.
      await until('ours put back', 10_000, async () => ((await get('Gateway', 'resync', 'gw')).status.conditions[0].message === 'ours' ? true : undefined));
      await h.provider.statusWritten();
      assert.equal(h.provider.statusWriter.counters.written, 3);
      assert.equal((await get('Gateway', 'resync', 'gw2')).metadata.resourceVersion, cached('gw2').metadata.resourceVersion);
    } finally {
      await h.stop();
    }
  });

  test('status: an object deleted and created again under its name gets the same computed status written', async () => {
    await ns('recreate');
    await gatewayClass('recreate-class');
    await gateway('recreate', 'gw', 'recreate-class');
    const h = await new Harness().start();
    try {
      await h.waitFor('gateway cached', (s) => has(s.gateways, 'recreate', 'gw'));
      const st = gatewayStatus('recreate', 'gw', 1, 'ours');
      await publish(h.provider, [st]);
      const cached = () => h.provider.reflectors.get('Gateway')!.get('gw', 'recreate');
      await until('our status cached', 10_000, async () => (cached()?.status?.conditions?.[0]?.message === 'ours' ? true : undefined));
      await publish(h.provider, [st]);
      assert.equal(h.provider.statusWriter.counters.written, 1, 'in sync: not written again');

      // The same spec again under the same name: generation 1, no status, a new uid. The writer
      // skips objects it found in sync without looking them up; the replacement must void that.
      const uid = cached().metadata.uid;
      await del('Gateway', 'recreate', 'gw');
      await gateway('recreate', 'gw', 'recreate-class');
      await until('new object cached', 10_000, async () => (cached() && cached().metadata.uid !== uid ? true : undefined));
      await publish(h.provider, [st]);
      assert.equal(h.provider.statusWriter.counters.written, 2);
      assert.equal((await get('Gateway', 'recreate', 'gw')).status.conditions[0].message, 'ours');
    } finally {
      await h.stop();
    }
  });

  test('status: a route added while a large set is being written is written next, not after the rest', async () => {
    await ns('backlog');
    await gatewayClass('backlog-class');
    await gateway('backlog', 'gw', 'backlog-class');
    const names = Array.from({ length: 40 }, (_, i) => `r${i}`);
    for (const n of [...names, 'late']) await route('backlog', n, [{ name: 'gw' }]);
    const client = clientFor(cp.kubeconfig);
    const puts: string[] = [];
    const request = client.request.bind(client);
    client.request = (method, path, opts) => {
      if (method === 'PUT' && path.endsWith('/status')) puts.push(path.split('/').at(-2)!);
      return request(method, path, opts);
    };
    const h = new Harness({ statusConcurrency: 1, client });
    await h.start();
    try {
      await h.waitFor('routes cached', (s) => has(s.httpRoutes, 'backlog', 'late'));
      const routeStatus = (name: string): ObjectStatus => ({
        apiVersion: GW, kind: 'HTTPRoute', metadata: { name, namespace: 'backlog', generation: 1 },
        status: { parents: [{ parentRef: { name: 'gw' }, controllerName: OURS, conditions: [cond('Accepted', 'True', 'Accepted')] }] },
      });
      const first = names.map(routeStatus);
      await h.provider.publishStatus(first);
      await until('a few written', 10_000, async () => (puts.length >= 3 ? true : undefined));
      // The runtime's next set: the same (identical) statuses plus the new route's.
      const before = puts.length;
      assert.ok(before < 39, 'the first set is still being written');
      await publish(h.provider, [...first, routeStatus('late')]);
      assert.equal(puts.length, 41, 'every status written once');
      // The write in flight finishes, then the new route's.
      assert.ok(puts.indexOf('late') <= before + 1, `the new route was written ${puts.indexOf('late') + 1}th of 41, after ${before} before it was given`);
    } finally {
      await h.stop();
      await client.close();
    }
  });

  test('status write conflict (409) is retried with a fresh read', async () => {
    await ns('conflict');
    await gatewayClass('conflict-class');
    await gateway('conflict', 'gw', 'conflict-class');
    const stale = await get('Gateway', 'conflict', 'gw');
    stale.apiVersion = GW;
    stale.kind = 'Gateway';
    await patch('Gateway', 'conflict', 'gw', { metadata: { labels: { touched: 'yes' } } });
    const writer = new StatusWriter(cp.client, {
      controllerName: OURS,
      source: { lookup: () => ({ obj: stale, version: 'v1' }), all: () => [] },
      canWrite: () => true,
    });
    await writer.publish([gatewayStatus('conflict', 'gw', 1)]);
    assert.ok(writer.counters.conflicts >= 1, 'a conflict happened');
    assert.equal(writer.counters.written, 1);
    const g = await get('Gateway', 'conflict', 'gw');
    assert.equal(g.metadata.labels.touched, 'yes');
    assert.equal(g.status.conditions.find((c: any) => c.type === 'Programmed').status, 'True');
  });

  test('events: repeats become one Event with a series count; the rate limit drops the excess', async () => {
    await ns('events');
    await gatewayClass('events-class');
    const g = await gateway('events', 'gw', 'events-class');
    let clock = Date.now();
    const rec = new EventRecorder(cp.client, { controllerName: OURS, instance: 'test', burst: 3, refillPerSecond: 1, now: () => clock });
    const regarding = { apiVersion: GW, kind: 'Gateway', name: 'gw', namespace: 'events', uid: g.metadata.uid };
    const ev = { type: 'Warning' as const, reason: 'ListenerInvalid', note: 'listener http: Accepted=False PortUnavailable: in use' };
    await rec.record(regarding, ev);
    await rec.record(regarding, ev);
    await rec.record(regarding, { ...ev, note: 'something else' });
    await rec.record(regarding, { ...ev, note: 'over the limit' }); // bucket empty: dropped
    assert.equal(rec.dropped, 1);
    clock += 1_000; // one token back
    await rec.record(regarding, { ...ev, note: 'after refill' });
    const list = (await api('GET', '/apis/events.k8s.io/v1/namespaces/events/events')).items.filter((e: any) => e.regarding?.uid === g.metadata.uid);
    const byNote = Object.fromEntries(list.map((e: any) => [e.note, e]));
    assert.deepEqual(Object.keys(byNote).sort(), ['after refill', ev.note, 'something else'].sort());
    assert.equal(byNote[ev.note].series?.count, 2);
    assert.equal(byNote[ev.note].type, 'Warning');
    assert.equal(byNote[ev.note].reportingInstance, 'test');
  });

  test("route status: other controllers' parent entries are kept; ours removed when the route leaves us", async () => {
    await ns('foreign');
    await gatewayClass('foreign-class');
    await gateway('foreign', 'gw', 'foreign-class');
    await route('foreign', 'r', [{ name: 'gw' }, { name: 'theirs' }]);
    const theirs = { parentRef: { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'theirs' }, controllerName: 'other.example/controller', conditions: [{ ...cond('Accepted', 'True', 'Accepted', 'theirs'), lastTransitionTime: '2026-01-01T00:00:00Z' }] };
    const r0 = await get('HTTPRoute', 'foreign', 'r');
    await api('PUT', pathOf('HTTPRoute', 'foreign', 'r') + '/status', { ...r0, status: { parents: [theirs] } });
    const h = await new Harness().start();
    try {
      await h.waitFor('route cached with foreign status', (s) => s.httpRoutes.some((r) => r.metadata.name === 'r' && (r.status?.parents?.length ?? 0) === 1));
      const ours: ObjectStatus = {
        apiVersion: GW, kind: 'HTTPRoute', metadata: { name: 'r', namespace: 'foreign', generation: 1 },
        status: { parents: [{ parentRef: { name: 'gw' }, controllerName: OURS, conditions: [cond('Accepted', 'True', 'Accepted'), cond('ResolvedRefs', 'True', 'ResolvedRefs')] }] },
      };
      await publish(h.provider, [ours]);
      const r1 = await get('HTTPRoute', 'foreign', 'r');
      assert.deepEqual(r1.status.parents.map((p: any) => p.controllerName).sort(), [OURS, 'other.example/controller'].sort());
      assert.deepEqual(r1.status.parents.find((p: any) => p.controllerName !== OURS), theirs);

      // The route no longer names our Gateway: the translator reports nothing for it, and our
      // entry goes while theirs stays.
      await until('our entry cached', 10_000, async () => (h.provider.reflectors.get('HTTPRoute')!.get('r', 'foreign')?.status?.parents?.length === 2 ? true : undefined));
      await publish(h.provider, []);
      const r2 = await get('HTTPRoute', 'foreign', 'r');
      assert.deepEqual(r2.status.parents, [theirs]);
    } finally {
      await h.stop();
    }
  });

  test('leader election: one of two replicas writes; the other takes over when it stops', async () => {
    await ns('leader');
    await gatewayClass('leader-class');
    await gateway('leader', 'gw', 'leader-class');
    const lease = { leaseDurationMs: 3_000, renewDeadlineMs: 2_000, retryPeriodMs: 200 };
    const a = await new Harness({ leaderElection: { namespace: 'leader', name: 'wicket', identity: 'replica-a' }, lease }).start();
    const b = await new Harness({ leaderElection: { namespace: 'leader', name: 'wicket', identity: 'replica-b' }, lease }).start();
    try {
      await a.waitFor('a synced', (s) => has(s.gateways, 'leader', 'gw'));
      await b.waitFor('b synced', (s) => has(s.gateways, 'leader', 'gw'));
      const leader = await until('a leader', 15_000, async () => (a.provider.isLeader ? a : b.provider.isLeader ? b : undefined));
      const follower = leader === a ? b : a;
      assert.equal(follower.provider.isLeader, false);
      const leaseObj = await api('GET', '/apis/coordination.k8s.io/v1/namespaces/leader/leases/wicket');
      assert.equal(leaseObj.spec.holderIdentity, leader === a ? 'replica-a' : 'replica-b');

      await publish(follower.provider, [gatewayStatus('leader', 'gw', 1, 'from follower')]);
      assert.equal(follower.provider.statusWriter.counters.written, 0, 'the follower writes nothing');
      await publish(leader.provider, [gatewayStatus('leader', 'gw', 1, 'from leader')]);
      assert.equal((await get('Gateway', 'leader', 'gw')).status.conditions[0].message, 'from leader');

      // The leader stops and releases the Lease; the follower takes over and writes its full status.
      await leader.stop();
      await until('follower leads', 15_000, async () => (follower.provider.isLeader ? true : undefined));
      await until('new leader wrote its status', 15_000, async () => ((await get('Gateway', 'leader', 'gw')).status.conditions[0].message === 'from follower' ? true : undefined));
    } finally {
      await a.stop();
      await b.stop();
    }
  });

  test('API server restart and 410 Gone: state kept, never an empty snapshot, converges after relist', async () => {
    await ns('restart');
    await gatewayClass('restart-class');
    await gateway('restart', 'gw', 'restart-class');
    await route('restart', 'keep', [{ name: 'gw' }]);
    await route('restart', 'drop', [{ name: 'gw' }]);
    const proxy = new CuttableProxy(cp.apiserverPort);
    await proxy.listen();
    const h = new Harness({});
    h.opts.client = clientFor(cp.writeKubeconfig('via-proxy', { server: `https://127.0.0.1:${proxy.port}` }));
    await h.start();
    try {
      await h.waitFor('synced', (s) => has(s.httpRoutes, 'restart', 'drop'));
      const listsBefore = h.provider.reflectors.get('HTTPRoute')!.lists;
      const keptBefore = h.provider.reflectors.get('HTTPRoute')!.get('keep', 'restart');
      proxy.cut();
      await del('HTTPRoute', 'restart', 'drop');
      await route('restart', 'added', [{ name: 'gw' }]);
      await cp.compactEtcd();
      await cp.restartApiserver();
      proxy.resume();
      const s = await h.waitFor('converged after restart', (s) => has(s.httpRoutes, 'restart', 'added') && !has(s.httpRoutes, 'restart', 'drop'), 60_000);
      assert.ok(has(s.httpRoutes, 'restart', 'keep'));
      assert.ok(h.provider.reflectors.get('HTTPRoute')!.lists > listsBefore, 'the HTTPRoute cache was relisted (410 Gone)');
      // An unchanged object keeps its identity through the relist (the translator caches by it).
      assert.equal(h.provider.reflectors.get('HTTPRoute')!.get('keep', 'restart'), keptBefore);
      for (const u of h.updates) {
        assert.ok(has(u.snapshot.gateways, 'restart', 'gw') && has(u.snapshot.httpRoutes, 'restart', 'keep'), 'every snapshot is complete');
      }
    } finally {
      await h.stop();
      await proxy.close();
    }
  });

  test('wicket run --kubeconfig: the whole loop writes class, Gateway (pool address) and route status', async () => {
    await ns('cli');
    await gatewayClass('cli-class', 'wicket.dev/cli-test');
    const port = await freePort();
    await gateway('cli', 'gw', 'cli-class', [{ name: 'http', port, protocol: 'HTTP' }]);
    await route('cli', 'r', [{ name: 'gw' }]);
    const repo = resolve(import.meta.dirname, '../..');
    const child = spawn(process.execPath, [join(repo, 'src/cli/main.ts'), 'run', '--kubeconfig', cp.kubeconfig, '--controller-name', 'wicket.dev/cli-test',
      '--address-pool', '127.31.0.0/16', '--admin-address', '127.0.0.1:0', '--log-level', 'warn'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    try {
      const ok = (c: any[] | undefined, type: string) => c?.some((x) => x.type === type && x.status === 'True');
      await until('GatewayClass accepted', 30_000, async () => (ok((await get('GatewayClass', undefined, 'cli-class')).status?.conditions, 'Accepted') ? true : undefined));
      const g = await until('Gateway programmed', 30_000, async () => {
        const gw = await get('Gateway', 'cli', 'gw');
        return ok(gw.status?.conditions, 'Programmed') ? gw : undefined;
      });
      // An address of its own from the pool (which one depends on the other Gateways in the cluster).
      assert.equal(g.status.addresses.length, 1);
      assert.match(g.status.addresses[0].value, /^127\.31\.\d+\.\d+$/);
      const r = await until('route accepted', 30_000, async () => {
        const rt = await get('HTTPRoute', 'cli', 'r');
        return rt.status?.parents?.[0] ? rt : undefined;
      });
      assert.equal(r.status.parents[0].controllerName, 'wicket.dev/cli-test');
      assert.ok(ok(r.status.parents[0].conditions, 'Accepted'));
    } catch (err) {
      throw new Error(`${(err as Error).message}\nwicket stderr:\n${stderr.slice(-3000)}`);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r(undefined) : child.once('exit', r)));
    }
  });

  test('the RBAC in deploy/ is enough: sync, lease, status and events as a restricted user', async () => {
    const docs = parseAllDocuments(readFileSync(resolve(import.meta.dirname, '../../deploy/rbac.yaml'), 'utf8')).map((d) => d.toJS());
    await ns('wicket-system');
    const clusterRole = docs.find((d) => d.kind === 'ClusterRole');
    const role = docs.find((d) => d.kind === 'Role');
    await api('POST', '/apis/rbac.authorization.k8s.io/v1/clusterroles', clusterRole);
    await api('POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/wicket-system/roles', role);
    const subjects = [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'wicket-rbac-test' }];
    await api('POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'wicket-test' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterRole.metadata.name }, subjects });
    await api('POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/wicket-system/rolebindings', { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'wicket-test', namespace: 'wicket-system' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.metadata.name }, subjects });
    await ns('rbac');
    await gatewayClass('rbac-class');
    await gateway('rbac', 'gw', 'rbac-class');
    const h = new Harness({ leaderElection: { namespace: 'wicket-system', name: 'wicket-dev-gateway-controller', identity: 'rbac-replica' }, lease: { retryPeriodMs: 200 } });
    h.opts.client = clientFor(cp.writeKubeconfig('rbac-user', { user: { cn: 'wicket-rbac-test' } }));
    await h.start();
    try {
      await h.waitFor('synced as the restricted user', (s) => has(s.gateways, 'rbac', 'gw'));
      await until('leader as the restricted user', 15_000, async () => (h.provider.isLeader ? true : undefined));
      await publish(h.provider, [gatewayStatus('rbac', 'gw', 1)]);
      assert.equal(h.provider.statusWriter.counters.written, 1);
      assert.equal(h.provider.statusWriter.counters.failed, 0);
      await until('event written as the restricted user', 10_000, async () => (h.provider.events!.written > 0 ? true : undefined));
    } finally {
      await h.stop();
    }
  });
});
