// The control loop with stand-ins for its neighbours (a provider we push snapshots into, a
// translator that turns Gateways into ports, a data plane that records applies and can refuse
// sockets): identical IRs are not re-applied, failed sockets are fed back to translate, status is
// published after apply with lastTransitionTime kept, invalid input shows in status, and errors
// keep the last good configuration.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Runtime } from '../../src/runtime/runtime.ts';
import { Registry } from '../../src/metrics/registry.ts';
import { emptySnapshot, type Snapshot } from '../../src/resources/snapshot.ts';
import { emptyIR, type IR } from '../../src/ir/types.ts';
import type { Provider, SnapshotUpdate } from '../../src/providers/api.ts';
import type { ObjectStatus, TranslateOptions } from '../../src/translate/api.ts';
import type { Gateway } from '../../src/resources/types.ts';
import { setLogSink } from '../../src/log.ts';

// The loop logs every apply; keep the test output readable.
setLogSink(() => {});

class PushProvider implements Provider {
  push: (u: SnapshotUpdate) => void = () => {};
  published: ObjectStatus[][] = [];
  async start(on: (u: SnapshotUpdate) => void) {
    this.push = on;
  }
  async publishStatus(s: ObjectStatus[]) {
    this.published.push(s);
  }
  async stop() {}
}

function gateway(name: string, port: number): Gateway {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name, namespace: 'default', generation: 1 },
    spec: { gatewayClassName: 'c', listeners: [{ name: 'http', port, protocol: 'HTTP' }] },
  };
}

function snap(...gws: Gateway[]): Snapshot {
  return { ...emptySnapshot(), gateways: gws };
}

/** Each Gateway listener becomes a port unless its socket is unavailable; status says which. */
function fakeTranslate(s: Snapshot, o: TranslateOptions) {
  const ir: IR = emptyIR();
  const statuses: ObjectStatus[] = [];
  for (const g of s.gateways) {
    const l = g.spec.listeners[0]!;
    const sock = `127.0.0.1:${l.port}/tcp`;
    const down = o.unavailableSockets?.[sock];
    if (!down) ir.ports.push({ name: `127.0.0.1:${l.port}/http`, address: '127.0.0.1', port: l.port, kind: 'http', listeners: [] });
    statuses.push({
      apiVersion: g.apiVersion,
      kind: 'Gateway',
      metadata: { name: g.metadata.name, namespace: 'default', generation: g.metadata.generation ?? 1 },
      status: {
        conditions: [{ type: 'Accepted', status: 'True', reason: 'Accepted', message: '' }],
        listeners: [{ name: l.name, conditions: [down ? { type: 'Accepted', status: 'False', reason: 'PortUnavailable', message: down } : { type: 'Accepted', status: 'True', reason: 'Accepted', message: '' }] }],
      },
    });
  }
  return { ir, statuses };
}

function setup(refuse: Record<string, string> = {}) {
  const provider = new PushProvider();
  const applied: IR[] = [];
  let clock = 0;
  const registry = new Registry();
  const runtime = new Runtime({
    provider,
    registry,
    translate: fakeTranslate,
    translateOptions: { controllerName: 'x', defaultAddress: '127.0.0.1' },
    now: () => new Date(Date.UTC(2026, 0, 1, 0, 0, clock++)),
    dataPlane: {
      async apply(ir) {
        applied.push(ir);
        const failedSockets: Record<string, string> = {};
        for (const p of ir.ports) if (refuse[p.name]) failedSockets[p.name] = refuse[p.name]!;
        return { failedSockets };
      },
      async drain() {},
    },
  });
  return { provider, applied, runtime, registry };
}

test('applies each new IR once, publishes status after, and becomes ready', async () => {
  const { provider, applied, runtime, registry } = setup();
  await runtime.start();
  assert.equal(runtime.ready, false);
  provider.push({ snapshot: snap(gateway('a', 8001)), diagnostics: [] });
  await runtime.idle();
  assert.equal(runtime.ready, true);
  assert.equal(applied.length, 1);
  assert.equal(provider.published.length, 1);
  assert.deepEqual(runtime.config()?.ports.map((p) => p.name), ['127.0.0.1:8001/http']);

  // Same IR (only the generation changed): not applied again, but status still published.
  const g = gateway('a', 8001);
  g.metadata.generation = 2;
  provider.push({ snapshot: snap(g), diagnostics: [] });
  await runtime.idle();
  assert.equal(applied.length, 1);
  assert.equal(provider.published.length, 2);
  assert.equal(provider.published[1]![0]!.metadata.generation, 2);
  assert.match(registry.expose(), /wicket_config_applied_total 1\n/);
});

test('sockets that fail to bind are fed back so listeners report PortUnavailable', async () => {
  const { provider, applied, runtime } = setup({ '127.0.0.1:8002/http': 'EADDRINUSE' });
  await runtime.start();
  provider.push({ snapshot: snap(gateway('a', 8001), gateway('b', 8002)), diagnostics: [] });
  await runtime.idle();
  assert.equal(applied.length, 2, 'one apply with the port, one without');
  assert.deepEqual(runtime.config()?.ports.map((p) => p.name), ['127.0.0.1:8001/http']);
  const b = runtime.statuses().find((s) => s.metadata.name === 'b')!;
  const listener = (b.status['listeners'] as { conditions: { reason: string; message: string }[] }[])[0]!;
  assert.equal(listener.conditions[0]!.reason, 'PortUnavailable');
  assert.equal(listener.conditions[0]!.message, 'EADDRINUSE');
});

