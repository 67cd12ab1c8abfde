// HTTP/2 cleartext with prior knowledge on an HTTP port, next to HTTP/1.1 on the same socket:
// h2c client → proxy → HTTP/1.1 backend and HTTP/1.1 client → proxy → h2c backend, request
// bodies streamed with backpressure, and a client's RST_STREAM cancelling the upstream request.
import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import { constants, createServer as createH2Server, type ClientHttp2Session, type Http2Server } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { after, before, test } from 'node:test';
import { cluster, freePort, get, httpPort, ir, json, listener, match, newDataPlane, rule, startBackend, vhost, type Backend } from '../helpers.ts';
import { closeSession, h2c, h2request } from './h2-helpers.ts';

const dp = newDataPlane();
let echo: Backend;
let slow: Backend;
let hang: Backend;
let h2backend: Http2Server;
let port: number;
let session: ClientHttp2Session;
/** The slow backend reads the request body only once this is called. */
let releaseSlow: () => void = () => {};
let slowPaused: Promise<void>;
let hangClosed: Promise<boolean>;

before(async () => {
  echo = await startBackend('echo');
  let markPaused: () => void = () => {};
  slowPaused = new Promise((r) => (markPaused = r));
  slow = await startBackend('slow', (req, res, seen) => {
    // Read one chunk, then stop until released: the proxy must stop reading from the client.
    req.once('data', (c: Buffer) => {
      seen.bodyBytes += c.length;
      req.pause();
      markPaused();
      releaseSlow = () => {
        req.on('data', (d: Buffer) => (seen.bodyBytes += d.length));
        req.resume();
      };
    });
    req.on('end', () => res.end(JSON.stringify({ bodyBytes: seen.bodyBytes })));
  });
  let markClosed: (finished: boolean) => void = () => {};
  hangClosed = new Promise((r) => (markClosed = r));
  hang = await startBackend('hang', (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('partial');
    res.on('close', () => markClosed(res.writableFinished));
  });
  h2backend = createH2Server((req, res) => {
    req.resume();
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ httpVersion: req.httpVersion, authority: req.headers[':authority'], path: req.headers[':path'], headers: req.headers }));
    });
  });
  await new Promise<void>((r) => h2backend.listen(0, '127.0.0.1', r));
  port = await freePort();
  const h2cCluster = { ...cluster('h2c', { port: (h2backend.address() as AddressInfo).port }), protocol: 'h2c' as const };
  const rules = [
    rule(match({ type: 'PathPrefix', value: '/slow' }), 'slow'),
    rule(match({ type: 'PathPrefix', value: '/hang' }), 'hang'),
    rule(match({ type: 'PathPrefix', value: '/to-h2c' }), 'h2c'),
    rule(match({ type: 'PathPrefix', value: '/' }, { headers: [{ name: 'x-pick', type: 'Exact', value: 'yes' }] }), 'echo', [
      { type: 'RequestHeaderModifier', set: [{ name: 'x-set', value: 'v' }], add: [], remove: ['x-drop'] },
    ]),
  ];
  await dp.apply(ir([httpPort(port, [listener('http', [vhost('h2.example.com', rules)])])], [cluster('echo', echo), cluster('slow', slow), cluster('hang', hang), h2cCluster]));
  session = h2c(port);
});

after(async () => {
  await closeSession(session);
  await dp.drain(1000);
  await Promise.all([echo.close(), slow.close(), hang.close()]);
  await new Promise<void>((r) => h2backend.close(() => r()));
});

test('an h2c request is routed by :authority and headers to an HTTP/1.1 backend', async () => {
  const r = await h2request(session, {
    ':method': 'GET',
    ':path': '/a/b?q=1',
    ':authority': 'h2.example.com',
    'x-pick': 'yes',
    'x-drop': 'gone',
    cookie: ['a=1', 'b=2'],
  });
  assert.equal(r.headers[':status'], 200);
  const seen = JSON.parse(r.body.toString());
  assert.equal(seen.backend, 'echo');
  assert.equal(seen.url, '/a/b?q=1');
  assert.equal(seen.headers.host, 'h2.example.com');
  assert.equal(seen.headers['x-set'], 'v');
  assert.equal(seen.headers['x-drop'], undefined);
  assert.equal(seen.headers.cookie, 'a=1; b=2', 'split cookies are joined for HTTP/1.1');
  assert.equal(seen.headers['x-forwarded-proto'], 'http');
  assert.equal(seen.headers['x-forwarded-host'], 'h2.example.com');
  for (const name of Object.keys(seen.headers)) assert.ok(!name.startsWith(':'), `pseudo-header ${name} forwarded`);
});

