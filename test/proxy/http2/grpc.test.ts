// gRPC through the proxy: a client on node:http2 (h2c prior knowledge) → Wicket → a gRPC backend
// on node:http2 (an h2c cluster). Messages, metadata and trailers pass; the gateway's own errors
// come back as grpc-status in trailers-only answers.
import assert from 'node:assert/strict';
import { constants, type ClientHttp2Session } from 'node:http2';
import { after, before, test } from 'node:test';
import type { Cluster } from '../../../src/ir/types.ts';
import { setLogSink } from '../../../src/log.ts';
import { freePort, get, httpPort, ir, listener, match, newDataPlane, rule, vhost } from '../helpers.ts';
import { closeSession, grpcFrame, grpcHeaders, grpcMessages, h2c, h2request, startGrpcBackend, type GrpcBackend } from './h2-helpers.ts';

const dp = newDataPlane();
let backend: GrpcBackend;
let port: number;
let session: ClientHttp2Session;

before(async () => {
  backend = await startGrpcBackend();
  port = await freePort();
  const grpcCluster: Cluster = { name: 'default/grpc:8080/h2c', protocol: 'h2c', endpoints: [{ address: '127.0.0.1', port: backend.port, weight: 1 }] };
  const empty: Cluster = { name: 'default/empty:8080/h2c', protocol: 'h2c', endpoints: [] };
  const refused: Cluster = { name: 'default/refused:8080/h2c', protocol: 'h2c', endpoints: [{ address: '127.0.0.1', port: await freePort(), weight: 1 }] };
  const g = { grpc: true };
  const rules = [
    rule(match({ type: 'Exact', value: '/test.Echo/Hang' }), grpcCluster.name, [], { ...g, timeouts: { requestMs: 200 } }),
    rule(match({ type: 'PathPrefix', value: '/test.Empty' }), empty.name, [], g),
    rule(match({ type: 'PathPrefix', value: '/test.Refused' }), refused.name, [], g),
    rule(match({ type: 'PathPrefix', value: '/test.Invalid' }), [{ cluster: null, weight: 1, filters: [] }], [], g),
    rule(
      match({ type: 'PathPrefix', value: '/test.Echo' }),
      grpcCluster.name,
      [
        { type: 'RequestHeaderModifier', set: [{ name: 'x-added', value: 'by-gateway' }], add: [], remove: [] },
        { type: 'ResponseHeaderModifier', set: [{ name: 'x-resp', value: 'set' }], add: [], remove: [] },
      ],
      g,
    ),
  ];
  await dp.apply(ir([httpPort(port, [listener('http', [vhost('grpc.example.com', rules)])])], [grpcCluster, empty, refused]));
  session = h2c(port);
});

after(async () => {
  await closeSession(session);
  await dp.drain(1000);
  await backend.close();
});

test('a unary call passes message, metadata and trailers both ways', async () => {
  const r = await h2request(session, grpcHeaders('/test.Echo/Say', 'grpc.example.com', { 'x-meta': 'm1' }), grpcFrame('hello'));
  assert.equal(r.headers[':status'], 200);
  assert.equal(r.headers['content-type'], 'application/grpc');
  assert.equal(r.headers['x-meta-echo'], 'm1');
  assert.equal(r.headers['x-resp'], 'set', 'response header modifier applies to response metadata');
  assert.deepEqual(grpcMessages(r.body).map(String), ['HELLO']);
  assert.equal(r.trailers?.['grpc-status'], '0');
  assert.equal(r.trailers?.['grpc-message'], 'fine');
  const seen = backend.seen.at(-1)!;
  assert.equal(seen.headers['te'], 'trailers');
  assert.equal(seen.headers[':authority'], 'grpc.example.com');
  assert.equal(seen.headers['x-added'], 'by-gateway', 'request header modifier applies to metadata');
  assert.equal(seen.headers['x-forwarded-for'], '127.0.0.1');
});

test('a trailers-only error from the backend stays trailers-only', async () => {
  const r = await h2request(session, grpcHeaders('/test.Echo/Fail'), grpcFrame('x'));
  assert.equal(r.headers[':status'], 200);
  assert.equal(r.headers['grpc-status'], '5');
  assert.equal(r.headers['grpc-message'], 'no such thing');
  assert.equal(r.body.length, 0);
  assert.equal(r.trailers, null);
});

test('no matching route answers UNIMPLEMENTED (12) as a trailers-only response', async () => {
  const r = await h2request(session, grpcHeaders('/other.Service/Method'), grpcFrame('x'));
  assert.equal(r.headers[':status'], 200);
  assert.equal(r.headers['content-type'], 'application/grpc');
  assert.equal(r.headers['grpc-status'], '12');
  assert.equal(r.body.length, 0);
  assert.equal(r.trailers, null);
  // Not for a plain HTTP request: that still gets a 404.
  const plain = await h2request(session, { ':path': '/other', ':authority': 'grpc.example.com' });
  assert.equal(plain.headers[':status'], 404);
});

test('no endpoints, an invalid backend and a refused connection answer UNAVAILABLE (14)', async () => {
  for (const path of ['/test.Empty/M', '/test.Invalid/M', '/test.Refused/M']) {
    const r = await h2request(session, grpcHeaders(path), grpcFrame('x'));
    assert.equal(r.headers[':status'], 200, path);
    assert.equal(r.headers['grpc-status'], '14', path);
  }
});

