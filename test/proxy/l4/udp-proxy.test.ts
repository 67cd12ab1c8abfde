import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { after, before, describe, it } from 'node:test';
import type { Cluster, IRPort } from '../../../src/ir/types.ts';
import { L4Metrics, MemoryRegistry } from '../../../src/proxy/l4/metrics.ts';
import { UdpProxy, type UdpProxyOptions } from '../../../src/proxy/l4/udp-proxy.ts';
import { backends, cluster, l4Route, listener, port, udpBackend } from './helpers.ts';

type Backend = Awaited<ReturnType<typeof udpBackend>>;

/** A UDP client socket with a queue of the datagrams it receives. */
async function client(): Promise<{ sock: dgram.Socket; send(msg: string, port: number): void; recv(): Promise<string>; close(): void }> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  const inbox: string[] = [];
  const waiting: ((m: string) => void)[] = [];
  sock.on('message', (m) => {
    const w = waiting.shift();
    if (w) w(m.toString());
    else inbox.push(m.toString());
  });
  return {
    sock,
    send: (msg, p) => sock.send(msg, p, '127.0.0.1'),
    recv: () => {
      const m = inbox.shift();
      return m !== undefined ? Promise.resolve(m) : new Promise((r) => waiting.push(r));
    },
    close: () => sock.close(),
  };
}

/** Sends until an answer comes (UDP may drop the first datagram while the session starts). */
async function ask(c: Awaited<ReturnType<typeof client>>, msg: string, p: number): Promise<string> {
  c.send(msg, p);
  return c.recv();
}

describe('UDP proxy', () => {
  let u1: Backend, u2: Backend;
  const cleanup: { close(): Promise<void> | void }[] = [];

  before(async () => {
    u1 = await udpBackend('u1');
    u2 = await udpBackend('u2');
    cleanup.push(u1, u2);
  });
  after(async () => {
    for (const c of cleanup.reverse()) await c.close();
  });

  function clusters(): Record<string, Cluster> {
    return { u1: cluster('u1', [u1.port], { protocol: 'udp' }), u2: cluster('u2', [u2.port], { protocol: 'udp' }), empty: cluster('empty', []) };
  }
  function udpPort(b: ReturnType<typeof backends>): IRPort {
    return port('udp', [listener('udp', 'UDP', { l4Route: l4Route('UDPRoute/ns/r', b) })]);
  }
  async function start(p: IRPort, opts: UdpProxyOptions = {}) {
    const registry = new MemoryRegistry();
    const proxy = new UdpProxy(p, clusters(), { metrics: new L4Metrics(registry), ...opts });
    const { port: pp } = await proxy.listen();
    cleanup.push({ close: () => proxy.close(0) });
    return { proxy, port: pp, registry };
  }

  it('relays datagrams and replies per client session, keeping two clients apart', async () => {
    const { proxy, port: p, registry } = await start(udpPort(backends(['u1', 1], ['u2', 1])));
    const a = await client();
    const b = await client();
    cleanup.push(a, b);
    const ra = await ask(a, 'from-a', p);
    const rb = await ask(b, 'from-b', p);
    // Each client gets only its own echo; the two sessions went to different backends (1:1 weights).
    assert.match(ra, /^u[12]:from-a$/);
    assert.match(rb, /^u[12]:from-b$/);
    assert.notEqual(ra.split(':')[0], rb.split(':')[0]);
    // A session sticks to its endpoint.
    for (let i = 0; i < 5; i++) assert.equal(await ask(a, `a${i}`, p), `${ra.split(':')[0]}:a${i}`);
    assert.equal(proxy.openSessions, 2);
    assert.equal(registry.sum('wicket_l4_connections_total', { route: 'UDPRoute/ns/r' }), 2);
    assert.equal(registry.sum('wicket_l4_received_datagrams_total'), 7);
    assert.equal(registry.sum('wicket_l4_sent_datagrams_total'), 7);
  });

  it('splits sessions by weight and drops the invalid backend\'s share', async () => {
    const { port: p, registry } = await start(udpPort(backends(['u1', 2], [null, 1])));
    const answers: string[] = [];
    for (let i = 0; i < 6; i++) {
      const c = await client();
      cleanup.push(c);
      const rejected = () => registry.sum('wicket_l4_rejected_total', { reason: 'invalid-backend' });
      const before = rejected();
      c.send('hi', p);
      // Either the echo comes back, or the proxy counts the datagram as rejected.
      let answered = false;
      const reply = c.recv().then((m) => ((answered = true), m));
      const got = await Promise.race([reply, until(() => answered || rejected() > before).then(() => 'dropped')]);
      answers.push(got);
    }
    assert.equal(answers.filter((a) => a === 'u1:hi').length, 4);
    assert.equal(registry.sum('wicket_l4_rejected_total', { reason: 'invalid-backend' }), 2);
  });

  it('ends idle sessions, and bounds the session table', async () => {
    const { proxy, port: p, registry } = await start(udpPort(backends(['u1', 1])), { idleTimeoutMs: 100, maxSessions: 1 });
    const a = await client();
    const b = await client();
    cleanup.push(a, b);
    assert.equal(await ask(a, 'one', p), 'u1:one');
    b.send('two', p); // the table is full: dropped
    await waitFor(() => registry.sum('wicket_l4_rejected_total', { reason: 'session-limit' }) === 1);
    await waitFor(() => proxy.openSessions === 0); // idle expiry frees the slot
    assert.equal(await ask(b, 'three', p), 'u1:three');
  });

  it('update() keeps open sessions on their endpoint; new sessions use the new route', async () => {
    const { proxy, port: p } = await start(udpPort(backends(['u1', 1])));
    const a = await client();
    cleanup.push(a);
    assert.equal(await ask(a, 'x', p), 'u1:x');
    proxy.update(udpPort(backends(['u2', 1])), clusters());
    assert.equal(await ask(a, 'y', p), 'u1:y');
    const b = await client();
    cleanup.push(b);
    assert.equal(await ask(b, 'z', p), 'u2:z');
  });

  it('close() lets sessions finish until the deadline and starts no new ones', async () => {
    const proxy = new UdpProxy(udpPort(backends(['u1', 1])), clusters(), { idleTimeoutMs: 60_000 });
    const { port: p } = await proxy.listen();
    const a = await client();
    const b = await client();
    cleanup.push(a, b);
    assert.equal(await ask(a, 'before', p), 'u1:before');
    const closing = proxy.close(300);
    assert.equal(await ask(a, 'during', p), 'u1:during');
    b.send('new', p);
    await closing;
    assert.equal(proxy.openSessions, 0);
  });
});

/** Resolves once `cond` holds (polling; gives up after about 2 s). */
async function until(cond: () => boolean): Promise<boolean> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  return cond();
}

async function waitFor(cond: () => boolean): Promise<void> {
  assert.ok(await until(cond), 'condition not reached');
}
