// HTTP/2 over TLS: ALPN offers h2 and http/1.1 on HTTPS ports, SNI picks the certificate as for
// HTTP/1.1, misdirected requests (SNI and :authority on different listeners) get 421, a listener
// that requires client certificates refuses h2 clients without one, HTTPS listeners on a port
// shared with TLS passthrough (the layer-4 dispatcher) speak h2 too, and an h2c cluster with
// BackendTLSPolicy is reached over TLS with ALPN h2.
import assert from 'node:assert/strict';
import { request as httpsRequest } from 'node:https';
import { connect, createSecureServer, type ClientHttp2Session, type Http2SecureServer } from 'node:http2';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { after, before, test } from 'node:test';
import type { Cluster, IRListener, IRPort } from '../../../src/ir/types.ts';
import { TestCA, type Leaf } from '../certs.ts';
import { cluster, freePort, ir, listener, match, newDataPlane, rule, startBackend, vhost, type Backend } from '../helpers.ts';
import { h2request } from './h2-helpers.ts';

const ca = new TestCA();
const dp = newDataPlane();
let echo: Backend;
let secureBackend: Http2SecureServer;
let tlsPort: number;
let mixedPort: number;
const certs: Record<string, Leaf> = {};

function tlsListener(name: string, hostname: string | undefined, leaf: Leaf, names: string[], to: string): IRListener {
  return {
    ...listener(name, [vhost(hostname ?? '*', [rule(match(), to, [{ type: 'ResponseHeaderModifier', set: [{ name: 'x-listener', value: name }], add: [], remove: [] }])])], hostname),
    protocol: 'HTTPS',
    tls: { mode: 'Terminate', certificates: [{ source: `default/${name}`, certPem: leaf.certPem, keyPem: leaf.keyPem, dnsNames: names }] },
  };
}

before(async () => {
  certs.foo = ca.leaf(['foo.example.com']);
  certs.wild = ca.leaf(['*.example.com']);
  certs.backend = ca.leaf(['backend.internal']);
  certs.client = ca.leaf(['good-client'], { clientAuth: true });
  echo = await startBackend('echo');
  secureBackend = createSecureServer({ key: certs.backend.keyPem, cert: certs.backend.certPem }, (req, res) => {
    req.resume();
    res.end(JSON.stringify({ httpVersion: req.httpVersion, alpn: (req.socket as TLSSocket).alpnProtocol, authority: req.headers[':authority'] }));
  });
  await new Promise<void>((r) => secureBackend.listen(0, '127.0.0.1', r));
  tlsPort = await freePort();
  mixedPort = await freePort();
  const strict = tlsListener('strict', 'strict.example.com', certs.wild, ['*.example.com'], 'echo');
  strict.tls!.clientValidation = { caPem: ca.certPem, mode: 'AllowValidOnly' };
  const secureH2: Cluster = {
    name: 'default/secure:443/tls',
    protocol: 'h2c',
    endpoints: [{ address: '127.0.0.1', port: (secureBackend.address() as AddressInfo).port, weight: 1 }],
    tls: { serverName: 'backend.internal', caPem: ca.certPem },
  };
  const tlsIR: IRPort = {
    name: `127.0.0.1:${tlsPort}/tls`,
    address: '127.0.0.1',
    port: tlsPort,
    kind: 'tls',
    listeners: [
      strict,
      tlsListener('foo', 'foo.example.com', certs.foo, ['foo.example.com'], 'echo'),
      {
        ...tlsListener('wild', '*.example.com', certs.wild, ['*.example.com'], 'echo'),
        virtualHosts: [
          vhost('*.example.com', [
            rule(match({ type: 'PathPrefix', value: '/secure' }), secureH2.name),
            rule(match(), 'echo', [{ type: 'ResponseHeaderModifier', set: [{ name: 'x-listener', value: 'wild' }], add: [], remove: [] }]),
          ]),
        ],
      },
    ],
  };
  // A TLS port with a passthrough listener too: served by the layer-4 dispatcher, which hands
  // HTTPS connections to the HTTP engine.
  const mixedIR: IRPort = {
    name: `127.0.0.1:${mixedPort}/tls`,
    address: '127.0.0.1',
    port: mixedPort,
    kind: 'tls',
    listeners: [
      tlsListener('foo', 'foo.example.com', certs.foo, ['foo.example.com'], 'echo'),
      { name: 'default/gw/pass', gateway: 'default/gw', protocol: 'TLS', hostname: 'pass.example.org', tls: { mode: 'Passthrough', certificates: [] }, tlsRoutes: [] },
    ],
  };
  const result = await dp.apply(ir([tlsIR, mixedIR], [cluster('echo', echo), secureH2]));
  assert.deepEqual(result.failedSockets, {});
});