test('a request timeout answers DEADLINE_EXCEEDED (4) and cancels the backend stream', async () => {
  const r = await h2request(session, grpcHeaders('/test.Echo/Hang'), grpcFrame('x'));
  assert.equal(r.headers['grpc-status'], '4');
  for (let i = 0; i < 100 && !backend.cancelled.includes('/test.Echo/Hang'); i++) await new Promise((res) => setTimeout(res, 10));
  assert.ok(backend.cancelled.includes('/test.Echo/Hang'), 'the backend saw RST_STREAM(CANCEL)');
});

test('a large streamed response read slowly arrives whole, then its trailers', async () => {
  // 64 messages of 64 KiB: far beyond the flow-control windows, so the proxy must pause the
  // backend while the client does not read, and keep every byte when the trailers come early.
  const s = session.request(grpcHeaders('/test.Echo/Stream'), { endStream: false });
  s.end(grpcFrame('64:65536'));
  let bytes = 0;
  let trailers: Record<string, unknown> | null = null;
  await new Promise<void>((resolve, reject) => {
    s.on('trailers', (t) => (trailers = t));
    s.on('data', (c: Buffer) => {
      bytes += c.length;
      // Stop reading now and then so backpressure reaches the backend.
      if (bytes % (1 << 20) < c.length) {
        s.pause();
        setTimeout(() => s.resume(), 20);
      }
    });
    s.on('end', resolve);
    s.on('error', reject);
  });
  assert.equal(bytes, 64 * (65536 + 5));
  assert.equal((trailers as Record<string, unknown> | null)?.['grpc-status'], '0');
});

test('HTTP/1.1 clients reach the gRPC backend over HTTP/2 and get gRPC errors as headers', async () => {
  const r = await get(port, '/nothing.Here/M', { method: 'POST', host: 'grpc.example.com', headers: { 'content-type': 'application/grpc' }, body: grpcFrame('x') });
  assert.equal(r.status, 200);
  assert.equal(r.headers['grpc-status'], '12');
});

test('a client RST_STREAM cancels the upstream gRPC stream', async () => {
  // A method the backend never answers, on the rule without a timeout.
  const s = session.request(grpcHeaders('/test.Echo/Silent', 'grpc.example.com', { 'x-case': 'rst' }), { endStream: false });
  s.on('error', () => {});
  s.end(grpcFrame('x'));
  // Wait until the backend has the stream, then reset it from the client.
  for (let i = 0; i < 200 && !backend.seen.some((x) => x.headers['x-case'] === 'rst'); i++) await new Promise((res) => setTimeout(res, 5));
  s.close(constants.NGHTTP2_CANCEL);
  for (let i = 0; i < 200 && !backend.cancelled.includes('/test.Echo/Silent'); i++) await new Promise((res) => setTimeout(res, 5));
  assert.ok(backend.cancelled.includes('/test.Echo/Silent'), 'the backend saw RST_STREAM(CANCEL)');
});

test('a backend that finishes before the client half-closes still delivers its trailers', async () => {
  const s = session.request(grpcHeaders('/test.Echo/Early'), { endStream: false });
  s.on('error', () => {});
  s.write(grpcFrame('first'));
  const chunks: Buffer[] = [];
  const outcome = await new Promise<{ trailers: Record<string, unknown> | null }>((resolve) => {
    let trailers: Record<string, unknown> | null = null;
    s.on('trailers', (t) => (trailers = t));
    s.on('data', (c: Buffer) => chunks.push(c));
    // The response ends (or, if broken, the stream is reset) while the client is still sending.
    s.on('end', () => resolve({ trailers }));
    s.on('close', () => resolve({ trailers }));
  });
  s.close();
  assert.deepEqual(grpcMessages(Buffer.concat(chunks)).map(String), ['done']);
  assert.equal(outcome.trailers?.['grpc-status'], '0');
  assert.equal(outcome.trailers?.['grpc-message'], 'early');
});

test('the access log carries grpc-status next to the HTTP status', async () => {
  const lines: Record<string, unknown>[] = [];
  setLogSink((line) => lines.push(JSON.parse(line)));
  const logged = newDataPlane({ accessLog: true });
  try {
    const p = await freePort();
    const c: Cluster = { name: 'g', protocol: 'h2c', endpoints: [{ address: '127.0.0.1', port: backend.port, weight: 1 }] };
    await logged.apply(ir([httpPort(p, [listener('http', [vhost('*', [rule(match({ type: 'PathPrefix', value: '/test.Echo' }), 'g', [], { grpc: true })])])])], [c]));
    const s = h2c(p);
    await h2request(s, grpcHeaders('/test.Echo/Say'), grpcFrame('a'));
    await h2request(s, grpcHeaders('/test.Echo/Fail'), grpcFrame('a'));
    await h2request(s, grpcHeaders('/nope.Svc/M'), grpcFrame('a'));
    await closeSession(s);
    const access = lines.filter((l) => l.msg === 'access').map((l) => [l.path, l.status, l.grpc_status]);
    assert.deepEqual(access, [
      ['/test.Echo/Say', 200, '0'],
      ['/test.Echo/Fail', 200, '5'],
      ['/nope.Svc/M', 200, '12'],
    ]);
  } finally {
    await logged.drain(1000);
    setLogSink((line) => process.stderr.write(line + '\n'));
  }
});
