// The multi-process data plane (`--workers N`): real worker processes, real sockets, real HTTP.
// Two workers share each port through SO_REUSEPORT; the tests check that port 0 becomes one port
// for all of them, that both serve, that apply() resolves only once every worker serves the new
// configuration, that a killed worker is replaced and serves again, and that drain finishes
// requests in flight before the port closes.
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { request as httpsRequest } from 'node:https';
import net from 'node:net';
import { after, test } from 'node:test';
import type { IR } from '../../../src/ir/types.ts';
import { setLogLevel } from '../../../src/log.ts';
import { createWorkerDataPlane, type WorkerDataPlane } from '../../../src/proxy/workers/index.ts';
import { cluster, get, httpPort, ir, json, listener, match, rule, startBackend, vhost, type Backend } from '../helpers.ts';
import * as l4 from '../l4/helpers.ts';
import { TestCA } from '../certs.ts';

const WORKERS = 2;
setLogLevel('error');

async function eventually(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; Date.now() < deadline; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Requests served per worker, from the per-worker series the pool adds to /metrics. */
function servedPerWorker(dp: WorkerDataPlane): number[] {
  const text = dp.workerMetrics().join('\n');
  const out: number[] = [];
  for (const m of text.matchAll(/^wicket_worker_http_requests_total\{worker="(\d+)"\} (\d+)$/gm)) out[Number(m[1])] = Number(m[2]);
  return out;
}

/** Per worker, the requests it sent to backend `name` (its own series; nothing swept them yet). */
function servedBy(dp: WorkerDataPlane, name: string): number[] {
  return dp
    .workerMetrics()
    .slice(0, WORKERS)
    .map((text) => {
      let n = 0;
      for (const m of text.matchAll(/^wicket_http_requests_total\{([^}]*)\} (\d+)$/gm)) if (m[1]!.includes(`backend="${name}"`)) n += Number(m[2]);
      return n;
    });
}

function oneRoute(backend: Backend, port = 0): IR {
  return ir([httpPort(port, [listener('http', [vhost('*', [rule(match(), backend.name)])])])], [cluster(backend.name, { port: backend.port })]);
}

const dp = createWorkerDataPlane({ workers: WORKERS, accessLog: false, logLevel: 'error', metricsPushMs: 50 });
const backends: Backend[] = [];
after(async () => {
  await dp.drain(0);
  for (const b of backends) await b.close();
});

async function backend(name: string): Promise<Backend> {
  const b = await startBackend(name);
  backends.push(b);
  return b;
}

let httpPortNumber = 0;

test('port 0 becomes one port that every worker binds, and every worker serves requests', async () => {
  const a = await backend('a');
  const res = await dp.apply(oneRoute(a));
  assert.deepEqual(res.failedSockets, {}, 'a second worker binding a different or taken port would fail here');
  const bound = [...dp.boundPorts().values()];
  assert.equal(bound.length, 1);
  httpPortNumber = bound[0]!.port;
  assert.notEqual(httpPortNumber, 0);
  // Fresh connections (no agent): the kernel hashes each to one of the workers' sockets.
  await eventually(async () => {
    for (let i = 0; i < 20; i++) assert.equal(json(await get(httpPortNumber, '/')).backend, 'a');
    const served = servedPerWorker(dp);
    return served.length === WORKERS && served.every((n) => n > 0);
  }, 'requests on every worker');
  const pids = dp.workerPids();
  assert.equal(new Set(pids).size, WORKERS);
  assert.ok(!pids.includes(process.pid));
});

test('apply() resolves only once every worker serves the new configuration', async () => {
  const b = await backend('b');
  // Same port name (port 0): the workers keep their sockets and swap the route.
  const res = await dp.apply(oneRoute(b));
  assert.deepEqual(res.failedSockets, {});
  assert.equal([...dp.boundPorts().values()][0]!.port, httpPortNumber, 'the port stays the same');
  for (let i = 0; i < 40; i++) assert.equal(json(await get(httpPortNumber, '/')).backend, 'b', `request ${i} right after apply()`);
  // The 40 requests reached both workers, so both already served the new route.
  await eventually(() => servedBy(dp, 'b').every((n) => n > 0), 'both workers counted requests to b');
});

