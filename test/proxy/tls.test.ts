// TLS termination with SNI over several listeners' certificates, routing by Host behind it, and
// TLS from the gateway to backends (BackendTLSPolicy): CA, server name, SANs, client certificate.
import assert from 'node:assert/strict';
import { createServer as createHttpsServer, request as httpsRequest, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { PeerCertificate, TLSSocket } from 'node:tls';
import { after, before, describe, test } from 'node:test';
import type { Cluster, IRListener, IRPort } from '../../src/ir/types.ts';
import { TestCA, type Leaf } from './certs.ts';
import { cluster, freePort, get, httpPort, ir, json, listener, match, newDataPlane, rule, startBackend, vhost, type Backend } from './helpers.ts';

const ca = new TestCA();
const otherCA = new TestCA();
const dp = newDataPlane();
let echo: Backend;
let tlsPort: number;
let httpPortNo: number;
let upstream: Server;
let upstreamPort: number;
let upstreamClientCN: string[] = [];
let mtlsPort: number;

const certs: Record<string, Leaf> = {};

function tlsListener(name: string, hostname: string | undefined, leaf: Leaf, leafNames: string[], routeTo: string): IRListener {
  return {
    ...listener(name, [vhost(hostname ?? '*', [rule(match(), routeTo, [{ type: 'ResponseHeaderModifier', set: [{ name: 'x-listener', value: name }], add: [], remove: [] }])])], hostname),
    protocol: 'HTTPS',
    tls: { mode: 'Terminate', certificates: [{ source: `default/${name}`, certPem: leaf.certPem, keyPem: leaf.keyPem, dnsNames: leafNames }] },
  };
}

before(async () => {
  certs.foo = ca.leaf(['foo.example.com']);
  certs.wild = ca.leaf(['*.example.com']);
  certs.other = ca.leaf(['other.org']);
  certs.backend = ca.leaf(['backend.internal', 'URI:spiffe://cluster.local/ns/default/sa/backend']);
  certs.gatewayClient = ca.leaf(['gateway-client'], { clientAuth: true });
  echo = await startBackend('echo');
  upstream = createHttpsServer({ key: certs.backend.keyPem, cert: certs.backend.certPem, ca: ca.certPem, requestCert: true, rejectUnauthorized: false }, (req, res) => {
    const peer = (req.socket as TLSSocket).getPeerCertificate();
    upstreamClientCN.push(peer && peer.subject ? String(peer.subject.CN) : '');
    req.resume();
    res.end(JSON.stringify({ backend: 'tls-backend', url: req.url, headers: req.headers }));
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  upstreamPort = (upstream.address() as AddressInfo).port;

  tlsPort = await freePort();
  httpPortNo = await freePort();
  const tlsPortIR: IRPort = {
    name: `127.0.0.1:${tlsPort}/tls`,
    address: '127.0.0.1',
    port: tlsPort,
    kind: 'tls',
    listeners: [
      tlsListener('foo', 'foo.example.com', certs.foo, ['foo.example.com'], 'echo'),
      tlsListener('wild', '*.example.com', certs.wild, ['*.example.com'], 'echo'),
      tlsListener('any', undefined, certs.other, ['other.org'], 'echo'),
    ],
  };
  const up = (name: string, tls: Cluster['tls']): Cluster => ({ name, protocol: 'http1', endpoints: [{ address: '127.0.0.1', port: upstreamPort, weight: 1 }], tls });
  const clusters: Cluster[] = [
    cluster('echo', echo),
    up('tls-ok', { serverName: 'backend.internal', caPem: ca.certPem }),
    up('tls-wrong-name', { serverName: 'not-the-backend.internal', caPem: ca.certPem }),
    up('tls-unknown-ca', { serverName: 'backend.internal', caPem: otherCA.certPem }),
    up('tls-san-uri', { serverName: 'backend.internal', caPem: ca.certPem, subjectAltNames: [{ type: 'URI', value: 'spiffe://cluster.local/ns/default/sa/backend' }] }),
    up('tls-san-wrong', { serverName: 'backend.internal', caPem: ca.certPem, subjectAltNames: [{ type: 'Hostname', value: 'elsewhere.internal' }] }),
    up('tls-client-cert', { serverName: 'backend.internal', caPem: ca.certPem, clientCertificate: { certPem: certs.gatewayClient.certPem, keyPem: certs.gatewayClient.keyPem } }),
  ];
  const plain = httpPort(httpPortNo, [
    listener('http', [
      vhost('*', ['tls-ok', 'tls-wrong-name', 'tls-unknown-ca', 'tls-san-uri', 'tls-san-wrong', 'tls-client-cert'].map((c) => rule(match({ type: 'PathPrefix', value: `/${c}` }), c))),
    ]),
  ]);
  mtlsPort = await freePort();
  certs.client = ca.leaf(['good-client'], { clientAuth: true });
  certs.strangerClient = otherCA.leaf(['stranger'], { clientAuth: true });
  const strict = tlsListener('strict', 'strict.example.com', certs.wild, ['*.example.com'], 'echo');
  strict.tls!.clientValidation = { caPem: ca.certPem, mode: 'AllowValidOnly' };
  const lax = tlsListener('lax', 'lax.example.com', certs.wild, ['*.example.com'], 'echo');
  lax.tls!.clientValidation = { caPem: ca.certPem, mode: 'AllowInsecureFallback' };
  const mtlsIR: IRPort = { name: `127.0.0.1:${mtlsPort}/tls`, address: '127.0.0.1', port: mtlsPort, kind: 'tls', listeners: [strict, lax] };
  const result = await dp.apply(ir([tlsPortIR, plain, mtlsIR], clusters));
  assert.deepEqual(result.failedSockets, {});
});

after(async () => {
  await dp.drain(1000);
  await echo.close();
  upstream.closeAllConnections();
  await new Promise<void>((r) => upstream.close(() => r()));
  ca.dispose();
  otherCA.dispose();
});

function tlsGet(servername: string | undefined, host: string): Promise<{ cn: string; status: number; listener: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port: tlsPort,
        path: '/',
        headers: { host },
        ca: ca.certPem,
        agent: false,
        ...(servername === undefined ? {} : { servername }),
        checkServerIdentity: () => undefined,
      },
      (res) => {
        const peer = (res.socket as TLSSocket).getPeerCertificate() as PeerCertificate;
        res.resume();
        res.on('end', () => resolve({ cn: String(peer.subject.CN), status: res.statusCode!, listener: String(res.headers['x-listener']) }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('TLS termination', () => {
  test('SNI picks the most specific listener certificate', async () => {
    assert.equal((await tlsGet('foo.example.com', 'foo.example.com')).cn, 'foo.example.com');
    assert.equal((await tlsGet('bar.example.com', 'bar.example.com')).cn, '*.example.com');
    assert.equal((await tlsGet('other.org', 'other.org')).cn, 'other.org');
  });
  test('without SNI the first certificate of the port is served', async () => {
    assert.equal((await tlsGet(undefined, 'foo.example.com')).cn, 'foo.example.com');
  });
  test('requests are routed by Host across the listeners of the port', async () => {
    const r = await tlsGet('bar.example.com', 'bar.example.com');
    assert.equal(r.status, 200);
    assert.equal(r.listener, 'wild');
    assert.equal((await tlsGet('foo.example.com', 'foo.example.com')).listener, 'foo');
    assert.equal((await tlsGet('x.other.net', 'x.other.net')).listener, 'any');
  });
  test('a Host that picks another listener than the SNI did is misdirected (421)', async () => {
    assert.equal((await tlsGet('foo.example.com', 'bar.example.com')).status, 421);
    assert.equal((await tlsGet('bar.example.com', 'foo.example.com')).status, 421);
    assert.equal((await tlsGet('bar.example.com', 'other.org')).status, 421);
    // Same listener (the wildcard one) for both names: served.
    assert.equal((await tlsGet('bar.example.com', 'baz.example.com')).status, 200);
    assert.equal((await tlsGet('x.other.net', 'other.org')).status, 200);
  });
  test('X-Forwarded-Proto is https', async () => {
    const seen = echo.seen.length;
    await tlsGet('foo.example.com', 'foo.example.com');
    assert.equal(echo.seen[seen]!.headers['x-forwarded-proto'], 'https');
  });
});

function mtlsGet(servername: string, client: Leaf | null): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port: mtlsPort,
        path: '/',
        servername,
        headers: { host: servername },
        ca: ca.certPem,
        agent: false,
        ...(client ? { cert: client.certPem, key: client.keyPem } : {}),
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode!));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('client certificate validation', () => {
  test('AllowValidOnly admits clients with a certificate from the CA and refuses the rest', async () => {
    assert.equal(await mtlsGet('strict.example.com', certs.client!), 200);
    await assert.rejects(mtlsGet('strict.example.com', null));
    await assert.rejects(mtlsGet('strict.example.com', certs.strangerClient!));
  });
  test('AllowInsecureFallback lets clients without a valid certificate through', async () => {
    assert.equal(await mtlsGet('lax.example.com', certs.client!), 200);
    assert.equal(await mtlsGet('lax.example.com', null), 200);
    assert.equal(await mtlsGet('lax.example.com', certs.strangerClient!), 200);
  });
});

describe('TLS to backends', () => {
  test('verifies the backend against the CA and server name', async () => {
    const r = await get(httpPortNo, '/tls-ok/x');
    assert.equal(r.status, 200);
    assert.equal(json(r).backend, 'tls-backend');
  });
  test('a name mismatch or an unknown CA fails with 502', async () => {
    assert.equal((await get(httpPortNo, '/tls-wrong-name')).status, 502);
    assert.equal((await get(httpPortNo, '/tls-unknown-ca')).status, 502);
  });
  test('subjectAltNames replace the server name check', async () => {
    assert.equal((await get(httpPortNo, '/tls-san-uri')).status, 200);
    assert.equal((await get(httpPortNo, '/tls-san-wrong')).status, 502);
  });
  test('the gateway presents its client certificate', async () => {
    upstreamClientCN = [];
    assert.equal((await get(httpPortNo, '/tls-client-cert')).status, 200);
    assert.deepEqual(upstreamClientCN, ['gateway-client']);
  });
});

describe('certificate rotation', () => {
  test('a new certificate for the same port serves new connections without rebinding', async () => {
    const dp2 = newDataPlane();
    const p = await freePort();
    const first = ca.leaf(['rot.example.com']);
    const second = ca.leaf(['rot.example.com']);
    const cfg = (leaf: Leaf): IRPort => ({
      name: `127.0.0.1:${p}/tls`,
      address: '127.0.0.1',
      port: p,
      kind: 'tls',
      listeners: [tlsListener('rot', 'rot.example.com', leaf, ['rot.example.com'], 'echo')],
    });
    const fingerprint = (servername: string | undefined) =>
      new Promise<string>((resolve, reject) => {
        const req = httpsRequest(
          { host: '127.0.0.1', port: p, path: '/', headers: { host: 'rot.example.com' }, ca: ca.certPem, agent: false, ...(servername ? { servername } : {}), checkServerIdentity: () => undefined },
          (res) => {
            res.resume();
            res.on('end', () => resolve((res.socket as TLSSocket).getPeerCertificate().fingerprint256));
          },
        );
        req.on('error', reject);
        req.end();
      });
    await dp2.apply(ir([cfg(first)], [cluster('echo', echo)]));
    const before = await fingerprint('rot.example.com');
    const beforeNoSni = await fingerprint(undefined);
    const result = await dp2.apply(ir([cfg(second)], [cluster('echo', echo)]));
    assert.deepEqual(result.failedSockets, {});
    const after = await fingerprint('rot.example.com');
    const afterNoSni = await fingerprint(undefined);
    assert.notEqual(before, after);
    assert.equal(before, beforeNoSni);
    assert.equal(after, afterNoSni);
    await dp2.drain(1000);
  });
});
