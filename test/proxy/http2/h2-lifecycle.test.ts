// HTTP/2 sessions across apply() and drain(): a session keeps working across configuration swaps
// (each stream on the router current when it arrived), and a removed port or a drain sends GOAWAY
// while letting the stream in flight finish.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, test } from 'node:test';
import { cluster, freePort, httpPort, ir, listener, match, newDataPlane, rule, startBackend, vhost, type Backend } from '../helpers.ts';
import { closeSession, h2c, h2request } from './h2-helpers.ts';

let a: Backend;
let b: Backend;
let slow: Backend;
const slowPending: (() => void)[] = [];

before(async () => {
  a = await startBackend('a');
  b = await startBackend('b');
  slow = await startBackend('slow', (req, res) => {
    req.resume();
    slowPending.push(() => res.end('slow-done'));
  });
});

after(async () => {
  await Promise.all([a.close(), b.close(), slow.close()]);
});

function config(port: number, target: 'a' | 'b') {
  const l = [listener('http', [vhost('*', [rule(match({ type: 'PathPrefix', value: '/slow' }), 'slow'), rule(match(), target)])])];
  return ir([httpPort(port, l)], [cluster('a', a), cluster('b', b), cluster('slow', slow)]);
}

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
}

test('one session sees each configuration as it is applied', async () => {
  const dp = newDataPlane();
  const port = await freePort();
  await dp.apply(config(port, 'a'));
  const s = h2c(port);
  try {
    const r1 = await h2request(s, { ':path': '/', ':authority': 'x' });
    assert.equal(JSON.parse(r1.body.toString()).backend, 'a');
    await dp.apply(config(port, 'b'));
    const r2 = await h2request(s, { ':path': '/', ':authority': 'x' });
    assert.equal(JSON.parse(r2.body.toString()).backend, 'b');
  } finally {
    await closeSession(s);
    await dp.drain(1000);
  }
});

test('removing the port sends GOAWAY and lets the stream in flight finish', async () => {
  const dp = newDataPlane();
  const port = await freePort();
  await dp.apply(config(port, 'a'));
  const s = h2c(port);
  const goaway = once(s, 'goaway');
  const before = slow.seen.length;
  const pending = h2request(s, { ':path': '/slow', ':authority': 'x' });
  await until(() => slow.seen.length > before);
  await dp.apply(ir([], []));
  await goaway;
  for (const f of slowPending.splice(0)) f();
  const r = await pending;
  assert.equal(r.headers[':status'], 200);
  assert.equal(r.body.toString(), 'slow-done');
  await closeSession(s);
  await dp.drain(1000);
});

test('drain waits for the HTTP/2 stream in flight, then closes the session', async () => {
  const dp = newDataPlane();
  const port = await freePort();
  await dp.apply(config(port, 'a'));
  const s = h2c(port);
  const closed = once(s, 'close');
  const before = slow.seen.length;
  const pending = h2request(s, { ':path': '/slow', ':authority': 'x' });
  await until(() => slow.seen.length > before);
  const drained = dp.drain(5000);
  await until(() => slowPending.length > 0);
  for (const f of slowPending.splice(0)) f();
  const r = await pending;
  assert.equal(r.body.toString(), 'slow-done');
  await drained;
  await closed;
});
