// The admin server over real HTTP: every endpoint of the contract, readiness before and after the
// first configuration, and the shapes /status and /config promise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startAdminServer, type AdminSource } from '../../src/admin/server.ts';
import { Registry } from '../../src/metrics/registry.ts';
import { emptyIR, type IR } from '../../src/ir/types.ts';
import type { ObjectStatus } from '../../src/translate/api.ts';

test('admin endpoints: healthz, readyz before and after ready, metrics, config, status', async (t) => {
  const registry = new Registry();
  registry.counter('wicket_test_total', 'a test counter').inc(3);
  const state: { ready: boolean; ir?: IR; statuses: ObjectStatus[] } = { ready: false, statuses: [] };
  const source: AdminSource = {
    get ready() {
      return state.ready;
    },
    config: () => state.ir,
    statuses: () => state.statuses,
  };
  const admin = await startAdminServer('127.0.0.1:0', source, registry);
  t.after(() => admin.close());
  assert.match(admin.address, /^127\.0\.0\.1:\d+$/);
  const get = (p: string, init?: RequestInit) => fetch(`http://${admin.address}${p}`, init);

  assert.equal((await get('/healthz')).status, 200);
  assert.equal((await get('/readyz')).status, 503);
  assert.equal((await get('/config')).status, 503);

  state.ready = true;
  state.ir = { ...emptyIR(), ports: [{ name: '0.0.0.0:80/http', address: '0.0.0.0', port: 80, kind: 'http', listeners: [] }] };
  state.statuses = [
    { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name: 'g', namespace: 'default', generation: 2 }, status: { conditions: [] } },
  ];
  assert.equal((await get('/readyz')).status, 200);

  const metrics = await get('/metrics');
  assert.equal(metrics.status, 200);
  assert.match(metrics.headers.get('content-type')!, /^text\/plain; version=0\.0\.4/);
  assert.match(await metrics.text(), /^wicket_test_total 3$/m);

  const config = await get('/config');
  assert.equal(config.headers.get('content-type'), 'application/json');
  assert.deepEqual(await config.json(), state.ir);

  const status = (await (await get('/status')).json()) as { items: ObjectStatus[] };
  assert.deepEqual(status, { items: state.statuses });

  assert.equal((await get('/nope')).status, 404);
  assert.equal((await get('/status', { method: 'POST' })).status, 405);
});

test('a bad --admin-address is a usage error naming the flag', async () => {
  const source: AdminSource = { ready: false, config: () => undefined, statuses: () => [] };
  await assert.rejects(startAdminServer('localhost', source, new Registry()), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'WICKET_ERR_USAGE');
    assert.match(err.message, /--admin-address/);
    return true;
  });
});
