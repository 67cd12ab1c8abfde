// AllowInsecureFallback must admit a client whose certificate fails verification with
// CERT_SIGNATURE_FAILURE (issued by another CA with the same subject, as the conformance suite's
// per-port CA is). OpenSSL leaves errors from that verification on its queue, and unless the
// front end clears them the connection dies on its next read (GatewayFrontendClientCertificate-
// ValidationInsecureFallback failed with EOF that way).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { createServer as createNetServer, type Server as NetServer } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { IRPort } from '../../src/ir/types.ts';
import { cluster, freePort, ir, listener, match, newDataPlane, rule, startBackend, vhost, type Backend } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'wicket-fallback-'));
const file = (name: string) => readFileSync(join(dir, name), 'utf8');
const openssl = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });

const dp = newDataPlane();
let backend: Backend;
let port: number;
/** A TLS listener terminating for a TLSRoute (the layer-4 path), also AllowInsecureFallback. */
let l4Port: number;
let tcpEcho: NetServer;

before(async () => {
  // Two CAs with the same subject and no key identifiers, so OpenSSL picks the trusted one as the
  // issuer and fails on the signature.
  for (const ca of ['ca1', 'ca2']) {
    openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${ca}.key`, '-out', `${ca}.pem`, '-days', '2', '-subj', '/CN=Same CA',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'subjectKeyIdentifier=none', '-addext', 'authorityKeyIdentifier=none']);
  }
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'srv.key', '-out', 'srv.pem', '-days', '2', '-subj', '/CN=server', '-addext', 'subjectAltName=DNS:example.org']);
  for (const ca of ['ca1', 'ca2']) {
    openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `client-${ca}.key`, '-out', `client-${ca}.csr`, '-subj', '/CN=client']);
    writeFileSync(join(dir, 'ext'), 'extendedKeyUsage=clientAuth\nsubjectKeyIdentifier=none\nauthorityKeyIdentifier=none\n');
    openssl(['x509', '-req', '-in', `client-${ca}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-set_serial', '7', '-out', `client-${ca}.pem`, '-days', '2', '-extfile', 'ext']);
  }
  backend = await startBackend('fallback-backend');
  port = await freePort();
  const l = listener('https', [vhost('*', [rule(match(), 'b')])]);
  l.protocol = 'HTTPS';
  l.tls = {
    mode: 'Terminate',
    certificates: [{ source: 'ns/srv', certPem: file('srv.pem'), keyPem: file('srv.key'), dnsNames: ['example.org'] }],
    clientValidation: { caPem: file('ca1.pem'), mode: 'AllowInsecureFallback' },
  };
  const p: IRPort = { name: `127.0.0.1:${port}/tls`, address: '127.0.0.1', port, kind: 'tls', listeners: [l] };
  tcpEcho = createNetServer((s) => {
    s.on('error', () => {});
    s.pipe(s);
  });
  await new Promise<void>((r) => tcpEcho.listen(0, '127.0.0.1', r));
  l4Port = await freePort();
  const l4: IRPort = {
    name: `127.0.0.1:${l4Port}/tls`,
    address: '127.0.0.1',
    port: l4Port,
    kind: 'tls',
    listeners: [
      {
        name: 'default/gw/tls',
        gateway: 'default/gw',
        protocol: 'TLS',
        hostname: 'example.org',
        tls: { ...l.tls, mode: 'Terminate' },
        tlsRoutes: [{ route: 'TLSRoute/default/t', hostnames: ['example.org'], backends: [{ cluster: 'echo', weight: 1, filters: [] }] }],
      },
    ],
  };
  const echo = { name: 'echo', protocol: 'tcp' as const, endpoints: [{ address: '127.0.0.1', port: (tcpEcho.address() as { port: number }).port, weight: 1 }] };
  assert.deepEqual((await dp.apply(ir([p, l4], [cluster('b', backend), echo]))).failedSockets, {});
});

after(async () => {
  await dp.drain(0);
  await backend.close();
  await new Promise<void>((r) => tcpEcho.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

function getWith(client: string | null): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port,
        servername: 'example.org',
        headers: { host: 'example.org', connection: 'close' },
        ca: file('srv.pem'),
        ...(client ? { cert: file(`${client}.pem`), key: file(`${client}.key`) } : {}),
        agent: false,
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

test('AllowInsecureFallback serves a client whose certificate has a bad signature', async () => {
  assert.equal(await getWith('client-ca1'), 200);
  for (let i = 0; i < 3; i++) assert.equal(await getWith('client-ca2'), 200);
  assert.equal(await getWith(null), 200);
});

function echoWith(client: string | null): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = tlsConnect({
      host: '127.0.0.1',
      port: l4Port,
      servername: 'example.org',
      ca: file('srv.pem'),
      ...(client ? { cert: file(`${client}.pem`), key: file(`${client}.key`) } : {}),
    });
    let got = '';
    sock.on('secureConnect', () => sock.write('ping\n'));
    sock.on('data', (d) => {
      got += d.toString();
      if (got.includes('\n')) {
        sock.end();
        resolve(got.trim());
      }
    });
    sock.on('error', reject);
    sock.on('close', () => resolve(got.trim()));
  });
}

test('a terminating TLS listener (TLSRoute) with AllowInsecureFallback does the same', async () => {
  assert.equal(await echoWith('client-ca1'), 'ping');
  for (let i = 0; i < 3; i++) assert.equal(await echoWith('client-ca2'), 'ping');
  assert.equal(await echoWith(null), 'ping');
});
