// Session persistence: a cookie or header pins a client to the backend endpoint that served it.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Cluster } from '../../src/ir/types.ts';
import { freePort, get, httpPort, ir, json, listener, match, newDataPlane, rule, startBackend, vhost, type Backend } from './helpers.ts';

const dp = newDataPlane();
let port: number;
const backends: Backend[] = [];

function three(ports: Backend[]): Cluster {
  return { name: 'c', protocol: 'http1', endpoints: ports.map((b) => ({ address: '127.0.0.1', port: b.port, weight: 1 })) };
}

function config(eps: Backend[]) {
  const rules = [
    rule(match({ type: 'PathPrefix', value: '/cookie' }), 'c', [], { sessionPersistence: { type: 'Cookie', name: 'sticky' } }),
    rule(match({ type: 'PathPrefix', value: '/header' }), 'c', [], { sessionPersistence: { type: 'Header', name: 'X-Session' } }),
    rule(match({ type: 'PathPrefix', value: '/short' }), 'c', [], {
      sessionPersistence: { type: 'Cookie', name: 'brief', absoluteTimeoutMs: 30, lifetime: 'Permanent' },
    }),
    rule(match(), 'c'),
  ];
  return ir([httpPort(port, [listener('http', [vhost('*', rules)])])], [three(eps)]);
}

before(async () => {
  for (const n of ['a', 'b', 'c']) backends.push(await startBackend(n));
  port = await freePort();
  await dp.apply(config(backends));
});

after(async () => {
  await dp.drain(1000);
  await Promise.all(backends.map((b) => b.close()));
});

function cookieOf(r: { headers: Record<string, unknown> }, name: string): string | undefined {
  const set = r.headers['set-cookie'] as string[] | undefined;
  const c = set?.find((s) => s.startsWith(`${name}=`));
  return c?.split(';')[0];
}

test('without persistence requests spread over the endpoints', async () => {
  const seen = new Set<string>();
  for (let i = 0; i < 6; i++) seen.add(json(await get(port, '/')).backend);
  assert.equal(seen.size, 3);
});

test('a cookie session keeps the client on one endpoint', async () => {
  const first = await get(port, '/cookie/x');
  const cookie = cookieOf(first, 'sticky');
  assert.ok(cookie, 'the first response starts a session');
  assert.match((first.headers['set-cookie'] as string[])[0]!, /Path=\/cookie; HttpOnly$/);
  const pinned = json(first).backend;
  for (let i = 0; i < 6; i++) {
    const r = await get(port, '/cookie/x', { headers: { cookie: `other=1; ${cookie}` } });
    assert.equal(json(r).backend, pinned);
    assert.equal(cookieOf(r, 'sticky'), undefined, 'no new session while the old one holds');
  }
});

test('a header session works the same way', async () => {
  const first = await get(port, '/header');
  const token = first.headers['x-session'] as string;
  assert.ok(token);
  const pinned = json(first).backend;
  for (let i = 0; i < 6; i++) assert.equal(json(await get(port, '/header', { headers: { 'x-session': token } })).backend, pinned);
});

test('an absolute timeout ends the session; Permanent sets Max-Age', async () => {
  const first = await get(port, '/short');
  assert.match((first.headers['set-cookie'] as string[])[0]!, /Max-Age=1/);
  const cookie = cookieOf(first, 'brief')!;
  await new Promise((r) => setTimeout(r, 60));
  const again = await get(port, '/short', { headers: { cookie } });
  assert.ok(cookieOf(again, 'brief'), 'an expired session is replaced');
});

test('a session whose endpoint is gone moves to another and is renewed', async () => {
  const first = await get(port, '/cookie');
  const pinned = json(first).backend;
  const cookie = cookieOf(first, 'sticky')!;
  await dp.apply(config(backends.filter((b) => b.name !== pinned)));
  const moved = await get(port, '/cookie', { headers: { cookie } });
  assert.notEqual(json(moved).backend, pinned);
  assert.ok(cookieOf(moved, 'sticky'));
  await dp.apply(config(backends));
});

test('a forged or garbled token is ignored', async () => {
  const r = await get(port, '/cookie', { headers: { cookie: 'sticky=%%%not-base64' } });
  assert.equal(r.status, 200);
  assert.ok(cookieOf(r, 'sticky'));
});
