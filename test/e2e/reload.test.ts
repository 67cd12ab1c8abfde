// Live reload through the real process: adding, changing and deleting files changes what is
// served; a broken edit keeps the last good configuration serving and shows up in /status and in
// the logs; fixing it recovers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { eventually, freePort, gatewayYaml, get, routeYaml, serviceYaml, startBackend, tempDir, WicketProcess } from './harness.ts';

test('add, modify and delete route files while serving; broken edits keep the last good config', async (t) => {
  const dir = await tempDir(t);
  const [v1, v2] = await Promise.all([startBackend('v1'), startBackend('v2')]);
  t.after(() => Promise.all([v1.close(), v2.close()]));
  const port = await freePort();
  await writeFile(join(dir, 'gateway.yaml'), gatewayYaml({ listeners: [{ name: 'http', port }] }));
  await writeFile(join(dir, 'backends.yaml'), serviceYaml(v1) + '---\n' + serviceYaml(v2));
  const w = await WicketProcess.start(t, ['run', '-f', dir, '--default-address', '127.0.0.1']);
  assert.equal((await get(port, '/', 'a.example')).status, 404);

  // Add a file.
  const routeFile = join(dir, 'route-a.yaml');
  await writeFile(routeFile, routeYaml({ name: 'a', hostnames: ['a.example'], rules: [{ path: '/', backend: 'v1' }] }));
  await eventually(async () => assert.equal((await get(port, '/', 'a.example')).body.backend, 'v1'), 'new route served');

  // Modify it.
  await writeFile(routeFile, routeYaml({ name: 'a', hostnames: ['a.example'], rules: [{ path: '/', backend: 'v2' }] }));
  await eventually(async () => assert.equal((await get(port, '/', 'a.example')).body.backend, 'v2'), 'changed route served');
  const gen = await eventually(async () => {
    const s = await w.adminJson<{ items: any[] }>('/status');
    const r = s.items.find((i) => i.kind === 'HTTPRoute' && i.metadata.name === 'a');
    assert.equal(r.metadata.generation, 2);
    return r.metadata.generation as number;
  }, 'generation 2 in /status');
  assert.equal(gen, 2);

  // Break it: the last good version keeps serving; /status and the logs say why.
  await writeFile(routeFile, routeYaml({ name: 'a', hostnames: ['a.example'], rules: [{ path: '/', backend: 'v1' }] }).replace('rules:', 'rules: [oops'));
  const invalid = await eventually(async () => {
    const s = await w.adminJson<{ items: any[] }>('/status');
    const r = s.items.find((i) => i.kind === 'HTTPRoute' && i.metadata.name === 'a');
    const c = r?.status.conditions?.find((x: { type: string }) => x.type === 'Accepted');
    assert.equal(c?.reason, 'Invalid');
    return c;
  }, 'Invalid condition in /status');
  assert.equal(invalid.status, 'False');
  assert.match(invalid.message, /route-a\.yaml:\d+/);
  await w.waitForLog((l) => l.msg === 'invalid input' && String(l['file']).endsWith('route-a.yaml'), 'invalid input log');
  for (let i = 0; i < 5; i++) assert.equal((await get(port, '/', 'a.example')).body.backend, 'v2', 'last good config still serving');

  // A schema-invalid object in another file is reported with the file and line while the rest serves.
  await writeFile(join(dir, 'bad-kind.yaml'), 'apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  name: nameless-spec\nspec:\n  rules: 7\n');
  await eventually(async () => {
    const s = await w.adminJson<{ items: any[] }>('/status');
    const r = s.items.find((i) => i.metadata.name === 'nameless-spec');
    assert.equal(r?.status.conditions[0].reason, 'Invalid');
  }, 'second invalid object in /status');
  await rm(join(dir, 'bad-kind.yaml'));

  // Fix it: serves the fixed version, the Invalid condition goes away.
  await writeFile(routeFile, routeYaml({ name: 'a', hostnames: ['a.example'], rules: [{ path: '/', backend: 'v1' }] }));
  await eventually(async () => assert.equal((await get(port, '/', 'a.example')).body.backend, 'v1'), 'fixed route served');
  await eventually(async () => {
    const s = await w.adminJson<{ items: any[] }>('/status');
    const r = s.items.find((i) => i.kind === 'HTTPRoute' && i.metadata.name === 'a');
    assert.equal(r.status.conditions, undefined);
    assert.ok(!s.items.some((i) => i.metadata.name === 'nameless-spec'));
  }, 'Invalid condition cleared');

  // Delete it.
  await rm(routeFile);
  await eventually(async () => assert.equal((await get(port, '/', 'a.example')).status, 404), 'deleted route no longer served');
  const s = await w.adminJson<{ items: any[] }>('/status');
  assert.ok(!s.items.some((i) => i.kind === 'HTTPRoute'));
  assert.equal(w.child.exitCode, null, 'still running');
});
