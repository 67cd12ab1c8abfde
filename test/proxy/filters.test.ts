// Each filter through a real data plane to a real backend.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Filter } from '../../src/ir/types.ts';
import { cluster, freePort, get, httpPort, ir, json, listener, match, newDataPlane, rule, startBackend, vhost, type Backend } from './helpers.ts';

let v1: Backend;
let v2: Backend;
let stall: Backend;
const dp = newDataPlane();
let port: number;

const C1 = 'default/v1:80';
const C2 = 'default/v2:80';

function pre(value: string) {
  return match({ type: 'PathPrefix', value });
}

before(async () => {
  v1 = await startBackend('v1');
  v2 = await startBackend('v2');
  // A mirror target that never reads the body and never answers.
  stall = await startBackend('stall', (req) => req.pause());
  port = await freePort();
  const rules = [
    rule(pre('/req-headers'), C1, [
      {
        type: 'RequestHeaderModifier',
        set: [{ name: 'X-Set', value: 'set-value' }],
        add: [{ name: 'X-Add', value: 'added' }],
        remove: ['X-Remove'],
      },
    ]),
    rule(pre('/resp-headers'), C1, [
      {
        type: 'ResponseHeaderModifier',
        set: [{ name: 'Content-Type', value: 'text/x-set' }],
        add: [{ name: 'X-Resp-Add', value: 'one' }],
        remove: ['X-Drop'],
      },
    ]),
    rule(pre('/redirect-host'), [], [{ type: 'RequestRedirect', hostname: 'example.org', statusCode: 302 }]),
    rule(pre('/redirect-scheme'), [], [{ type: 'RequestRedirect', scheme: 'https', statusCode: 301 }]),
    rule(pre('/redirect-port'), [], [{ type: 'RequestRedirect', port: 8083, statusCode: 308 }]),
    rule(pre('/redirect-scheme-port'), [], [{ type: 'RequestRedirect', scheme: 'https', port: 8443, statusCode: 302 }]),
    rule(pre('/redirect-http-80'), [], [{ type: 'RequestRedirect', scheme: 'http', statusCode: 303 }]),
    rule(pre('/original-prefix'), [], [
      { type: 'RequestRedirect', path: { type: 'ReplacePrefixMatch', value: '/replacement-prefix', prefix: '/original-prefix' }, statusCode: 307 },
    ]),
    rule(pre('/full-redirect'), [], [{ type: 'RequestRedirect', path: { type: 'ReplaceFullPath', value: '/full-path-replacement' }, statusCode: 302 }]),
    rule(pre('/prefix/one'), C1, [{ type: 'URLRewrite', path: { type: 'ReplacePrefixMatch', value: '/one', prefix: '/prefix/one' } }]),
    rule(pre('/strip-prefix'), C1, [{ type: 'URLRewrite', path: { type: 'ReplacePrefixMatch', value: '/', prefix: '/strip-prefix' } }]),
    rule(pre('/full/one'), C1, [{ type: 'URLRewrite', path: { type: 'ReplaceFullPath', value: '/one' } }]),
    rule(pre('/rewrite-host'), C1, [
      { type: 'URLRewrite', hostname: 'one.example.org' },
      { type: 'RequestHeaderModifier', set: [], add: [{ name: 'X-Extra', value: 'e' }], remove: [] },
    ]),
    rule(pre('/mirror-stall'), C2, [{ type: 'RequestMirror', cluster: 'stall', fraction: { numerator: 1, denominator: 1 } }]),
    rule(pre('/mirror'), C1, [{ type: 'RequestMirror', cluster: C2, fraction: { numerator: 100, denominator: 100 } }]),
    rule(pre('/direct'), C1, [{ type: 'DirectResponse', statusCode: 500 }]),
    rule(pre('/backend-filters'), [
      {
        cluster: C1,
        weight: 1,
        filters: [{ type: 'RequestHeaderModifier', set: [{ name: 'X-Backend', value: 'v1' }], add: [], remove: [] }],
      },
    ]),
    rule(pre('/backend-redirect'), [
      { cluster: C1, weight: 1, filters: [{ type: 'RequestRedirect', path: { type: 'ReplaceFullPath', value: '/elsewhere' }, statusCode: 302 }] },
    ]),
    rule(pre('/cors'), C1, [
      {
        type: 'CORS',
        allowOrigins: ['https://www.foo.com', 'https://*.bar.com'],
        allowCredentials: true,
        allowMethods: ['GET', 'OPTIONS'],
        allowHeaders: ['x-header-1', 'x-header-2'],
        exposeHeaders: ['x-header-3', 'x-header-4'],
        maxAge: 3600,
      } as Filter,
    ]),
    rule(pre('/cors-any'), C1, [
      { type: 'CORS', allowOrigins: ['*'], allowCredentials: false, allowMethods: ['*'], allowHeaders: ['*'], exposeHeaders: [], maxAge: 5 },
    ]),
  ];
  await dp.apply(ir([httpPort(port, [listener('http', [vhost('*', rules)])])], [cluster(C1, v1), cluster(C2, v2), cluster('stall', stall)]));
  // The response-header backend answers with headers to modify.
  v1.server.removeAllListeners('request');
  v1.server.on('request', (req, res) => {
    v1.seen.push({ method: req.method!, url: req.url!, rawHeaders: req.rawHeaders, headers: req.headers, bodyBytes: 0 });
    req.resume();
    req.on('end', () => {
      const body = JSON.stringify({ backend: 'v1', method: req.method, url: req.url, headers: req.headers, bodyBytes: 0 });
      res.setHeader('content-type', 'application/json');
      res.setHeader('x-drop', 'gone');
      res.setHeader('x-resp-add', 'zero');
      res.end(body);
    });
  });
});