after(async () => {
  await dp.drain(1000);
  await echo.close();
  await new Promise<void>((r) => secureBackend.close(() => r()));
  ca.dispose();
});

function h2tls(port: number, servername: string, extra: { cert?: string; key?: string } = {}): Promise<ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const s = connect(`https://127.0.0.1:${port}`, { ca: ca.certPem, servername, ...extra });
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

async function h2get(port: number, servername: string, authority: string, path = '/'): Promise<{ status: number; listener: string; alpn: string; body: string }> {
  const s = await h2tls(port, servername);
  try {
    const r = await h2request(s, { ':path': path, ':authority': authority });
    return { status: Number(r.headers[':status']), listener: String(r.headers['x-listener']), alpn: String(s.alpnProtocol), body: r.body.toString() };
  } finally {
    s.close();
  }
}

test('ALPN negotiates h2, and SNI and :authority route as for HTTP/1.1', async () => {
  const r = await h2get(tlsPort, 'foo.example.com', 'foo.example.com');
  assert.equal(r.alpn, 'h2');
  assert.equal(r.status, 200);
  assert.equal(r.listener, 'foo');
  const seen = echo.seen.at(-1)!;
  assert.equal(seen.headers.host, 'foo.example.com');
  assert.equal(seen.headers['x-forwarded-proto'], 'https');
  assert.equal((await h2get(tlsPort, 'bar.example.com', 'bar.example.com')).listener, 'wild');
});

test('HTTP/1.1 clients still get http/1.1 on the same port', async () => {
  const status = await new Promise<{ status: number; alpn: unknown }>((resolve, reject) => {
    const req = httpsRequest(
      { host: '127.0.0.1', port: tlsPort, path: '/', servername: 'foo.example.com', headers: { host: 'foo.example.com' }, ca: ca.certPem, agent: false },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode!, alpn: (res.socket as TLSSocket).alpnProtocol }));
      },
    );
    req.on('error', reject);
    req.end();
  });
  assert.equal(status.status, 200);
  assert.notEqual(status.alpn, 'h2');
});

test('a misdirected HTTP/2 request (SNI and :authority on different listeners) gets 421', async () => {
  assert.equal((await h2get(tlsPort, 'foo.example.com', 'bar.example.com')).status, 421);
  assert.equal((await h2get(tlsPort, 'bar.example.com', 'foo.example.com')).status, 421);
  // Same listener for both names: served.
  assert.equal((await h2get(tlsPort, 'bar.example.com', 'baz.example.com')).status, 200);
});

test('a listener requiring client certificates refuses h2 clients without one', async () => {
  await assert.rejects(async () => {
    const s = await h2tls(tlsPort, 'strict.example.com');
    try {
      await h2request(s, { ':path': '/', ':authority': 'strict.example.com' });
    } finally {
      s.destroy();
    }
  });
  const s = await h2tls(tlsPort, 'strict.example.com', { cert: certs.client.certPem, key: certs.client.keyPem });
  const r = await h2request(s, { ':path': '/', ':authority': 'strict.example.com' });
  s.close();
  assert.equal(r.headers[':status'], 200);
  assert.equal(r.headers['x-listener'], 'strict');
});

test('HTTPS listeners behind the TLS dispatcher speak h2', async () => {
  const r = await h2get(mixedPort, 'foo.example.com', 'foo.example.com');
  assert.equal(r.alpn, 'h2');
  assert.equal(r.status, 200);
  assert.equal(r.listener, 'foo');
});

test('an h2c cluster with backend TLS is reached with ALPN h2', async () => {
  const r = await h2get(tlsPort, 'bar.example.com', 'bar.example.com', '/secure');
  assert.equal(r.status, 200);
  const seen = JSON.parse(r.body);
  assert.equal(seen.httpVersion, '2.0');
  assert.equal(seen.alpn, 'h2');
  assert.equal(seen.authority, 'bar.example.com');
});
