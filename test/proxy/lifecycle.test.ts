// apply() and drain(): atomic swaps under load, in-flight requests finishing on their router,
// listener removal, bind failures reported per port, and draining.
import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import { createServer as createNetServer, connect } from 'node:net';
import { after, before, test } from 'node:test';
import { cluster, freePort, get, httpPort, ir, json, listener, match, newDataPlane, rule, startBackend, vhost, type Backend } from './helpers.ts';

let a: Backend;
let b: Backend;
let slow: Backend;
const slowPending: (() => void)[] = [];
function releaseSlow(): void {
  for (const f of slowPending.splice(0)) f();
}

before(async () => {
  a = await startBackend('a');
  b = await startBackend('b');
  slow = await startBackend('slow', (req, res) => {
    req.resume();
    slowPending.push(() => res.end('slow-done'));
  });
});

after(async () => {
  await Promise.all([a.close(), b.close(), slow.close()]);
});

function config(port: number, target: 'a' | 'b' | 'slow', extraPorts: number[] = []) {
  const l = [listener('http', [vhost('*', [rule(match({ type: 'PathPrefix', value: '/slow' }), 'slow'), rule(match(), target)])])];
  return ir(
    [httpPort(port, l), ...extraPorts.map((p) => httpPort(p, l))],
    [cluster('a', a), cluster('b', b), cluster('slow', slow)],
  );
}

test('swapping configurations under continuous keep-alive load fails no request', async () => {
  const dp = newDataPlane();
  const port = await freePort();
  await dp.apply(config(port, 'a'));
  const agent = new Agent({ keepAlive: true, maxSockets: 8 });
  let stop = false;
  let ok = 0;
  const failures: string[] = [];
  const seen = new Set<string>();
  const worker = async () => {
    while (!stop) {
      try {
        const r = await get(port, '/', { agent });
        if (r.status === 200) {
          ok++;
          seen.add(json(r).backend);
        } else failures.push(String(r.status));
      } catch (err) {
        failures.push((err as Error).message);
      }
    }
  };
  const workers = Array.from({ length: 8 }, worker);
  for (let i = 0; i < 30; i++) {
    await dp.apply(config(port, i % 2 === 0 ? 'b' : 'a'));
    await new Promise((r) => setTimeout(r, 15));
  }
  stop = true;
  await Promise.all(workers);
  agent.destroy();
  await dp.drain(1000);
  assert.deepEqual(failures, []);
  assert.ok(ok > 30, `only ${ok} requests completed`);
  assert.deepEqual([...seen].sort(), ['a', 'b']);
});

test('a request in flight finishes on the configuration it started with', async () => {
  const dp = newDataPlane();
  const port = await freePort();
  await dp.apply(config(port, 'slow'));
  const pending = get(port, '/in-flight');
  for (let i = 0; i < 100 && !slow.seen.some((s) => s.url === '/in-flight'); i++) await new Promise((r) => setTimeout(r, 10));
  await dp.apply(config(port, 'a'));
  assert.equal(json(await get(port, '/')).backend, 'a');
  releaseSlow();
  const r = await pending;
  assert.equal(r.status, 200);
  assert.equal(r.body, 'slow-done');
  await dp.drain(1000);
});

test('a removed port stops accepting; its keep-alive connection finishes the request in flight', async () => {
  const dp = newDataPlane();
  const keep = await freePort();
  const gone = await freePort();
  await dp.apply(config(keep, 'a', [gone]));
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  assert.equal((await get(gone, '/warm', { agent })).status, 200);
  // Keep a request in flight on the port that is about to go, on the warmed connection.
  const pending = get(gone, '/slow/in-flight-2', { agent });
  for (let i = 0; i < 100 && !slow.seen.some((s) => s.url === '/slow/in-flight-2'); i++) await new Promise((r) => setTimeout(r, 10));
  const result = await dp.apply(config(keep, 'a'));
  assert.deepEqual(result.failedSockets, {});
  // New connections are refused at once.
  await assert.rejects(get(gone, '/'), /ECONNREFUSED/);
  releaseSlow();
  const r = await pending;
  assert.equal(r.status, 200);
  assert.equal(r.body, 'slow-done');
  assert.equal(r.headers.connection, 'close');
  assert.equal(json(await get(keep, '/')).backend, 'a');
  agent.destroy();
  await dp.drain(1000);
});

test('sockets that cannot be bound are reported by port name; the others serve', async () => {
  const dp = newDataPlane();
  const taken = createNetServer();
  await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
  const takenPort = (taken.address() as { port: number }).port;
  const good = await freePort();
  const l = [listener('http', [vhost('*', [rule(match(), 'a')])])];
  const cfg = ir([httpPort(good, l), httpPort(takenPort, l), httpPort(good, l, '192.0.2.1')], [cluster('a', a)]);
  const result = await dp.apply(cfg);
  assert.equal(result.failedSockets[`127.0.0.1:${takenPort}/http`], 'EADDRINUSE');
  assert.equal(result.failedSockets[`192.0.2.1:${good}/http`], 'EADDRNOTAVAIL');
  assert.equal(Object.keys(result.failedSockets).length, 2);
  assert.equal(json(await get(good, '/')).backend, 'a');
  // Once the port is free, the next apply binds it.
  await new Promise<void>((r) => taken.close(() => r()));
  const again = await dp.apply(cfg);
  assert.equal(again.failedSockets[`127.0.0.1:${takenPort}/http`], undefined);
  assert.equal(json(await get(takenPort, '/')).backend, 'a');
  await dp.drain(1000);
});