after(async () => {
  await dp.drain(1000);
  await v1.close();
  await v2.close();
  await stall.close();
});

describe('RequestHeaderModifier', () => {
  test('set replaces, add appends with a comma, remove drops; names case-insensitive', async () => {
    const r = await get(port, '/req-headers', { headers: { 'x-set': 'original', 'x-add': 'first', 'x-remove': 'bye', 'x-keep': 'k' } });
    const h = json(r).headers;
    assert.equal(h['x-set'], 'set-value');
    assert.equal(h['x-add'], 'first,added');
    assert.equal(h['x-remove'], undefined);
    assert.equal(h['x-keep'], 'k');
  });
  test('add without an existing header adds it', async () => {
    const h = json(await get(port, '/req-headers')).headers;
    assert.equal(h['x-add'], 'added');
  });
});

describe('ResponseHeaderModifier', () => {
  test('edits the backend response headers', async () => {
    const r = await get(port, '/resp-headers');
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'text/x-set');
    assert.equal(r.headers['x-resp-add'], 'zero,one');
    assert.equal(r.headers['x-drop'], undefined);
  });
});

describe('RequestRedirect', () => {
  const cases: [string, number, string][] = [
    ['/redirect-host/a?x=1', 302, `http://example.org:PORT/redirect-host/a?x=1`],
    ['/redirect-scheme', 301, 'https://example.com/redirect-scheme'],
    ['/redirect-port', 308, 'http://example.com:8083/redirect-port'],
    ['/redirect-scheme-port', 302, 'https://example.com:8443/redirect-scheme-port'],
    ['/redirect-http-80', 303, 'http://example.com/redirect-http-80'],
    ['/original-prefix/lemon', 307, 'http://example.com:PORT/replacement-prefix/lemon'],
    ['/full-redirect/x', 302, 'http://example.com:PORT/full-path-replacement'],
  ];
  for (const [path, status, location] of cases) {
    test(`${path} → ${status} ${location}`, async () => {
      const r = await get(port, path);
      assert.equal(r.status, status);
      assert.equal(r.headers.location, location.replace('PORT', String(port)));
    });
  }
  test('a redirect never reaches a backend', async () => {
    const before = v1.seen.length + v2.seen.length;
    await get(port, '/redirect-host');
    assert.equal(v1.seen.length + v2.seen.length, before);
  });
});

describe('URLRewrite', () => {
  const cases: [string, string][] = [
    ['/prefix/one/two', '/one/two'],
    ['/prefix/one', '/one'],
    ['/strip-prefix/three', '/three'],
    ['/strip-prefix', '/'],
    ['/strip-prefix?q=1', '/?q=1'],
    ['/full/one/two', '/one'],
  ];
  for (const [from, to] of cases) {
    test(`path ${from} → ${to}`, async () => {
      assert.equal(json(await get(port, from)).url, to);
    });
  }
  test('hostname replaces Host, and a header modifier still runs', async () => {
    const h = json(await get(port, '/rewrite-host')).headers;
    assert.equal(h.host, 'one.example.org');
    assert.equal(h['x-extra'], 'e');
  });
});

