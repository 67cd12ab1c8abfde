// `--address-pool CIDR`: two Gateways with a listener on the same port each get their own loopback
// address from the pool, report it in status.addresses, and serve their own routes there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { eventually, freePort, gatewayYaml, routeYaml, serviceYaml, startBackend, tempDir, WicketProcess } from './harness.ts';

function getFrom(address: string, port: number, host: string): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: address, port, path: '/', headers: { host }, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text.startsWith('{') ? JSON.parse(text) : text }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('each Gateway gets its own address from --address-pool and serves there', async (t) => {
  const dir = await tempDir(t);
  const [a, b] = await Promise.all([startBackend('a'), startBackend('b')]);
  t.after(() => Promise.all([a.close(), b.close()]));
  const port = await freePort();
  // A random /24 inside 127/8 so parallel runs do not share addresses.
  const third = 100 + Math.floor(Math.random() * 150);
  const pool = `127.77.${third}.0/24`;
  const gwA = gatewayYaml({ name: 'gw-a', listeners: [{ name: 'http', port }] });
  const gwB = gatewayYaml({ name: 'gw-b', listeners: [{ name: 'http', port }] }).replace(/^apiVersion[\s\S]*?---\n/, '');
  await writeFile(join(dir, 'gateways.yaml'), gwA + '---\n' + gwB);
  await writeFile(join(dir, 'backends.yaml'), serviceYaml(a) + '---\n' + serviceYaml(b));
  await writeFile(
    join(dir, 'routes.yaml'),
    routeYaml({ name: 'ra', parent: 'gw-a', rules: [{ path: '/', backend: 'a' }] }) + '---\n' + routeYaml({ name: 'rb', parent: 'gw-b', rules: [{ path: '/', backend: 'b' }] }),
  );
  const w = await WicketProcess.start(t, ['run', '-f', dir, '--address-pool', pool]);

  const addresses = await eventually(async () => {
    const s = await w.adminJson<{ items: any[] }>('/status');
    const addr = (name: string) => s.items.find((i) => i.kind === 'Gateway' && i.metadata.name === name)?.status.addresses?.[0]?.value;
    assert.ok(addr('gw-a') && addr('gw-b'));
    return { a: addr('gw-a') as string, b: addr('gw-b') as string };
  }, 'addresses in Gateway status');
  assert.notEqual(addresses.a, addresses.b);
  for (const v of [addresses.a, addresses.b]) assert.match(v, new RegExp(`^127\\.77\\.${third}\\.\\d+$`));

  assert.equal((await getFrom(addresses.a, port, 'x.example')).body.backend, 'a');
  assert.equal((await getFrom(addresses.b, port, 'x.example')).body.backend, 'b');
});