test('an h2c request that matches nothing gets 404; another host gets 404 too', async () => {
  const r1 = await h2request(session, { ':path': '/a', ':authority': 'h2.example.com' });
  assert.equal(r1.headers[':status'], 404);
  const r2 = await h2request(session, { ':path': '/a', ':authority': 'other.example.com', 'x-pick': 'yes' });
  assert.equal(r2.headers[':status'], 404);
});

test('HTTP/1.1 still works on the same port, with keep-alive and a body', async () => {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    for (let i = 0; i < 3; i++) {
      const r = await get(port, '/x', { method: 'POST', host: 'h2.example.com', headers: { 'x-pick': 'yes' }, body: 'hello', agent });
      assert.equal(r.status, 200);
      assert.equal(json(r).bodyBytes, 5);
    }
  } finally {
    agent.destroy();
  }
});

test('HTTP/1.1 client → h2c backend, and h2c client → h2c backend', async () => {
  const r1 = await get(port, '/to-h2c/one', { host: 'h2.example.com', headers: { connection: 'keep-alive', 'x-any': '1' } });
  assert.equal(r1.status, 200);
  const s1 = JSON.parse(r1.body);
  assert.equal(s1.httpVersion, '2.0');
  assert.equal(s1.authority, 'h2.example.com');
  assert.equal(s1.headers.connection, undefined);
  const r2 = await h2request(session, { ':method': 'POST', ':path': '/to-h2c/two', ':authority': 'h2.example.com' }, 'body');
  assert.equal(r2.headers[':status'], 200);
  const s2 = JSON.parse(r2.body.toString());
  assert.equal(s2.path, '/to-h2c/two');
  assert.equal(s2.authority, 'h2.example.com');
});

test('a request body streams through HTTP/2 with backpressure', async () => {
  const total = 32 * 1024 * 1024;
  const chunk = Buffer.alloc(64 * 1024, 120);
  const s = session.request({ ':method': 'POST', ':path': '/slow', ':authority': 'h2.example.com' }, { endStream: false });
  const response = new Promise<string>((resolve, reject) => {
    let body = '';
    s.on('data', (c: Buffer) => (body += c));
    s.on('end', () => resolve(body));
    s.on('error', reject);
  });
  let written = 0;
  let stalled = false;
  const writer = (async () => {
    while (written < total) {
      written += chunk.length;
      if (!s.write(chunk)) {
        stalled = true;
        await once(s, 'drain');
      }
    }
    s.end();
  })();
  await slowPaused;
  // Let the pipeline fill up while the backend reads nothing: the client must be held back.
  let last = -1;
  for (let i = 0; i < 200 && written !== last; i++) {
    last = written;
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.ok(stalled, 'the client was told to wait');
  assert.ok(written < total / 2, `the proxy buffered without bound: ${written} of ${total} bytes accepted while the backend read nothing`);
  releaseSlow();
  await writer;
  const seen = JSON.parse(await response);
  assert.equal(seen.bodyBytes, total);
});

test('RST_STREAM from the client cancels the upstream HTTP/1.1 request', async () => {
  const s = session.request({ ':path': '/hang', ':authority': 'h2.example.com' });
  s.on('error', () => {});
  await once(s, 'response');
  await once(s, 'data');
  s.close(constants.NGHTTP2_CANCEL);
  const finished = await hangClosed;
  assert.equal(finished, false, 'the backend response was cut, not completed');
});

test('an HTTP/1.1 `Upgrade: h2c` is declined: served as HTTP/1.1, nothing spliced', async () => {
  const r = await get(port, '/up', {
    host: 'h2.example.com',
    headers: { 'x-pick': 'yes', connection: 'Upgrade, HTTP2-Settings', upgrade: 'h2c', 'http2-settings': 'AAMAAABkAAQAAP__' },
  });
  assert.equal(r.status, 200);
  const seen = json(r);
  assert.equal(seen.backend, 'echo');
  assert.equal(seen.headers.upgrade, undefined);
  assert.equal(seen.headers['http2-settings'], undefined);
});

test('an h2 request with `expect: 100-continue` gets 100 and its body goes through', async () => {
  const s = session.request({ ':method': 'POST', ':path': '/c', ':authority': 'h2.example.com', 'x-pick': 'yes', expect: '100-continue' }, { endStream: false });
  await once(s, 'continue');
  s.end('0123456789');
  const chunks: Buffer[] = [];
  s.on('data', (c: Buffer) => chunks.push(c));
  await once(s, 'end');
  const seen = JSON.parse(Buffer.concat(chunks).toString());
  assert.equal(seen.bodyBytes, 10);
  assert.equal(seen.headers.expect, undefined);
});

test('a client asking for trailers gets a clean end when the backend sends none', async () => {
  const r = await h2request(session, { ':path': '/t', ':authority': 'h2.example.com', 'x-pick': 'yes', te: 'trailers' });
  assert.equal(r.headers[':status'], 200);
  assert.equal(JSON.parse(r.body.toString()).backend, 'echo');
});