describe('RequestMirror', () => {
  test('the mirror backend gets a copy; the client gets the primary answer', async () => {
    const r = await get(port, '/mirror/m1', { headers: { 'x-mirror-me': 'yes' } });
    assert.equal(json(r).backend, 'v1');
    for (let i = 0; i < 100 && !v2.seen.some((s) => s.url === '/mirror/m1'); i++) await new Promise((res) => setTimeout(res, 10));
    const copy = v2.seen.find((s) => s.url === '/mirror/m1');
    assert.ok(copy, 'mirror saw the request');
    assert.equal(copy.headers['x-mirror-me'], 'yes');
  });
});

describe('RequestMirror with a body', () => {
  test('the mirror gets the body too', async () => {
    const body = Buffer.alloc(200_000, 65);
    const r = await get(port, '/mirror/with-body', { method: 'POST', body, headers: { 'content-type': 'application/octet-stream' } });
    assert.equal(r.status, 200);
    for (let i = 0; i < 200 && v2.seen.find((s) => s.url === '/mirror/with-body')?.bodyBytes !== body.length; i++) {
      await new Promise((res) => setTimeout(res, 10));
    }
    assert.equal(v2.seen.find((s) => s.url === '/mirror/with-body')?.bodyBytes, body.length);
  });
  test('a mirror that stops reading never holds up the client', async () => {
    const body = Buffer.alloc(8 * 1024 * 1024, 66);
    const r = await get(port, '/mirror-stall/big', { method: 'POST', body });
    assert.equal(r.status, 200);
    assert.equal(json(r).bodyBytes, body.length);
    // Whether the stalled mirror saw the request at all depends on how fast its connection came
    // up compared with the 8 MiB upload (a mirror more than 1 MiB behind is dropped, by design);
    // that copies are sent is asserted by the tests above.
  });
});

describe('DirectResponse', () => {
  test('answers with its status and skips the backend', async () => {
    const r = await get(port, '/direct');
    assert.equal(r.status, 500);
  });
});

describe('backend filters', () => {
  test('run when that backend is chosen', async () => {
    assert.equal(json(await get(port, '/backend-filters')).headers['x-backend'], 'v1');
  });
  test('a backend redirect answers 302 with the rewritten path', async () => {
    const r = await get(port, '/backend-redirect');
    assert.equal(r.status, 302);
    assert.equal(r.headers.location, `http://example.com:${port}/elsewhere`);
  });
});

describe('CORS', () => {
  const preflight = (origin: string, path = '/cors') =>
    get(port, path, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'x-header-1, x-header-2' },
    });
  test('preflight from an allowed exact origin is answered by the gateway', async () => {
    const seenBefore = v1.seen.length;
    const r = await preflight('https://www.foo.com');
    assert.ok([200, 204].includes(r.status));
    assert.equal(r.headers['access-control-allow-origin'], 'https://www.foo.com');
    assert.equal(r.headers['access-control-allow-methods'], 'GET, OPTIONS');
    assert.equal(r.headers['access-control-allow-headers'], 'x-header-1, x-header-2');
    assert.equal(r.headers['access-control-expose-headers'], 'x-header-3, x-header-4');
    assert.equal(r.headers['access-control-max-age'], '3600');
    assert.equal(r.headers['access-control-allow-credentials'], 'true');
    assert.equal(v1.seen.length, seenBefore);
  });
  test('wildcard origins match any number of labels', async () => {
    assert.equal((await preflight('https://xpto.www.bar.com')).headers['access-control-allow-origin'], 'https://xpto.www.bar.com');
  });
  test('a preflight from another origin gets no CORS headers', async () => {
    const r = await preflight('https://foobar.com');
    assert.equal(r.headers['access-control-allow-origin'], undefined);
  });
  test('simple requests get the origin echoed on the backend response', async () => {
    const ok = await get(port, '/cors', { headers: { origin: 'https://www.bar.com' } });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers['access-control-allow-origin'], 'https://www.bar.com');
    const no = await get(port, '/cors', { headers: { origin: 'https://foobar.com' } });
    assert.equal(no.headers['access-control-allow-origin'], undefined);
  });
  test('wildcards without credentials answer *', async () => {
    const r = await preflight('https://any.where', '/cors-any');
    assert.equal(r.headers['access-control-allow-origin'], '*');
    assert.equal(r.headers['access-control-allow-methods'], '*');
    assert.equal(r.headers['access-control-max-age'], '5');
  });
});
