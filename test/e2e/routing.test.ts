// The real `wicket run -f DIR` process routing real HTTP to real backends, and the admin endpoints
// (/healthz /readyz /metrics /config /status) describing what it serves.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort, gatewayYaml, get, routeYaml, serviceYaml, startBackend, tempDir, WicketProcess } from './harness.ts';

test('routes by host and path to real backends; admin endpoints describe the configuration', async (t) => {
  const dir = await tempDir(t);
  const [v1, v2] = await Promise.all([startBackend('v1'), startBackend('v2')]);
  t.after(() => Promise.all([v1.close(), v2.close()]));
  const port = await freePort();
  await writeFile(join(dir, 'gateway.yaml'), gatewayYaml({ listeners: [{ name: 'http', port }] }));
  await writeFile(join(dir, 'backends.yaml'), serviceYaml(v1) + '---\n' + serviceYaml(v2));
  await writeFile(
    join(dir, 'route.yaml'),
    routeYaml({ name: 'r', hostnames: ['app.example'], rules: [{ path: '/', backend: 'v1' }, { path: '/two', backend: 'v2' }] }),
  );

  const w = await WicketProcess.start(t, ['run', '-f', dir, '--default-address', '127.0.0.1']);

  const a = await get(port, '/hello', 'app.example');
  assert.equal(a.status, 200);
  assert.equal(a.body.backend, 'v1');
  assert.equal(a.body.path, '/hello');
  const b = await get(port, '/two/x', 'app.example');
  assert.equal(b.body.backend, 'v2');
  const none = await get(port, '/', 'other.example');
  assert.equal(none.status, 404, 'no route for this host');

  assert.equal((await fetch(w.admin('/healthz'))).status, 200);
  assert.equal((await fetch(w.admin('/readyz'))).status, 200);

  const config = await w.adminJson('/config');
  assert.equal(config.version, 1);
  assert.deepEqual(config.ports.map((p: { port: number }) => p.port), [port]);

  const status = await w.adminJson<{ items: any[] }>('/status');
  const kinds = status.items.map((i) => `${i.kind}/${i.metadata.name}`).sort();
  assert.deepEqual(kinds, ['Gateway/gw', 'GatewayClass/wicket', 'HTTPRoute/r']);
  const gw = status.items.find((i) => i.kind === 'Gateway');
  assert.equal(gw.apiVersion, 'gateway.networking.k8s.io/v1');
  assert.equal(gw.metadata.namespace, 'default');
  assert.equal(gw.metadata.generation, 1);
  const programmed = gw.status.conditions.find((c: { type: string }) => c.type === 'Programmed');
  assert.equal(programmed.status, 'True');
  assert.ok(programmed.lastTransitionTime, 'lastTransitionTime is filled');
  const route = status.items.find((i) => i.kind === 'HTTPRoute');
  const accepted = route.status.parents[0].conditions.find((c: { type: string }) => c.type === 'Accepted');
  assert.equal(accepted.status, 'True');

  const metrics = await (await fetch(w.admin('/metrics'))).text();
  assert.match(metrics, /^wicket_config_applied_total [1-9]/m);
  assert.match(metrics, /^wicket_config_failed_total 0$/m);
  // Request counts and latency histograms from the proxy, by gateway, route and backend.
  const series = (backend: string, code: string) =>
    metrics.match(new RegExp(`^wicket_http_requests_total\\{gateway="default/gw",route="HTTPRoute/default/r",backend="${backend}",code="${code}"\\} (\\d+)$`, 'm'))?.[1];
  assert.equal(series('default/v2:80', '2xx'), '1', `exactly the one request sent to v2 in:\n${metrics}`);
  assert.equal(series('default/v1:80', '2xx'), '1');
  assert.match(metrics, /^wicket_http_request_duration_seconds_bucket\{gateway="default\/gw",route="HTTPRoute\/default\/r",le="\+Inf"\} 2$/m);

  // One access-log line per request.
  await w.waitForLog((l) => l.msg === 'access' && JSON.stringify(l).includes('/two/x'), 'access log for /two/x');
});