test('lastTransitionTime is set and kept while a condition keeps its status', async () => {
  const { provider, runtime } = setup({ '127.0.0.1:8003/http': 'EADDRINUSE' });
  await runtime.start();
  const listenerTime = () =>
    ((runtime.statuses()[0]!.status['listeners'] as { conditions: { lastTransitionTime: string; status: string }[] }[])[0]!.conditions[0]!);
  provider.push({ snapshot: snap(gateway('a', 8001)), diagnostics: [] });
  await runtime.idle();
  const t1 = listenerTime().lastTransitionTime;
  assert.ok(t1);
  const g = gateway('a', 8001);
  g.metadata.generation = 5;
  provider.push({ snapshot: snap(g), diagnostics: [] });
  await runtime.idle();
  assert.equal(listenerTime().lastTransitionTime, t1, 'unchanged status keeps its time');
  provider.push({ snapshot: snap(gateway('a', 8003)), diagnostics: [] });
  await runtime.idle();
  assert.equal(listenerTime().status, 'False');
  assert.notEqual(listenerTime().lastTransitionTime, t1, 'a transition moves the time');
});

test('invalid objects appear in status with Accepted=False reason Invalid', async () => {
  const { provider, runtime } = setup();
  await runtime.start();
  provider.push({
    snapshot: snap(gateway('a', 8001)),
    diagnostics: [
      { code: 'WICKET_ERR_INVALID_OBJECT', file: 'r.yaml', line: 3, kind: 'HTTPRoute', namespace: 'default', name: 'broken', field: 'spec.rules[0]', message: 'bad rule' },
      { code: 'WICKET_ERR_INVALID_OBJECT', file: 'g.yaml', line: 9, kind: 'Gateway', namespace: 'default', name: 'a', field: 'spec.listeners[1].port', message: 'out of range' },
      { code: 'WICKET_ERR_DUPLICATE_OBJECT', file: 'h.yaml', line: 1, kind: 'HTTPRoute', namespace: 'default', name: 'twice', message: 'defined twice' },
      { code: 'WICKET_ERR_INVALID_OBJECT', file: 't.yaml', line: 1, kind: 'TCPRoute', namespace: 'default', name: 'tcp', field: 'spec', message: 'bad' },
      { code: 'WICKET_ERR_INVALID_OBJECT', file: 's.yaml', line: 1, kind: 'Service', namespace: 'default', name: 'svc', field: 'spec', message: 'bad' },
    ],
  });
  await runtime.idle();
  const route = runtime.statuses().find((s) => s.kind === 'HTTPRoute')!;
  assert.equal(route.metadata.name, 'broken');
  const rc = (route.status['conditions'] as { type: string; status: string; reason: string; message: string }[])[0]!;
  assert.deepEqual([rc.type, rc.status, rc.reason], ['Accepted', 'False', 'Invalid']);
  assert.match(rc.message, /r\.yaml:3: spec\.rules\[0\]: bad rule/);
  // An unread object is shown under its kind's storage version (v1 for TCPRoute since v1.5); only
  // Gateway API kinds get an entry.
  assert.equal(runtime.statuses().find((s) => s.kind === 'TCPRoute')?.apiVersion, 'gateway.networking.k8s.io/v1');
  assert.ok(!runtime.statuses().some((s) => s.kind === 'Service'));
  // The Gateway serving its last good version shows both: Invalid on top, listeners as computed.
  const gw = runtime.statuses().find((s) => s.kind === 'Gateway')!;
  const gc = (gw.status['conditions'] as { reason: string; message: string }[])[0]!;
  assert.equal(gc.reason, 'Invalid');
  assert.match(gc.message, /last valid version keeps serving/);
  // A duplicate is logged, but the copy that serves is not Invalid.
  assert.ok(!runtime.statuses().some((x) => x.metadata.name === 'twice'));
  assert.ok(gw.status['listeners']);
});

test('a translate error keeps the last good configuration and counts a failure', async () => {
  const { provider, runtime, registry } = setup();
  let explode = false;
  const rt = runtime as unknown as { start(): Promise<void> };
  await rt.start();
  provider.push({ snapshot: snap(gateway('a', 8001)), diagnostics: [] });
  await runtime.idle();
  // Make the next snapshot blow up inside translate via a getter on the snapshot.
  const bad = snap(gateway('b', 8002));
  Object.defineProperty(bad, 'gateways', { get() { explode = true; throw new Error('boom'); } });
  provider.push({ snapshot: bad, diagnostics: [] });
  await runtime.idle();
  assert.equal(explode, true);
  assert.deepEqual(runtime.config()?.ports.map((p) => p.name), ['127.0.0.1:8001/http']);
  assert.match(registry.expose(), /wicket_config_failed_total 1\n/);
});
