import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import net from 'node:net';
import path from 'node:path';
import readline from 'node:readline';
import { after, before, describe, it } from 'node:test';
import type { Cluster, IRPort } from '../../../src/ir/types.ts';
import { L4Metrics, MemoryRegistry } from '../../../src/proxy/l4/metrics.ts';
import { TcpProxy } from '../../../src/proxy/l4/tcp-proxy.ts';
import { backends, cluster, l4Route, listen, listener, port, readLines, tcpBackend } from './helpers.ts';

type Backend = Awaited<ReturnType<typeof tcpBackend>>;

function connect(p: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port: p, host: '127.0.0.1', allowHalfOpen: true }, () => resolve(s));
    s.once('error', reject);
  });
}

/** Connects and returns the backend's greeting, or 'rejected' when the proxy resets/closes. */
async function greeting(p: number): Promise<string> {
  try {
    const s = await connect(p);
    s.on('error', () => {});
    const [line] = await readLines(s, 1);
    s.destroy();
    return line ?? 'rejected';
  } catch {
    return 'rejected';
  }
}

describe('TCP proxy', () => {
  let one: Backend, two: Backend;
  const cleanup: { close(): Promise<void> }[] = [];

  before(async () => {
    one = await tcpBackend('one');
    two = await tcpBackend('two');
    cleanup.push(one, two);
  });
  after(async () => {
    for (const c of cleanup.reverse()) await c.close();
  });

  function clusters(): Record<string, Cluster> {
    return {
      one: cluster('one', [one.port]),
      two: cluster('two', [two.port]),
      empty: cluster('empty', []),
      both: { ...cluster('both', [one.port, two.port]), endpoints: [{ address: '127.0.0.1', port: one.port, weight: 3 }, { address: '127.0.0.1', port: two.port, weight: 1 }] },
    };
  }

  function tcpPort(b: ReturnType<typeof backends>): IRPort {
    return port('tcp', [listener('tcp', 'TCP', { l4Route: l4Route('TCPRoute/ns/r', b) })]);
  }

  async function start(p: IRPort, c = clusters()) {
    const registry = new MemoryRegistry();
    const proxy = new TcpProxy(p, c, { metrics: new L4Metrics(registry) });
    const { port: pp } = await proxy.listen();
    cleanup.push({ close: () => proxy.close(0) });
    return { proxy, port: pp, registry };
  }

  it('echoes through the proxy and counts bytes per listener, route and backend', async () => {
    const { port: p, registry } = await start(tcpPort(backends(['one', 1])));
    const s = await connect(p);
    assert.deepEqual(await readLines(s, 1), ['one']);
    s.write('hello\n');
    assert.deepEqual(await readLines(s, 1), ['hello']);
    s.end();
    await new Promise((r) => s.once('close', r));
    await new Promise((r) => setImmediate(r));
    const where = { listener: 'ns/gw/tcp', route: 'TCPRoute/ns/r', backend: 'one' };
    assert.equal(registry.sum('wicket_l4_connections_total', where), 1);
    assert.equal(registry.sum('wicket_l4_received_bytes_total', where), 6);
    assert.equal(registry.sum('wicket_l4_sent_bytes_total', where), 10);
    assert.equal(registry.sum('wicket_l4_active_connections', where), 0);
  });

  it('forwards a half-close each way: the request still gets its answer, and the other side can still send', async () => {
    // A backend that answers only after the client's FIN ...
    const replyAfterFin = await listen(
      net.createServer({ allowHalfOpen: true }, (sock) => {
        const parts: Buffer[] = [];
        sock.on('data', (d) => parts.push(d));
        sock.on('end', () => sock.end(`got ${Buffer.concat(parts).toString()} after FIN`));
      }),
    );
    // ... and one that sends its FIN first, then keeps reading.
    let heardAfterOwnFin = '';
    let heardEnd: () => void = () => {};
    const heard = new Promise<void>((r) => (heardEnd = r));
    const finFirst = await listen(
      net.createServer({ allowHalfOpen: true }, (sock) => {
        sock.end('bye\n');
        sock.on('data', (d) => (heardAfterOwnFin += d));
        sock.on('end', () => {
          sock.destroy();
          heardEnd();
        });
      }),
    );
    cleanup.push(replyAfterFin, finFirst);
    const c = { ...clusters(), raf: cluster('raf', [replyAfterFin.port]), ff: cluster('ff', [finFirst.port]) };

    const a = await start(tcpPort(backends(['raf', 1])), c);
    const s1 = await connect(a.port);
    s1.end('question');
    assert.deepEqual(await readLines(s1, 5), ['got question after FIN']);

    const b = await start(tcpPort(backends(['ff', 1])), c);
    const s2 = await connect(b.port);
    assert.deepEqual(await readLines(s2, 5), ['bye'], 'the backend\'s FIN arrives as an end');
    s2.end('still talking');
    await heard;
    assert.equal(heardAfterOwnFin, 'still talking');
  });

  it('splits connections over weighted backends and over weighted endpoints', async () => {
    const { port: p } = await start(tcpPort(backends(['one', 1], ['two', 1])));
    const got: string[] = [];
    for (let i = 0; i < 6; i++) got.push(await greeting(p));
    assert.deepEqual(got.toSorted(), ['one', 'one', 'one', 'two', 'two', 'two']);

    const e = await start(tcpPort(backends(['both', 1])));
    const eps: string[] = [];
    for (let i = 0; i < 8; i++) eps.push(await greeting(e.port));
    assert.equal(eps.filter((x) => x === 'one').length, 6);
    assert.equal(eps.filter((x) => x === 'two').length, 2);
  });

  it('rejects connections with no route, an invalid backend, no endpoints, or an unreachable endpoint', async () => {
    const noRoute = await start(port('tcp', [listener('tcp', 'TCP')]));
    assert.equal(await greeting(noRoute.port), 'rejected');
    const invalid = await start(tcpPort(backends([null, 1], ['one', 1])));
    const results = [await greeting(invalid.port), await greeting(invalid.port), await greeting(invalid.port), await greeting(invalid.port)];
    assert.deepEqual(results.toSorted(), ['one', 'one', 'rejected', 'rejected']);
    const empty = await start(tcpPort(backends(['empty', 1])));
    assert.equal(await greeting(empty.port), 'rejected');
    // A port nothing listens on: bind one, note its number, close it.
    const dead = await listen(net.createServer());
    await dead.close();
    const down = await start(tcpPort(backends(['down', 1])), { ...clusters(), down: cluster('down', [dead.port]) });
    assert.equal(await greeting(down.port), 'rejected');
    assert.equal(down.registry.sum('wicket_l4_rejected_total', { reason: 'connect-failed' }), 1);
    assert.equal(invalid.registry.sum('wicket_l4_rejected_total', { reason: 'invalid-backend' }), 2);
  });

  it('update() while connections are open: they keep their backend, new ones use the new route', async () => {
    const { proxy, port: p } = await start(tcpPort(backends(['one', 1])));
    const open = await connect(p);
    assert.deepEqual(await readLines(open, 1), ['one']);
    proxy.update(tcpPort(backends(['two', 1])), clusters());
    assert.equal(await greeting(p), 'two');
    open.write('still one?\n');
    assert.deepEqual(await readLines(open, 1), ['still one?']);
    assert.equal(proxy.openConnections, 1);
    open.end();
    await new Promise((r) => open.once('close', r));
  });

  it('close() refuses new connections and waits for open ones until the deadline', async () => {
    const proxy = new TcpProxy(tcpPort(backends(['one', 1])), clusters());
    const { port: p } = await proxy.listen();
    const open = await connect(p);
    assert.deepEqual(await readLines(open, 1), ['one']);
    let closed = false;
    const closing = proxy.close(10_000).then(() => (closed = true));
    assert.equal(await greeting(p), 'rejected');
    open.write('draining\n');
    assert.deepEqual(await readLines(open, 1), ['draining']);
    assert.equal(closed, false, 'close() waits for the open connection');
    open.end();
    await closing;
    assert.equal(proxy.openConnections, 0);
  });

  it('reports a port it cannot bind as WICKET_ERR_BIND naming the port and the reason', async () => {
    const taken = await listen(net.createServer());
    cleanup.push(taken);
    const p = { ...tcpPort(backends(['one', 1])), port: taken.port, name: `127.0.0.1:${taken.port}/tcp` };
    const proxy = new TcpProxy(p, clusters());
    await assert.rejects(proxy.listen(), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'WICKET_ERR_BIND');
      assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${taken.port}/tcp.*EADDRINUSE`));
      return true;
    });
    await proxy.close(0);
  });

  it('streams 50 MB both ways to a slow reader with bounded proxy memory (proxy in its own process)', async (t) => {
    const big = await tcpBackend('big', { greet: false });
    cleanup.push(big);
    const child = spawn(process.execPath, [path.join(import.meta.dirname, 'fixtures', 'tcp-proxy-child.ts'), JSON.stringify({ port: tcpPort(backends(['big', 1])), clusters: { big: cluster('big', [big.port]) } })], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const lines = readline.createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    const next = async () => JSON.parse((await lines.next()).value as string);
    try {
      const { port: p } = await next();

      const TOTAL = 50 * 1024 * 1024;
      const CHUNK = 64 * 1024;
      const sentHash = crypto.createHash('sha256');
      const gotHash = crypto.createHash('sha256');
      const s = await connect(p);
      let received = 0;
      let sinceNap = 0;
      const done = new Promise<void>((resolve, reject) => {
        s.on('data', (d: Buffer) => {
          gotHash.update(d);
          received += d.length;
          sinceNap += d.length;
          // A slow reader: a short nap every 2 MB keeps the pipes full.
          if (sinceNap >= 2 * 1024 * 1024) {
            sinceNap = 0;
            s.pause();
            setTimeout(() => s.resume(), 15);
          }
        });
        s.on('end', () => resolve());
        s.on('error', reject);
      });
      for (let sent = 0, i = 0; sent < TOTAL; sent += CHUNK, i++) {
        const chunk = crypto.randomBytes(CHUNK);
        chunk.writeUInt32BE(i, 0);
        sentHash.update(chunk);
        if (!s.write(chunk)) await new Promise((r) => s.once('drain', r));
      }
      s.end();
      await done;
      assert.equal(received, TOTAL);
      assert.equal(gotHash.digest('hex'), sentHash.digest('hex'), 'every byte back, in order');

      child.stdin!.write('stats\n');
      const stats = await next();
      t.diagnostic(`proxy: most bytes queued on a socket ${stats.maxQueued}, peak RSS ${(stats.maxRSS / 1024).toFixed(0)} MiB`);
      // Without backpressure the proxy queues tens of MB for the slow reader (measured: ~20 MB);
      // with it, about one read's worth per socket.
      assert.ok(stats.maxQueued <= 1024 * 1024, `the proxy queued ${stats.maxQueued} bytes on one socket`);
    } finally {
      child.stdin!.end();
      await new Promise((r) => child.once('exit', r));
    }
  });
});