test('a killed worker is replaced with the configuration in force and serves again', async () => {
  const old = dp.workerPids()[1];
  dp.killWorker(1);
  await eventually(() => {
    const pid = dp.workerPids()[1];
    return pid !== null && pid !== old;
  }, 'a new worker process');
  // The replacement has the resolved port (not a new port 0) and the last IR: it serves 'b'.
  await eventually(async () => {
    for (let i = 0; i < 20; i++) assert.equal(json(await get(httpPortNumber, '/')).backend, 'b');
    return (servedPerWorker(dp)[1] ?? 0) > 0;
  }, 'the new worker serving requests');
  assert.match(dp.workerMetrics().join('\n'), /^wicket_worker_restarts_total\{worker="1"\} 1$/m);
});

test('a worker that dies while an apply is in flight: apply() resolves once its replacement serves the IR', async () => {
  const c = await backend('c');
  const old = dp.workerPids()[0];
  const applying = dp.apply(oneRoute(c));
  dp.killWorker(0); // worker 0 also bound the port-0 port: its replacement must get the same number
  const res = await applying;
  assert.deepEqual(res.failedSockets, {});
  assert.notEqual(dp.workerPids()[0], old);
  assert.equal([...dp.boundPorts().values()][0]!.port, httpPortNumber);
  for (let i = 0; i < 40; i++) assert.equal(json(await get(httpPortNumber, '/')).backend, 'c', `request ${i} after apply()`);
  await eventually(() => (servedPerWorker(dp)[0] ?? 0) > 0, 'the replacement serving requests');
});

test('TCP and UDP ports on port 0 are one port each, served by every worker', async () => {
  const tcp = await l4.tcpBackend('t');
  const udp = await l4.udpBackend('u');
  after(() => tcp.close());
  after(() => udp.close());
  const a = backends[0]!;
  const cfg: IR = {
    version: 1,
    ports: [
      ...oneRoute(a).ports,
      l4.port('tcp', [l4.listener('tcp', 'TCP', { l4Route: l4.l4Route('TCPRoute/ns/t', l4.backends(['t', 1])) })]),
      l4.port('udp', [l4.listener('udp', 'UDP', { l4Route: l4.l4Route('UDPRoute/ns/u', l4.backends(['u', 1])) })]),
    ],
    clusters: { ...oneRoute(a).clusters, t: l4.cluster('t', [tcp.port]), u: l4.cluster('u', [udp.port], { protocol: 'udp' }) },
  };
  const res = await dp.apply(cfg);
  assert.deepEqual(res.failedSockets, {});
  const bound = dp.boundPorts();
  const tcpPort = bound.get('127.0.0.1:0/tcp')!.port;
  const udpPort = bound.get('127.0.0.1:0/udp')!.port;
  assert.ok(tcpPort > 0 && udpPort > 0);
  for (let i = 0; i < 10; i++) {
    const sock = net.connect(tcpPort, '127.0.0.1');
    assert.deepEqual(await l4.readLines(sock, 1), ['t']);
    sock.destroy();
  }
  // UDP flows from several client ports (each flow hashes to one worker).
  for (let i = 0; i < 6; i++) {
    const c = dgram.createSocket('udp4');
    const reply = new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no UDP reply')), 3000);
      c.once('message', (m) => {
        clearTimeout(t);
        resolve(m.toString());
      });
    });
    c.send(`hi${i}`, udpPort, '127.0.0.1');
    assert.equal(await reply, `u:hi${i}`);
    c.close();
  }
});

