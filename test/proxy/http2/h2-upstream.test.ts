// The HTTP/2 upstream client (h2c clusters): one multiplexed session per endpoint, a new one after
// the backend closes its session, response backpressure reaching the backend, request bodies,
// backend timeouts, and backend resets before and after the response started.
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { constants, createServer, type Http2Server, type ServerHttp2Session, type ServerHttp2Stream } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import type { Cluster } from '../../../src/ir/types.ts';
import { freePort, get, httpPort, ir, listener, match, newDataPlane, rule, vhost } from '../helpers.ts';
import { closeSession, h2c } from './h2-helpers.ts';

const dp = newDataPlane();
let backend: Http2Server;
let port: number;
const sessions = new Set<ServerHttp2Session>();
let sessionCount = 0;
/** Bytes the /big handler managed to write, and whether it is blocked on 'drain'. */
let bigWritten = 0;
let bigBlocked = false;
let releaseBig: () => void = () => {};
let partialOutcome: (how: string) => void = () => {};
const refused = new Set<string>();

function handle(stream: ServerHttp2Stream, path: string): void {
  stream.on('error', () => {});
  if (path === '/big') {
    stream.respond({ ':status': 200 });
    const chunk = Buffer.alloc(64 * 1024, 98);
    const total = 64 * 1024 * 1024;
    const pump = (): void => {
      bigBlocked = false;
      while (bigWritten < total) {
        bigWritten += chunk.length;
        if (!stream.write(chunk)) {
          bigBlocked = true;
          releaseBig = pump;
          stream.once('drain', () => releaseBig());
          return;
        }
      }
      stream.end();
    };
    pump();
    return;
  }
  if (path === '/reset-before') return void stream.destroy(new Error('backend dies'));
  if (path === '/reset-after') {
    stream.respond({ ':status': 200 });
    stream.write('partial');
    // destroy(): close() would end the stream cleanly before resetting it.
    setImmediate(() => stream.destroy(new Error('backend dies')));
    return;
  }
  if (path === '/goaway') {
    stream.respond({ ':status': 200 });
    stream.end('bye');
    stream.session?.close();
    return;
  }
  if (path === '/hang') return;
  if (path.startsWith('/refuse-once')) {
    // Refuses the first stream for each path (as a server shutting down or at its stream limit).
    if (!refused.has(path)) {
      refused.add(path);
      return void stream.close(constants.NGHTTP2_REFUSED_STREAM);
    }
  }
  if (path === '/partial') {
    // Never answers; records how the request body ended.
    stream.on('data', () => {});
    stream.on('end', () => partialOutcome('end'));
    stream.on('aborted', () => partialOutcome('aborted'));
    stream.on('close', () => partialOutcome(`close ${stream.rstCode}`));
    return;
  }
  let bytes = 0;
  stream.on('data', (c: Buffer) => (bytes += c.length));
  stream.on('end', () => {
    stream.respond({ ':status': 200, 'content-type': 'application/json' });
    stream.end(JSON.stringify({ path, bytes }));
  });
}

before(async () => {
  backend = createServer();
  backend.on('session', (s: ServerHttp2Session) => {
    sessionCount++;
    sessions.add(s);
    s.once('close', () => sessions.delete(s));
  });
  backend.on('stream', (stream, headers) => handle(stream, String(headers[':path'])));
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
  port = await freePort();
  const h2: Cluster = { name: 'h2', protocol: 'h2c', endpoints: [{ address: '127.0.0.1', port: (backend.address() as AddressInfo).port, weight: 1 }] };
  const rules = [rule(match({ type: 'PathPrefix', value: '/hang' }), 'h2', [], { timeouts: { backendRequestMs: 100 } }), rule(match(), 'h2')];
  await dp.apply(ir([httpPort(port, [listener('http', [vhost('*', rules)])])], [h2]));
});

after(async () => {
  await dp.drain(1000);
  for (const s of sessions) s.destroy();
  await new Promise<void>((r) => backend.close(() => r()));
});

