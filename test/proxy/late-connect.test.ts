// A request answered while it still waits for its upstream connection (a timeout during a slow
// TLS handshake) must not be sent once the connection is up: its response would have nobody to
// go to and would hold the connection.
import assert from 'node:assert/strict';
import { createServer as createHttpsServer, type Server } from 'node:https';
import { connect, createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import type { Cluster } from '../../src/ir/types.ts';
import { TestCA } from './certs.ts';
import { freePort, get, httpPort, ir, listener, match, newDataPlane, rule, vhost } from './helpers.ts';

const ca = new TestCA();
const dp = newDataPlane();
let backend: Server;
let delayer: NetServer;
const sockets = new Set<Socket>();
let requestsSeen = 0;
let port: number;

before(async () => {
  const leaf = ca.leaf(['slow.internal']);
  backend = createHttpsServer({ key: leaf.keyPem, cert: leaf.certPem }, (req, res) => {
    requestsSeen++;
    req.resume();
    res.end('late');
  });
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
  const backendPort = (backend.address() as AddressInfo).port;
  // Accepts at once, but only starts relaying to the TLS backend after 400 ms.
  delayer = createNetServer((client) => {
    sockets.add(client);
    client.pause();
    setTimeout(() => {
      const up = connect(backendPort, '127.0.0.1');
      sockets.add(up);
      client.pipe(up).pipe(client);
      client.resume();
      client.on('error', () => up.destroy());
      up.on('error', () => client.destroy());
    }, 400);
  });
  await new Promise<void>((r) => delayer.listen(0, '127.0.0.1', r));
  port = await freePort();
  const slow: Cluster = {
    name: 'slow',
    protocol: 'http1',
    endpoints: [{ address: '127.0.0.1', port: (delayer.address() as AddressInfo).port, weight: 1 }],
    tls: { serverName: 'slow.internal', caPem: ca.certPem },
  };
  await dp.apply(
    ir(
      [
        httpPort(port, [
          listener('http', [
            vhost('*', [
              rule(match({ type: 'PathPrefix', value: '/quick' }), 'slow', [], { timeouts: { requestMs: 100 } }),
              rule(match(), 'slow'),
            ]),
          ]),
        ]),
      ],
      [slow],
    ),
  );
});

after(async () => {
  await dp.drain(1000);
  for (const s of sockets) s.destroy();
  backend.closeAllConnections();
  await new Promise<void>((r) => backend.close(() => r()));
  await new Promise<void>((r) => delayer.close(() => r()));
  ca.dispose();
});

test('a request that timed out before its connection was ready is never sent', async () => {
  assert.equal((await get(port, '/quick')).status, 504);
  await new Promise((r) => setTimeout(r, 700));
  assert.equal(requestsSeen, 0);
  // The connection is usable for the next request.
  const ok = await get(port, '/after');
  assert.equal(ok.status, 200);
  assert.equal(ok.body, 'late');
  assert.equal(requestsSeen, 1);
});