test('an HTTPS port on port 0 is one port, and every worker terminates TLS on it', async () => {
  const ca = new TestCA();
  after(() => ca.dispose());
  const leaf = ca.leaf(['secure.example']);
  const a = backends[0]!;
  const base = oneRoute(a);
  // Its own cluster names, so each worker's HTTPS requests can be told apart in its metrics.
  const tlsClusters = { 'a-tls': cluster('a-tls', { port: a.port }), 'a-tls2': cluster('a-tls2', { port: a.port }) };
  const tlsPort = {
    name: '127.0.0.1:0/tls',
    address: '127.0.0.1',
    port: 0,
    kind: 'tls' as const,
    listeners: [
      {
        ...listener('https', [vhost('*', [rule(match(), 'a-tls')])]),
        protocol: 'HTTPS' as const,
        tls: { mode: 'Terminate' as const, certificates: [{ source: 'default/secure', certPem: leaf.certPem, keyPem: leaf.keyPem, dnsNames: ['secure.example'] }] },
      },
    ],
  };
  const res = await dp.apply({ ...base, ports: [...base.ports, tlsPort], clusters: { ...base.clusters, ...tlsClusters } });
  assert.deepEqual(res.failedSockets, {});
  let port = dp.boundPorts().get('127.0.0.1:0/tls')!.port;
  const httpsGet = () =>
    new Promise<string>((resolve, reject) => {
      const req = httpsRequest({ host: '127.0.0.1', port, path: '/', servername: 'secure.example', headers: { host: 'secure.example' }, ca: ca.certPem, agent: false }, (r) => {
        let body = '';
        r.setEncoding('utf8').on('data', (c: string) => (body += c)).on('end', () => resolve(body));
      });
      req.on('error', reject);
      req.end();
    });
  await eventually(async () => {
    for (let i = 0; i < 10; i++) assert.equal(JSON.parse(await httpsGet()).backend, 'a');
    return servedBy(dp, 'a-tls').every((n) => n > 0);
  }, 'HTTPS requests on every worker');

  // A passthrough listener joins the port: the data plane serves it another way and binds it
  // again, on port 0 a new number. Every worker must follow to that one port.
  const passthrough = {
    name: 'default/gw/pass',
    gateway: 'default/gw',
    protocol: 'TLS' as const,
    hostname: 'pass.example',
    tls: { mode: 'Passthrough' as const, certificates: [] },
    tlsRoutes: [{ route: 'TLSRoute/default/p', hostnames: ['pass.example'], backends: [{ cluster: 'pass', weight: 1, filters: [] }] }],
  };
  const res2 = await dp.apply({
    ...base,
    ports: [...base.ports, { ...tlsPort, listeners: [passthrough, { ...tlsPort.listeners[0]!, ...listener('https', [vhost('*', [rule(match(), 'a-tls2')])]), protocol: 'HTTPS' as const }] }],
    clusters: { ...base.clusters, ...tlsClusters, pass: { ...cluster('pass', { port: 1 }), protocol: 'tls' } },
  });
  assert.deepEqual(res2.failedSockets, {});
  port = dp.boundPorts().get('127.0.0.1:0/tls')!.port;
  await eventually(async () => {
    for (let i = 0; i < 10; i++) assert.equal(JSON.parse(await httpsGet()).backend, 'a');
    return servedBy(dp, 'a-tls2').every((n) => n > 0);
  }, 'HTTPS requests on every worker after the port was bound again');
});

test('a port another process holds (without SO_REUSEPORT) is reported as failed, as with one process', async () => {
  const holder = net.createServer();
  await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
  after(() => new Promise<void>((r) => holder.close(() => r())));
  const taken = (holder.address() as net.AddressInfo).port;
  const a = backends[0]!;
  const base = oneRoute(a);
  const res = await dp.apply({ ...base, ports: [...base.ports, ...oneRoute(a, taken).ports] });
  assert.deepEqual(res.failedSockets, { [`127.0.0.1:${taken}/http`]: 'EADDRINUSE' });
  assert.ok(!dp.boundPorts().has(`127.0.0.1:${taken}/http`));
  assert.equal(json(await get(httpPortNumber, '/')).backend, 'a', 'the other port still serves');
});

test('drain lets a request in flight finish on every worker, then the port is closed', async () => {
  const slowBackend = await startBackend('slow2', (req, res) => {
    req.resume();
    setTimeout(() => res.end('done'), 300);
  });
  backends.push(slowBackend);
  const local = createWorkerDataPlane({ workers: WORKERS, accessLog: false, logLevel: 'error' });
  after(() => local.drain(0));
  assert.deepEqual((await local.apply(oneRoute(slowBackend))).failedSockets, {});
  const port = [...local.boundPorts().values()][0]!.port;
  // Several requests over fresh connections, so both workers most likely hold one in flight.
  const inflight = Array.from({ length: 6 }, () => get(port, '/'));
  // Truly in flight (accepted and forwarded) before the drain starts.
  await eventually(() => slowBackend.seen.length === 6, 'six requests at the backend');
  await local.drain(10_000);
  const replies = await Promise.all(inflight);
  assert.deepEqual(replies.map((r) => [r.status, r.body]), replies.map(() => [200, 'done']));
  await assert.rejects(get(port, '/'), /ECONNREFUSED/);
  assert.deepEqual(local.workerPids().length, WORKERS);
});