test('concurrent requests share one session to the endpoint', async () => {
  const before = sessionCount;
  const rs = await Promise.all(Array.from({ length: 20 }, (_, i) => get(port, `/n/${i}`)));
  assert.deepEqual(
    rs.map((r) => r.status),
    rs.map(() => 200),
  );
  assert.ok(sessionCount - before <= 1, `${sessionCount - before} sessions opened for 20 requests`);
});

test('request bodies reach the backend whole', async () => {
  const r = await get(port, '/upload', { method: 'POST', body: Buffer.alloc(3 * 1024 * 1024 + 7, 1) });
  assert.equal(JSON.parse(r.body).bytes, 3 * 1024 * 1024 + 7);
});

test('after the backend closes its session, the next request opens a new one', async () => {
  const r1 = await get(port, '/goaway');
  assert.equal(r1.body, 'bye');
  const r2 = await get(port, '/after-goaway');
  assert.equal(r2.status, 200);
  assert.equal(JSON.parse(r2.body).path, '/after-goaway');
});

test('a client that does not read holds the backend back (response backpressure)', async () => {
  bigWritten = 0;
  const req = httpRequest({ host: '127.0.0.1', port, path: '/big', headers: { host: 'x' }, agent: false });
  const res = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
    req.on('response', resolve);
    req.on('error', reject);
    req.end();
  });
  res.pause();
  let last = -1;
  for (let i = 0; i < 200 && bigWritten !== last; i++) {
    last = bigWritten;
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.ok(bigBlocked, 'the backend was told to wait');
  assert.ok(bigWritten < 32 * 1024 * 1024, `${bigWritten} bytes buffered for a client that reads nothing`);
  let got = 0;
  res.on('data', (c: Buffer) => (got += c.length));
  res.resume();
  await new Promise((r) => res.on('end', r));
  assert.equal(got, 64 * 1024 * 1024);
});

test('a backend timeout answers 504 and resets the upstream stream', async () => {
  const r = await get(port, '/hang');
  assert.equal(r.status, 504);
});

test('a reset before the response answers 502; after it, the response is cut', async () => {
  assert.equal((await get(port, '/reset-before')).status, 502);
  await assert.rejects(get(port, '/reset-after'));
});

test('an HTTP/2 client sees RST_STREAM, not a clean end, when the upstream response is cut', async () => {
  const s = h2c(port);
  try {
    const outcome = await new Promise<string>((resolve) => {
      const q = s.request({ ':path': '/reset-after', ':authority': 'x' });
      q.on('data', () => {});
      q.on('end', () => resolve('end'));
      q.on('error', (err: Error & { code?: string }) => resolve(String(err.code)));
      q.on('close', () => resolve(`close ${q.rstCode}`));
    });
    assert.equal(outcome, 'ERR_HTTP2_STREAM_ERROR');
  } finally {
    await closeSession(s);
  }
});

test('a client gone mid-body cuts the upstream stream without ending its body', async () => {
  const outcome = new Promise<string>((r) => (partialOutcome = r));
  const req = httpRequest({ host: '127.0.0.1', port, path: '/partial', method: 'POST', headers: { host: 'x', 'content-length': '1000000' }, agent: false });
  req.on('error', () => {});
  req.write(Buffer.alloc(1000, 1));
  req.flushHeaders();
  // Let the first bytes reach the backend, then go away.
  await new Promise((r) => setTimeout(r, 100));
  req.destroy();
  assert.equal(await outcome, 'aborted');
});

test('a refused stream is sent again once when it has no body; with a body it is not', async () => {
  const r = await get(port, '/refuse-once/get');
  assert.equal(r.status, 200);
  assert.equal(JSON.parse(r.body).path, '/refuse-once/get');
  const p = await get(port, '/refuse-once/post', { method: 'POST', body: 'payload' });
  assert.equal(p.status, 502);
});
