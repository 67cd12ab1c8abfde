// A listener whose port is taken by another process reports Accepted=False PortUnavailable in
// /status while the Gateway's other listeners serve normally.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { eventually, freePort, gatewayYaml, get, MAIN, REPO, routeYaml, serviceYaml, startBackend, tempDir, WicketProcess } from './harness.ts';

test('port already in use: that listener shows PortUnavailable, the others serve', async (t) => {
  const dir = await tempDir(t);
  const backend = await startBackend('b');
  t.after(() => backend.close());
  // Something else holds this port for the whole test.
  const squatter = createServer((_req, res) => res.end('squatter'));
  await new Promise<void>((r) => squatter.listen(0, '127.0.0.1', () => r()));
  t.after(() => new Promise<void>((r) => (squatter.listening ? squatter.close(() => r()) : r())));
  const taken = (squatter.address() as { port: number }).port;
  const good = await freePort();

  await writeFile(
    join(dir, 'all.yaml'),
    [
      gatewayYaml({ listeners: [{ name: 'good', port: good }, { name: 'busy', port: taken }] }),
      serviceYaml(backend),
      routeYaml({ name: 'r', rules: [{ path: '/', backend: 'b' }] }),
    ].join('---\n'),
  );
  const w = await WicketProcess.start(t, ['run', '-f', dir, '--default-address', '127.0.0.1']);

  assert.equal((await get(good, '/', 'x.example')).body.backend, 'b', 'the free port serves');

  const listeners = await eventually(async () => {
    const s = await w.adminJson<{ items: any[] }>('/status');
    const gw = s.items.find((i) => i.kind === 'Gateway');
    const busy = gw.status.listeners.find((l: { name: string }) => l.name === 'busy');
    assert.ok(busy.conditions.some((c: { reason: string }) => c.reason === 'PortUnavailable'));
    return gw.status.listeners as { name: string; conditions: { type: string; status: string; reason: string }[] }[];
  }, 'PortUnavailable in /status');
  const busy = listeners.find((l) => l.name === 'busy')!;
  const accepted = busy.conditions.find((c) => c.type === 'Accepted')!;
  assert.deepEqual([accepted.status, accepted.reason], ['False', 'PortUnavailable']);
  const goodListener = listeners.find((l) => l.name === 'good')!;
  assert.equal(goodListener.conditions.find((c) => c.type === 'Accepted')!.status, 'True');
  await w.waitForLog((l) => l.level === 'warn' && JSON.stringify(l).includes(String(taken)), 'a log line naming the busy socket');
  assert.equal(w.child.exitCode, null);

  // The squatter leaves: Wicket notices on its next check (every 5 s), binds the port and says so.
  await new Promise<void>((r) => squatter.close(() => r()));
  await eventually(async () => assert.equal((await get(taken, '/', 'x.example')).body.backend, 'b'), 'freed port served', 30000);
  const s = await w.adminJson<{ items: any[] }>('/status');
  const busyNow = s.items.find((i) => i.kind === 'Gateway').status.listeners.find((l: { name: string }) => l.name === 'busy');
  assert.equal(busyNow.conditions.find((c: { type: string }) => c.type === 'Accepted').status, 'True');
});

test('admin address in use: a clear message and exit status 1', async (t) => {
  const dir = await tempDir(t);
  const squatter = createServer();
  await new Promise<void>((r) => squatter.listen(0, '127.0.0.1', () => r()));
  t.after(() => new Promise<void>((r) => squatter.close(() => r())));
  const taken = (squatter.address() as { port: number }).port;
  await writeFile(join(dir, 'gw.yaml'), gatewayYaml({ listeners: [{ name: 'http', port: await freePort() }] }));
  const r = spawnSync(process.execPath, [MAIN, 'run', '-f', dir, '--default-address', '127.0.0.1', '--admin-address', `127.0.0.1:${taken}`], {
    cwd: REPO,
    encoding: 'utf8',
    timeout: 60000,
  });
  assert.equal(r.status, 1);
  assert.match(r.stderr, new RegExp(`wicket: cannot start the admin server on 127\\.0\\.0\\.1:${taken} \\(EADDRINUSE\\)`));
});
