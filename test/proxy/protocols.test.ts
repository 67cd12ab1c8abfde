// Backend protocols from the Service's appProtocol: HTTP/2 cleartext (h2c) to the backend.
import assert from 'node:assert/strict';
import { createServer as createH2Server, type Http2Server } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { cluster, freePort, get, httpPort, ir, listener, match, newDataPlane, rule, vhost } from './helpers.ts';

const dp = newDataPlane();
let h2: Http2Server;
let port: number;

before(async () => {
  h2 = createH2Server((req, res) => {
    req.resume();
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ httpVersion: req.httpVersion, authority: req.headers[':authority'], path: req.headers[':path'], xff: req.headers['x-forwarded-for'] }));
    });
  });
  await new Promise<void>((r) => h2.listen(0, '127.0.0.1', r));
  port = await freePort();
  const h2c = { ...cluster('h2c', { port: (h2.address() as AddressInfo).port }), protocol: 'h2c' as const };
  await dp.apply(ir([httpPort(port, [listener('http', [vhost('*', [rule(match(), 'h2c')])])])], [h2c]));
});

after(async () => {
  await dp.drain(1000);
  await new Promise<void>((r) => h2.close(() => r()));
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
