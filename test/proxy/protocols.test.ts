// Backend protocols: HTTP/2 cleartext (h2c) to the backend, and protocol upgrades (WebSocket).
import assert from 'node:assert/strict';
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { connect } from 'node:net';
import { createServer as createH2Server, type Http2Server } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { cluster, freePort, get, httpPort, ir, listener, match, newDataPlane, rule, vhost } from './helpers.ts';

const dp = newDataPlane();
let h2: Http2Server;
let port: number;
let ws: Server;
let upgradeSeen: IncomingMessage['headers'] | null = null;

before(async () => {
  h2 = createH2Server((req, res) => {
    req.resume();
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ httpVersion: req.httpVersion, authority: req.headers[':authority'], path: req.headers[':path'], xff: req.headers['x-forwarded-for'] }));
    });
  });
  await new Promise<void>((r) => h2.listen(0, '127.0.0.1', r));
  // Answers an upgrade with 101, then echoes bytes upper-cased.
  ws = createHttpServer((_req, res) => res.writeHead(426).end());
  ws.on('upgrade', (req: IncomingMessage, socket) => {
    upgradeSeen = req.headers;
    socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
    socket.on('data', (c: Buffer) => socket.write(c.toString().toUpperCase()));
  });
  await new Promise<void>((r) => ws.listen(0, '127.0.0.1', r));
  port = await freePort();
  const h2c = { ...cluster('h2c', { port: (h2.address() as AddressInfo).port }), protocol: 'h2c' as const };
  const wsCluster = { ...cluster('ws', { port: (ws.address() as AddressInfo).port }), protocol: 'ws' as const };
  const rules = [
    rule(match({ type: 'PathPrefix', value: '/ws' }), 'ws', [{ type: 'RequestHeaderModifier', set: [{ name: 'x-ws', value: 'yes' }], add: [], remove: [] }]),
    rule(match(), 'h2c'),
  ];
  await dp.apply(ir([httpPort(port, [listener('http', [vhost('*', rules)])])], [h2c, wsCluster]));
});

after(async () => {
  await dp.drain(1000);
  await new Promise<void>((r) => h2.close(() => r()));
  ws.closeAllConnections();
  await new Promise<void>((r) => ws.close(() => r()));
});

test('an upgrade is routed, filtered, and spliced to the backend both ways', async () => {
  const transcript = await new Promise<string>((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => {
      s.write('GET /ws/chat HTTP/1.1\r\nHost: ws.example.com\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n');
    });
    let got = '';
    s.on('data', (c: Buffer) => {
      got += c.toString();
      if (got.includes('\r\n\r\n') && !got.includes('PING')) s.write('ping');
      if (got.endsWith('PING')) {
        s.destroy();
        resolve(got);
      }
    });
    s.on('error', reject);
  });
  assert.match(transcript, /^HTTP\/1.1 101 /);
  assert.ok(transcript.endsWith('PING'));
  assert.equal(upgradeSeen?.upgrade, 'websocket');
  assert.equal(upgradeSeen?.connection, 'upgrade');
  assert.equal(upgradeSeen?.['x-ws'], 'yes');
  assert.equal(upgradeSeen?.['x-forwarded-for'], '127.0.0.1');
  assert.equal(upgradeSeen?.host, 'ws.example.com');
});

test('an h2c cluster is spoken to over HTTP/2 with prior knowledge', async () => {
  const r = await get(port, '/h2/path?x=1', { host: 'h2.example.com' });
  assert.equal(r.status, 200);
  const seen = JSON.parse(r.body);
  assert.equal(seen.httpVersion, '2.0');
  assert.equal(seen.authority, 'h2.example.com');
  assert.equal(seen.path, '/h2/path?x=1');
  assert.equal(seen.xff, '127.0.0.1');
});
