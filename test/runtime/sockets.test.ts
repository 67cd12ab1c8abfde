// Socket names between the proxy (IRPort names) and the translator (`address:port/tcp|udp`), and
// the probe that notices a busy port has freed up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { emptyIR } from '../../src/ir/types.ts';
import { socketIsFree, toUnavailableSockets } from '../../src/runtime/sockets.ts';

test('failed IR ports map to the sockets they bind', () => {
  const ir = emptyIR();
  ir.ports.push(
    { name: '127.0.0.1:8080/http', address: '127.0.0.1', port: 8080, kind: 'http', listeners: [] },
    { name: '[::1]:8443/tls', address: '::1', port: 8443, kind: 'tls', listeners: [] },
    { name: '0.0.0.0:53/udp', address: '0.0.0.0', port: 53, kind: 'udp', listeners: [] },
  );
  assert.deepEqual(toUnavailableSockets(ir, { '127.0.0.1:8080/http': 'EADDRINUSE', '[::1]:8443/tls': 'EADDRNOTAVAIL', '0.0.0.0:53/udp': 'EACCES' }), {
    '127.0.0.1:8080/tcp': 'EADDRINUSE',
    '[::1]:8443/tcp': 'EADDRNOTAVAIL',
    '0.0.0.0:53/udp': 'EACCES',
  });
});

test('socketIsFree: false while something listens, true once it is gone', async () => {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  assert.equal(await socketIsFree(`127.0.0.1:${port}/tcp`), false);
  await new Promise<void>((r) => server.close(() => r()));
  assert.equal(await socketIsFree(`127.0.0.1:${port}/tcp`), true);
  assert.equal(await socketIsFree('not a socket'), false);
});
