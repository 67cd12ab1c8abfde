// SIGTERM drains: the process stops accepting new connections, lets the request in flight finish
// with its full answer, and exits 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { freePort, gatewayYaml, get, routeYaml, serviceYaml, sleep, startBackend, tempDir, WicketProcess } from './harness.ts';

test('SIGTERM with a request in flight: the request completes, new connections are refused, exit 0', async (t) => {
  const dir = await tempDir(t);
  const backend = await startBackend('slow');
  t.after(() => backend.close());
  const port = await freePort();
  await writeFile(join(dir, 'all.yaml'), [gatewayYaml({ listeners: [{ name: 'http', port }] }), serviceYaml(backend), routeYaml({ name: 'r', rules: [{ path: '/', backend: 'slow' }] })].join('---\n'));
  const w = await WicketProcess.start(t, ['run', '-f', dir, '--default-address', '127.0.0.1', '--drain-timeout', '10s']);
  assert.equal((await get(port, '/', 'any.example')).status, 200);

  const inflight = get(port, '/slow?ms=2000', 'any.example');
  // Wait until the backend has the request, so it is truly in flight when the signal lands.
  for (let i = 0; i < 200 && !backend.seen.some((r) => r.path === '/slow'); i++) await sleep(10);
  assert.ok(backend.seen.some((r) => r.path === '/slow'), 'request reached the backend');
  w.child.kill('SIGTERM');
  await w.waitForLog((l) => l.msg.startsWith('shutting down'), 'shutdown log');

  // New connections are soon refused, while the slow request is still running (it lasts 2 s).
  const refused = () =>
    new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.on('connect', () => {
        s.destroy();
        resolve(false);
      });
      s.on('error', () => resolve(true));
    });
  let closed = false;
  for (let i = 0; i < 100 && !closed; i++) {
    closed = await refused();
    if (!closed) await sleep(10);
  }
  assert.equal(closed, true, 'listener closed during drain');
  assert.equal(w.child.exitCode, null, 'still draining the request in flight');

  const res = await inflight;
  assert.equal(res.status, 200);
  assert.equal(res.body.backend, 'slow');
  assert.equal(res.body.path, '/slow');
  assert.equal(await w.exited, 0);
});

test('SIGINT also drains and exits 0; --log-level warn keeps info lines (access logs) out', async (t) => {
  const dir = await tempDir(t);
  const backend = await startBackend('b');
  t.after(() => backend.close());
  const port = await freePort();
  const adminPort = await freePort();
  await writeFile(join(dir, 'all.yaml'), [gatewayYaml({ listeners: [{ name: 'http', port }] }), serviceYaml(backend), routeYaml({ name: 'r', rules: [{ path: '/', backend: 'b' }] })].join('---\n'));
  const w = await WicketProcess.start(t, ['run', '-f', dir, '--default-address', '127.0.0.1', '--log-level', 'warn'], { adminPort });
  assert.equal((await get(port, '/', 'any.example')).status, 200);
  w.child.kill('SIGINT');
  assert.equal(await w.exited, 0);
  assert.deepEqual(w.logs.filter((l) => l.level === 'info' || l.level === 'debug'), []);
});
