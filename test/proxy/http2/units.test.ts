// The pure pieces of HTTP/2 and gRPC handling: header conversions across the HTTP/2 boundary,
// and the gateway's HTTP statuses as gRPC codes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { flatToH2Request, flatToH2Response, flatToH2Trailers, h2HeadersToFlat, h2RequestToFlat, teWantsTrailers } from '../../../src/proxy/frontend/h2-headers.ts';
import { encodeGrpcMessage, grpcCodeFor, grpcErrorResponse, grpcStatusIn, isGrpcContentType } from '../../../src/proxy/grpc/status.ts';

test('an HTTP/2 request becomes a flat list: host from :authority first, no pseudo-headers, cookies joined', () => {
  const raw = [':method', 'GET', ':path', '/x', ':authority', 'a.example', ':scheme', 'https', 'cookie', 'a=1', 'x-one', '1', 'cookie', 'b=2', 'host', 'ignored.example'];
  assert.deepEqual(h2RequestToFlat(raw, 'a.example'), ['host', 'a.example', 'x-one', '1', 'cookie', 'a=1; b=2']);
  // Without :authority the host field is used.
  assert.deepEqual(h2RequestToFlat([':path', '/', 'host', 'h.example'], undefined), ['host', 'h.example']);
});

test('a flat list becomes an HTTP/2 request: connection fields dropped, te only as trailers', () => {
  const list = ['Host', 'b.example', 'Connection', 'keep-alive', 'Keep-Alive', '5', 'Transfer-Encoding', 'chunked', 'Upgrade', 'x', 'TE', 'trailers, deflate', 'X-A', '1', 'x-a', '2', 'Cookie', 'c=1'];
  const h = flatToH2Request(list, 'POST', '/p?q', 'http', '10.0.0.1:80', false);
  assert.deepEqual(h, { ':method': 'POST', ':scheme': 'http', ':path': '/p?q', ':authority': 'b.example', 'x-a': ['1', '2'], cookie: 'c=1', te: 'trailers' });
  const g = flatToH2Request(['content-type', 'application/grpc'], 'POST', '/s/m', 'http', '10.0.0.1:80', true);
  assert.equal(g[':authority'], '10.0.0.1:80', 'the endpoint when the list has no host');
  assert.equal(g.te, 'trailers', 'gRPC always asks for trailers');
  assert.equal(flatToH2Request(['te', 'gzip'], 'GET', '/', 'http', 'e', false).te, undefined);
});

test('responses and trailers: names lower-cased, repeated fields kept, connection fields dropped', () => {
  const r = flatToH2Response(200, ['Content-Type', 'text/plain', 'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2', 'Connection', 'close', 'Transfer-Encoding', 'chunked']);
  assert.deepEqual(r, { ':status': 200, 'content-type': 'text/plain', 'set-cookie': ['a=1', 'b=2'] });
  assert.deepEqual(flatToH2Trailers([Buffer.from('grpc-status'), Buffer.from('0')]), { 'grpc-status': '0' });
  assert.deepEqual(h2HeadersToFlat({ ':status': '200', 'x-m': ['1', '2'], 'grpc-status': '0' } as import('node:http2').IncomingHttpHeaders), ['x-m', '1', 'x-m', '2', 'grpc-status', '0']);
});

test('te asks for trailers only with the trailers token', () => {
  assert.equal(teWantsTrailers('trailers'), true);
  assert.equal(teWantsTrailers('gzip, Trailers;q=1'), true);
  assert.equal(teWantsTrailers('gzip'), false);
  assert.equal(teWantsTrailers(undefined), false);
});

test('gRPC content types, not gRPC-Web', () => {
  for (const ct of ['application/grpc', 'application/grpc+proto', 'Application/GRPC;charset=utf-8']) assert.equal(isGrpcContentType(ct), true, ct);
  for (const ct of ['application/grpc-web', 'application/grpc-web+proto', 'application/json', undefined]) assert.equal(isGrpcContentType(ct), false, String(ct));
});

test('gateway statuses as gRPC codes, trailers-only', () => {
  assert.equal(grpcCodeFor(404), 12);
  assert.equal(grpcCodeFor(503), 14);
  assert.equal(grpcCodeFor(500), 14);
  assert.equal(grpcCodeFor(502), 14);
  assert.equal(grpcCodeFor(504), 4);
  assert.equal(grpcCodeFor(401), 16);
  assert.equal(grpcCodeFor(403), 7);
  assert.equal(grpcCodeFor(418), 2);
  const r = grpcErrorResponse(404);
  assert.equal(r.status, 200);
  assert.equal(r.body, '');
  assert.equal(grpcStatusIn(r.headers), '12');
  assert.equal(encodeGrpcMessage('50% done\n'), '50%25 done%0A');
  assert.equal(encodeGrpcMessage('é'), '%C3%A9');
});