test('drain stops accepting, lets the request in flight finish, then closes', async () => {
  const dp = newDataPlane();
  const port = await freePort();
  await dp.apply(config(port, 'slow'));
  const pending = get(port, '/drain-me');
  for (let i = 0; i < 100 && !slow.seen.some((s) => s.url === '/drain-me'); i++) await new Promise((r) => setTimeout(r, 10));
  const drained = dp.drain(5000);
  await new Promise((r) => setTimeout(r, 50));
  const refused = await new Promise<boolean>((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.on('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.on('error', () => resolve(true));
  });
  assert.equal(refused, true);
  releaseSlow();
  assert.equal((await pending).body, 'slow-done');
  await drained;
});

test('drain cuts connections still open at the deadline', async () => {
  const dp = newDataPlane();
  const port = await freePort();
  await dp.apply(config(port, 'slow'));
  const pending = get(port, '/never').then(
    () => 'answered',
    () => 'cut',
  );
  for (let i = 0; i < 100 && !slow.seen.some((s) => s.url === '/never'); i++) await new Promise((r) => setTimeout(r, 10));
  await dp.drain(100);
  assert.equal(await pending, 'cut');
  releaseSlow();
});

test('an IR of another version is refused and the configuration in force keeps serving', async () => {
  const dp = newDataPlane();
  const port = await freePort();
  await dp.apply(config(port, 'a'));
  const bad = { ...config(port, 'b'), version: 2 } as unknown as Parameters<typeof dp.apply>[0];
  await assert.rejects(dp.apply(bad), /IR version 2 is not served/);
  assert.equal(json(await get(port, '/')).backend, 'a');
  await dp.drain(1000);
});

test('a port that turns from plain HTTP into TLS under the same name is rebound as TLS', async () => {
  const { TestCA } = await import('./certs.ts');
  const ca = new TestCA();
  const leaf = ca.leaf(['x.example.com']);
  const dp = newDataPlane();
  const port = await freePort();
  const l = listener('http', [vhost('*', [rule(match(), 'a')])]);
  const name = `127.0.0.1:${port}/same`;
  await dp.apply(ir([{ ...httpPort(port, [l]), name }], [cluster('a', a)]));
  assert.equal(json(await get(port, '/')).backend, 'a');
  const tlsListener = { ...l, protocol: 'HTTPS' as const, tls: { mode: 'Terminate' as const, certificates: [{ source: 'x', certPem: leaf.certPem, keyPem: leaf.keyPem, dnsNames: ['x.example.com'] }] } };
  const result = await dp.apply(ir([{ name, address: '127.0.0.1', port, kind: 'tls', listeners: [tlsListener] }], [cluster('a', a)]));
  assert.deepEqual(result.failedSockets, {});
  const { request } = await import('node:https');
  const status = await new Promise<number>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', servername: 'x.example.com', headers: { host: 'x.example.com' }, ca: ca.certPem, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode!));
    });
    req.on('error', reject);
    req.end();
  });
  assert.equal(status, 200);
  await dp.drain(1000);
  ca.dispose();
});

test('removing one listener of a shared port: its host gets 404, the others keep serving on the same connections', async () => {
  const dp = newDataPlane();
  const port = await freePort();
  const la = listener('a', [vhost('a.example.com', [rule(match(), 'a')])], 'a.example.com');
  const lb = listener('b', [vhost('b.example.com', [rule(match(), 'b')])], 'b.example.com');
  const clusters = [cluster('a', a), cluster('b', b)];
  await dp.apply(ir([httpPort(port, [la, lb])], clusters));
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  let connections = 0;
  const origCreate = agent.createConnection.bind(agent);
  agent.createConnection = ((...args: Parameters<typeof origCreate>) => {
    connections++;
    return origCreate(...args);
  }) as typeof agent.createConnection;
  assert.equal(json(await get(port, '/', { agent, host: 'a.example.com' })).backend, 'a');
  assert.equal(json(await get(port, '/', { agent, host: 'b.example.com' })).backend, 'b');
  await dp.apply(ir([httpPort(port, [la])], clusters));
  assert.equal((await get(port, '/', { agent, host: 'b.example.com' })).status, 404);
  assert.equal(json(await get(port, '/', { agent, host: 'a.example.com' })).backend, 'a');
  assert.equal(connections, 1, 'one keep-alive connection served every request across the change');
  agent.destroy();
  await dp.drain(1000);
});
