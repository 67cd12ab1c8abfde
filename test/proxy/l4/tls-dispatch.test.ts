import assert from 'node:assert/strict';
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import type { Certificate, Cluster, IRPort } from '../../../src/ir/types.ts';
import { L4Metrics, MemoryRegistry } from '../../../src/proxy/l4/metrics.ts';
import { TlsDispatcher, type TlsDispatchOptions } from '../../../src/proxy/l4/tls-dispatch.ts';
import {
  backends,
  cluster,
  isRejected,
  l4Route,
  listener,
  makeCerts,
  port,
  readLines,
  tcpBackend,
  tlsBackend,
  tlsGreeting,
  type Pem,
} from './helpers.ts';

type Backend = Awaited<ReturnType<typeof tlsBackend>>;

describe('TLS port dispatch', () => {
  let certs: ReturnType<typeof makeCerts>;
  let ca: string;
  let A: Backend, B: Backend, W1: Backend, W2: Backend;
  let plain: Awaited<ReturnType<typeof tcpBackend>>;
  const servers: { close(): Promise<void> }[] = [];

  before(async () => {
    certs = makeCerts({
      a: ['a.example.com'],
      b: ['b.example.com'],
      wild: ['*.example.com'],
      gw: ['term.example.com'],
      web: ['web.example.com'],
      client: ['client.test'],
    });
    ca = certs.ca.cert;
    A = await tlsBackend('A', certs.leaf.a!);
    B = await tlsBackend('B', certs.leaf.b!);
    W1 = await tlsBackend('W1', certs.leaf.wild!);
    W2 = await tlsBackend('W2', certs.leaf.wild!);
    plain = await tcpBackend('PLAIN');
    servers.push(A, B, W1, W2, plain);
  });

  after(async () => {
    for (const s of servers) await s.close();
    fs.rmSync(certs.dir, { recursive: true, force: true });
  });

  function clusters(): Record<string, Cluster> {
    return {
      a: cluster('a', [A.port]),
      b: cluster('b', [B.port]),
      w: cluster('w', [W1.port, W2.port]),
      w1: cluster('w1', [W1.port]),
      w2: cluster('w2', [W2.port]),
      plain: cluster('plain', [plain.port]),
      empty: cluster('empty', []),
    };
  }

  function passthroughPort(): IRPort {
    return port('tls', [
      listener('pass', 'TLS', {
        tls: { mode: 'Passthrough', certificates: [] },
        tlsRoutes: [
          l4Route('TLSRoute/ns/star', backends(['w', 1]), ['*.example.com']),
          l4Route('TLSRoute/ns/a', backends(['a', 1]), ['a.example.com']),
          l4Route('TLSRoute/ns/b', backends(['b', 1]), ['b.example.com']),
          l4Route('TLSRoute/ns/split', backends(['w1', 3], [null, 1]), ['split.example.com']),
          l4Route('TLSRoute/ns/void', backends(['empty', 1]), ['void.example.com']),
        ],
      }),
    ]);
  }

  async function start(p: IRPort, opts: TlsDispatchOptions = {}) {
    const registry = new MemoryRegistry();
    const d = new TlsDispatcher(p, clusters(), { metrics: new L4Metrics(registry), ...opts });
    const addr = await d.listen();
    servers.push({ close: () => d.close(0) });
    return { d, port: addr.port, registry };
  }

  it('passes TLS through to the backend chosen by SNI; the client verifies the backend\'s own certificate', async () => {
    const { port: p, registry } = await start(passthroughPort());
    assert.equal(await tlsGreeting(p, 'a.example.com', ca), 'A');
    assert.equal(await tlsGreeting(p, 'b.example.com', ca), 'B');
    assert.equal(A.seen.at(-1), 'a.example.com', 'the backend sees the original SNI');
    assert.equal(B.seen.at(-1), 'b.example.com');
    // The gateway holds no certificate for these names: only passthrough can make them verify.
    assert.equal(registry.sum('wicket_l4_connections_total', { route: 'TLSRoute/ns/a', backend: 'a' }), 1);
  });

  it('prefers an exact route hostname over a wildcard, and a wildcard catches the rest', async () => {
    const { port: p } = await start(passthroughPort());
    assert.equal(await tlsGreeting(p, 'a.example.com', ca), 'A');
    const other = await tlsGreeting(p, 'other.example.com', ca);
    assert.ok(other === 'W1' || other === 'W2', other);
  });

  it('picks the most specific listener hostname first', async () => {
    const p = port('tls', [
      listener('exact', 'TLS', { hostname: 'a.example.com', tlsRoutes: [l4Route('TLSRoute/ns/a', backends(['a', 1]))] }),
      listener('wild', 'TLS', { hostname: '*.example.com', tlsRoutes: [l4Route('TLSRoute/ns/w', backends(['w1', 1]))] }),
    ]);
    // Listed wildcard-first on purpose: the table must not depend on the order for different specificity.
    p.listeners.reverse();
    const { port: pp } = await start(p);
    assert.equal(await tlsGreeting(pp, 'a.example.com', ca), 'A');
    assert.equal(await tlsGreeting(pp, 'b.example.com', ca), 'W1');
  });

  it('rejects an unknown SNI, a missing SNI, and non-TLS bytes', async () => {
    const { port: p, registry } = await start(passthroughPort());
    assert.ok(await isRejected(tlsGreeting(p, 'x.other.org', ca)));
    assert.ok(await isRejected(tlsGreeting(p, undefined, ca)), 'no SNI, and no route without hostnames');
    const plainText = await new Promise<string>((resolve) => {
      const s = net.connect(p, '127.0.0.1', () => s.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n'));
      s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
      s.on('close', () => resolve('closed'));
    });
    assert.ok(['ECONNRESET', 'closed'].includes(plainText), plainText);
    assert.equal(registry.sum('wicket_l4_rejected_total', { reason: 'no-route' }), 2);
    assert.equal(registry.sum('wicket_l4_rejected_total', { reason: 'bad-client-hello' }), 1);
  });

  it('resets a client that does not finish its ClientHello in time', async () => {
    const { port: p, registry } = await start(passthroughPort(), { helloTimeoutMs: 100 });
    const outcome = await new Promise<string>((resolve) => {
      const s = net.connect(p, '127.0.0.1', () => s.write(Buffer.from([0x16, 0x03, 0x01, 0x00, 0x80, 0x01])));
      s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
      s.on('close', () => resolve('closed'));
    });
    assert.ok(['ECONNRESET', 'closed'].includes(outcome), outcome);
    assert.equal(registry.sum('wicket_l4_rejected_total', { reason: 'hello-timeout' }), 1);
  });

  it('rejects the invalid backend\'s share of connections, by weight, and all of a backend without endpoints', async () => {
    const { port: p, registry } = await start(passthroughPort());
    const results: string[] = [];
    for (let i = 0; i < 8; i++) results.push(await tlsGreeting(p, 'split.example.com', ca).catch(() => 'rejected'));
    assert.equal(results.filter((r) => r === 'W1').length, 6);
    assert.equal(results.filter((r) => r === 'rejected').length, 2);
    assert.equal(registry.sum('wicket_l4_rejected_total', { reason: 'invalid-backend' }), 2);
    assert.ok(await isRejected(tlsGreeting(p, 'void.example.com', ca)));
    assert.equal(registry.sum('wicket_l4_rejected_total', { reason: 'no-endpoints' }), 1);
  });

  it('splits connections over weighted backends exactly over a full cycle', async () => {
    const p = port('tls', [
      listener('pass', 'TLS', { tlsRoutes: [l4Route('TLSRoute/ns/w', backends(['w1', 2], ['w2', 1]), ['*.example.com'])] }),
    ]);
    const { port: pp } = await start(p);
    const got: string[] = [];
    for (let i = 0; i < 9; i++) got.push(await tlsGreeting(pp, 'x.example.com', ca));
    assert.equal(got.filter((g) => g === 'W1').length, 6);
    assert.equal(got.filter((g) => g === 'W2').length, 3);
  });

  function terminatePort(reencrypt: boolean): { port: IRPort; clusters: Record<string, Cluster> } {
    const gw: Certificate = { source: 'ns/gw-cert', certPem: certs.leaf.gw!.cert, keyPem: certs.leaf.gw!.key, dnsNames: ['term.example.com'] };
    const target = reencrypt ? 'a-tls' : 'plain';
    return {
      port: port('tls', [
        listener('term', 'TLS', {
          hostname: 'term.example.com',
          tls: { mode: 'Terminate', certificates: [gw] },
          tlsRoutes: [l4Route('TLSRoute/ns/term', backends([target, 1]), ['term.example.com'])],
        }),
      ]),
      clusters: {
        ...clusters(),
        'a-tls': cluster('a-tls', [A.port], { protocol: 'tls', tls: { serverName: 'a.example.com', caPem: ca } }),
      },
    };
  }

  it('Terminate mode: ends TLS with the listener certificate and forwards plaintext', async () => {
    const t = terminatePort(false);
    const d = new TlsDispatcher(t.port, t.clusters);
    const { port: p } = await d.listen();
    try {
      const sock = tls.connect({ host: '127.0.0.1', port: p, servername: 'term.example.com', ca });
      await new Promise<void>((r) => sock.once('secureConnect', () => r()));
      assert.equal(sock.getPeerCertificate().subject.CN, 'term.example.com', 'the gateway\'s certificate');
      assert.deepEqual(await readLines(sock, 1), ['PLAIN'], 'the plain backend greets through the gateway');
      sock.write('ping\n');
      assert.deepEqual(await readLines(sock, 1), ['ping']);
      sock.end();
      assert.deepEqual(await readLines(sock, 1), [], 'half-close reaches the backend, which ends too');
    } finally {
      await d.close(0);
    }
  });

  it('Terminate mode with a BackendTLSPolicy: re-encrypts to the backend with its SNI', async () => {
    const t = terminatePort(true);
    const d = new TlsDispatcher(t.port, t.clusters);
    const { port: p } = await d.listen();
    try {
      const sock = tls.connect({ host: '127.0.0.1', port: p, servername: 'term.example.com', ca });
      assert.deepEqual(await readLines(sock, 1), ['A']);
      assert.equal(A.seen.at(-1), 'a.example.com');
      sock.destroy();
    } finally {
      await d.close(0);
    }
  });

  it('hands HTTPS listener connections, peeked bytes included, to the HTTP engine', async () => {
    const web: Pem = certs.leaf.web!;
    const httpsServer = https.createServer({ cert: web.cert, key: web.key }, (req, res) => res.end(`hello ${req.headers.host}`));
    const seen: string[] = [];
    const p = port('tls', [
      listener('web', 'HTTPS', { hostname: 'web.example.com' }),
      listener('pass', 'TLS', { tlsRoutes: [l4Route('TLSRoute/ns/a', backends(['a', 1]), ['a.example.com'])] }),
    ]);
    const d = new TlsDispatcher(p, clusters(), {
      onTerminate: (sock, l, hello) => {
        seen.push(`${l.name} ${hello.sni} ${hello.alpn?.join(',')}`);
        httpsServer.emit('connection', sock);
      },
    });
    const { port: pp } = await d.listen();
    try {
      const body = await new Promise<string>((resolve, reject) => {
        https
          .get({ host: '127.0.0.1', port: pp, servername: 'web.example.com', headers: { host: 'web.example.com' }, ca, agent: false, ALPNProtocols: ['http/1.1'] } as https.RequestOptions, (res) => {
            let b = '';
            res.on('data', (c) => (b += c));
            res.on('end', () => resolve(b));
          })
          .on('error', reject);
      });
      assert.equal(body, 'hello web.example.com');
      assert.deepEqual(seen, ['ns/gw/web web.example.com http/1.1']);
      assert.equal(await tlsGreeting(pp, 'a.example.com', ca), 'A', 'TLS passthrough shares the port');
    } finally {
      await d.close(0);
      httpsServer.close();
    }
  });

  it('sends connections no listener matches to the HTTP engine when the port has an HTTPS listener', async () => {
    const handed: string[] = [];
    const p = port('tls', [
      listener('web', 'HTTPS', { hostname: 'web.example.com' }),
      listener('pass', 'TLS', { hostname: 'a.example.com', tlsRoutes: [l4Route('TLSRoute/ns/a', backends(['a', 1]))] }),
    ]);
    const { port: pp } = await start(p, {
      onTerminate: (sock, l, hello) => {
        handed.push(`${l.name} ${hello.sni ?? '-'}`);
        sock.destroy();
      },
    });
    assert.ok(await isRejected(tlsGreeting(pp, 'unknown.example.org', ca)));
    assert.ok(await isRejected(tlsGreeting(pp, undefined, ca)));
    assert.deepEqual(handed, ['ns/gw/web unknown.example.org', 'ns/gw/web -']);
    assert.equal(await tlsGreeting(pp, 'a.example.com', ca), 'A');
  });

  it('Terminate mode with client validation: only clients with a certificate from the CA get through', async () => {
    const t = terminatePort(false);
    t.port.listeners[0]!.tls!.clientValidation = { caPem: ca, mode: 'AllowValidOnly' };
    const d = new TlsDispatcher(t.port, t.clusters);
    const { port: p } = await d.listen();
    try {
      const withCert = tls.connect({ host: '127.0.0.1', port: p, servername: 'term.example.com', ca, cert: certs.leaf.client!.cert, key: certs.leaf.client!.key });
      assert.deepEqual(await readLines(withCert, 1), ['PLAIN']);
      withCert.destroy();
      const without = tls.connect({ host: '127.0.0.1', port: p, servername: 'term.example.com', ca });
      without.on('error', () => {});
      assert.deepEqual(await readLines(without, 1).catch(() => []), [], 'no greeting without a client certificate');
      without.destroy();
    } finally {
      await d.close(0);
    }
  });

  it('update() swaps the table without dropping open connections', async () => {
    const { d, port: p } = await start(passthroughPort());
    const sock = tls.connect({ host: '127.0.0.1', port: p, servername: 'a.example.com', ca });
    assert.deepEqual(await readLines(sock, 1), ['A']);
    const moved = passthroughPort();
    moved.listeners[0]!.tlsRoutes = [l4Route('TLSRoute/ns/a', backends(['w1', 1]), ['a.example.com'])];
    d.update(moved, clusters());
    sock.write('still there\n');
    assert.deepEqual(await readLines(sock, 1), ['A:still there'], 'the open connection keeps its backend');
    assert.equal(await tlsGreeting(p, 'a.example.com', ca), 'W1', 'new connections use the new table');
    sock.end();
    await readLines(sock, 5);
  });

  it('close() stops accepting, lets open connections finish, then cuts them at the deadline', async () => {
    const d = new TlsDispatcher(passthroughPort(), clusters());
    const { port: p } = await d.listen();
    const sock = tls.connect({ host: '127.0.0.1', port: p, servername: 'a.example.com', ca });
    assert.deepEqual(await readLines(sock, 1), ['A']);
    const closed = d.close(200);
    assert.ok(await isRejected(tlsGreeting(p, 'a.example.com', ca)), 'no new connections');
    sock.write('during drain\n');
    assert.deepEqual(await readLines(sock, 1), ['A:during drain']);
    await closed; // the deadline cuts the connection the client kept open
    assert.ok(sock.destroyed || (await new Promise((r) => sock.once('close', () => r(true)))));
  });
});
