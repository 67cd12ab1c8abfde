// The data plane serves every port kind through one apply(): TCP ports and TLS ports with a
// passthrough listener go to the layer-4 servers, and the HTTPS listener sharing such a TLS port
// still reaches the HTTP engine (routing, filters) through the TLS dispatcher.
import assert from 'node:assert/strict';
import { createServer as createHttpsServer, request as httpsRequest, type Server } from 'node:https';
import { connect, createServer as createNetServer, type AddressInfo, type Server as NetServer } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { after, before, test } from 'node:test';
import type { IRPort } from '../../src/ir/types.ts';
import { TestCA } from './certs.ts';
import { cluster, freePort, ir, listener, match, newDataPlane, rule, startBackend, vhost, type Backend } from './helpers.ts';

const ca = new TestCA();
const dp = newDataPlane();
let echo: Backend;
let tcpEcho: NetServer;
let passBackend: Server;
let tcpPort: number;
let tlsPort: number;

before(async () => {
  const web = ca.leaf(['web.example.com']);
  const pass = ca.leaf(['pass.example.com']);
  echo = await startBackend('echo');
  tcpEcho = createNetServer((s) => s.pipe(s));
  await new Promise<void>((r) => tcpEcho.listen(0, '127.0.0.1', r));
  passBackend = createHttpsServer({ key: pass.keyPem, cert: pass.certPem }, (req, res) => {
    req.resume();
    res.end('from passthrough backend');
  });
  await new Promise<void>((r) => passBackend.listen(0, '127.0.0.1', r));
  tcpPort = await freePort();
  tlsPort = await freePort();
  const tcp: IRPort = {
    name: `127.0.0.1:${tcpPort}/tcp`,
    address: '127.0.0.1',
    port: tcpPort,
    kind: 'tcp',
    listeners: [{ name: 'default/gw/tcp', gateway: 'default/gw', protocol: 'TCP', l4Route: { route: 'TCPRoute/default/t', backends: [{ cluster: 'tcp-echo', weight: 1, filters: [] }] } }],
  };
  const tls: IRPort = {
    name: `127.0.0.1:${tlsPort}/tls`,
    address: '127.0.0.1',
    port: tlsPort,
    kind: 'tls',
    listeners: [
      {
        name: 'default/gw/pass',
        gateway: 'default/gw',
        protocol: 'TLS',
        hostname: 'pass.example.com',
        tls: { mode: 'Passthrough', certificates: [] },
        tlsRoutes: [{ route: 'TLSRoute/default/p', hostnames: ['pass.example.com'], backends: [{ cluster: 'pass', weight: 1, filters: [] }] }],
      },
      {
        ...listener('web', [vhost('web.example.com', [rule(match(), 'echo')])], 'web.example.com'),
        protocol: 'HTTPS',
        tls: { mode: 'Terminate', certificates: [{ source: 'default/web', certPem: web.certPem, keyPem: web.keyPem, dnsNames: ['web.example.com'] }] },
      },
    ],
  };
  const clusters = [
    cluster('echo', echo),
    { ...cluster('tcp-echo', { port: (tcpEcho.address() as AddressInfo).port }), protocol: 'tcp' as const },
    { ...cluster('pass', { port: (passBackend.address() as AddressInfo).port }), protocol: 'tls' as const },
  ];
  const result = await dp.apply(ir([tcp, tls], clusters));
  assert.deepEqual(result.failedSockets, {});
});

after(async () => {
  await dp.drain(1000);
  await echo.close();
  await new Promise<void>((r) => tcpEcho.close(() => r()));
  passBackend.closeAllConnections();
  await new Promise<void>((r) => passBackend.close(() => r()));
  ca.dispose();
});

function tlsGet(servername: string): Promise<{ cn: string; body: string; status: number }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port: tlsPort, path: '/', servername, headers: { host: servername }, ca: ca.certPem, agent: false }, (res) => {
      const cn = String((res.socket as TLSSocket).getPeerCertificate().subject.CN);
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ cn, body, status: res.statusCode! }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('a TCP port forwards bytes both ways', async () => {
  const got = await new Promise<string>((resolve, reject) => {
    const s = connect(tcpPort, '127.0.0.1', () => s.end('ping'));
    let data = '';
    s.on('data', (c) => (data += c));
    s.on('end', () => resolve(data));
    s.on('error', reject);
  });
  assert.equal(got, 'ping');
});

test('TLS passthrough and HTTPS termination share one TLS port', async () => {
  const p = await tlsGet('pass.example.com');
  assert.equal(p.cn, 'pass.example.com');
  assert.equal(p.body, 'from passthrough backend');
  const w = await tlsGet('web.example.com');
  assert.equal(w.cn, 'web.example.com');
  assert.equal(w.status, 200);
  assert.equal(JSON.parse(w.body).headers['x-forwarded-proto'], 'https');
});
