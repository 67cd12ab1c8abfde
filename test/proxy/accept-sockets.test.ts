// The extra accept sockets of an HTTP port (src/proxy/accept-sockets.ts): a burst of connections
// queued while the event loop was busy is accepted in a few turns rather than one per turn; every
// connection reaches the port's own server with its socket options; the port stays exclusive.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import net from 'node:net';
import { acceptSocketCount, bindAcceptGroup, closeGroup, DEFAULT_ACCEPT_SOCKETS } from '../../src/proxy/accept-sockets.ts';

const HOST = '127.0.0.1';

/** Opens n connections to port from another process, synchronously: this process's loop is blocked meanwhile. */
function connectFromChild(port: number, n: number): void {
  const script = `
    const net = require('node:net');
    let open = 0;
    for (let i = 0; i < ${n}; i++) {
      const s = net.connect(${port}, '${HOST}', () => { if (++open === ${n}) setTimeout(() => process.exit(0), 50); });
      s.on('error', (e) => { console.error(e.message); process.exit(1); });
    }`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 10_000 });
  assert.equal(r.status, 0, r.stderr);
}

/** Event-loop turns (setImmediate) until `n` connections reached `server`, with their sockets. */
function turnsUntilAccepted(server: net.Server, n: number): Promise<{ turns: number; sockets: net.Socket[] }> {
  return new Promise((resolve) => {
    const sockets: net.Socket[] = [];
    let turns = 0;
    server.on('connection', (s: net.Socket) => {
      sockets.push(s);
      s.on('error', () => {});
    });
    const tick = (): void => {
      turns++;
      if (sockets.length >= n) resolve({ turns, sockets });
      else setImmediate(tick);
    };
    setImmediate(tick);
  });
}

async function group(count: number, at = 0): Promise<{ server: net.Server; extras: net.Server[]; port: number; close: () => Promise<void> }> {
  const server = net.createServer({ allowHalfOpen: true, noDelay: true });
  const bound = await bindAcceptGroup(server, HOST, at, 'test', count);
  assert.ok(Array.isArray(bound), `bind failed: ${String(bound)}`);
  const port = (server.address() as net.AddressInfo).port;
  const close = (): Promise<void> => closeGroup(server, bound);
  return { server, extras: bound, port, close };
}

test('one listening socket accepts one queued connection per event-loop turn (why the port has several)', async () => {
  const g = await group(1);
  assert.equal(g.extras.length, 0);
  const accepted = turnsUntilAccepted(g.server, 32);
  connectFromChild(g.port, 32);
  const { turns, sockets } = await accepted;
  for (const s of sockets) s.destroy();
  await g.close();
  assert.ok(turns >= 32, `32 queued connections accepted in ${turns} turns`);
});

test('with 16 sockets a burst queued while the loop was busy is accepted in a few turns, each by the port server', async () => {
  const g = await group(16);
  assert.equal(g.extras.length, 15);
  for (const e of g.extras) assert.equal((e.address() as net.AddressInfo).port, g.port);
  const accepted = turnsUntilAccepted(g.server, 32);
  connectFromChild(g.port, 32);
  const { turns, sockets } = await accepted;
  // The kernel spreads connections over the 16 queues by a hash: the fullest holds a handful.
  assert.ok(turns <= 16, `32 queued connections accepted in ${turns} turns`);
  // Accepted sockets carry the port server's options whichever socket accepted them.
  for (const s of sockets) {
    assert.equal(s.allowHalfOpen, true);
    s.destroy();
  }
  await g.close();
});

test('a port held by another process stays unavailable (the group is not joined by SO_REUSEPORT)', async () => {
  const first = await group(4);
  // A second group on the same port: the plain bind before it fails, as with a single socket.
  const again = await bindAcceptGroup(net.createServer(), HOST, first.port, 'test', 4);
  assert.equal(again, 'EADDRINUSE');
  // A holder without SO_REUSEPORT: also refused.
  const squatter = net.createServer();
  await new Promise<void>((r) => squatter.listen(0, HOST, () => r()));
  const taken = (squatter.address() as net.AddressInfo).port;
  assert.equal(await bindAcceptGroup(net.createServer(), HOST, taken, 'test', 4), 'EADDRINUSE');
  await new Promise<void>((r) => squatter.close(() => r()));
  await first.close();
});

test('closing every socket of the group frees the port', async () => {
  const g = await group(8);
  await g.close();
  const again = await group(8, g.port);
  assert.equal(again.port, g.port);
  // Held by the new group: a plain bind fails until the group is closed.
  const tryPlain = (): Promise<void> =>
    new Promise<void>((ok, fail) => {
      const plain = net.createServer();
      plain.once('error', fail).listen(g.port, HOST, () => plain.close(() => ok()));
    });
  await assert.rejects(tryPlain(), /EADDRINUSE/);
  await again.close();
  await tryPlain();
});

test('WICKET_ACCEPT_SOCKETS: an integer from 1 to 64, else the default', () => {
  assert.equal(acceptSocketCount({}, null), DEFAULT_ACCEPT_SOCKETS);
  assert.equal(acceptSocketCount({ WICKET_ACCEPT_SOCKETS: '1' }, null), 1);
  assert.equal(acceptSocketCount({ WICKET_ACCEPT_SOCKETS: '64' }, null), 64);
  for (const bad of ['0', '65', '2.5', 'many', '-3']) assert.equal(acceptSocketCount({ WICKET_ACCEPT_SOCKETS: bad }, null), DEFAULT_ACCEPT_SOCKETS, bad);
});

test('a low limit on open files shrinks the group: one socket per 256 descriptors', () => {
  assert.equal(acceptSocketCount({}, 1024), 4);
  assert.equal(acceptSocketCount({}, 256), 1);
  assert.equal(acceptSocketCount({}, 100), 1);
  assert.equal(acceptSocketCount({ WICKET_ACCEPT_SOCKETS: '64' }, 8192), 32);
  assert.equal(acceptSocketCount({}, 1_048_576), DEFAULT_ACCEPT_SOCKETS);
  // Without a limit given, the process's own is read (from /proc on Linux); it never yields 0.
  assert.ok(acceptSocketCount({}) >= 1);
});
