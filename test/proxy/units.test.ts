// Unit tests of the pure pieces: header lists, path rewriting, redirects' Location, balancers,
// failure classification, host normalisation, and SNI certificate choice.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ErrorCodes } from '../../src/errors.ts';
import { PathRewriter } from '../../src/proxy/filters/path-modifier.ts';
import { RequestRedirect } from '../../src/proxy/filters/request-redirect.ts';
import { addHeader, downstreamResponseHeaders, removeHeader, setHeader, upstreamRequestHeaders } from '../../src/proxy/headers.ts';
import { makeHead, normaliseHost } from '../../src/proxy/request-head.ts';
import { SmoothWeightedRoundRobin, WeightedChoice } from '../../src/proxy/upstream/balancer.ts';
import { classify } from '../../src/proxy/upstream/failure.ts';

describe('header lists', () => {
  test('set replaces every occurrence, case-insensitively, keeping the first position', () => {
    const l = ['A', '1', 'x-y', '2', 'X-Y', '3'];
    setHeader(l, 'X-Y', 'x-y', 'new');
    assert.deepEqual(l, ['A', '1', 'x-y', 'new']);
  });
  test('add appends with a comma to the first occurrence, or adds', () => {
    const l = ['X-A', 'one'];
    addHeader(l, 'x-a', 'x-a', 'two');
    addHeader(l, 'X-B', 'x-b', 'b');
    assert.deepEqual(l, ['X-A', 'one,two', 'X-B', 'b']);
  });
  test('remove drops every occurrence', () => {
    const l = ['a', '1', 'B', '2', 'b', '3', 'c', '4'];
    removeHeader(l, 'b');
    assert.deepEqual(l, ['a', '1', 'c', '4']);
  });
  test('request: hop-by-hop and Connection-named headers go, forwarding headers are added', () => {
    const out = upstreamRequestHeaders(
      ['Host', 'h', 'Connection', 'keep-alive, X-Secret', 'X-Secret', 's', 'TE', 'trailers', 'Expect', '100-continue', 'X-Forwarded-For', 'a', 'x-forwarded-for', 'b', 'X-Forwarded-Proto', 'https', 'Keep', 'k'],
      { remoteAddress: '10.0.0.1', scheme: 'http', authority: 'h' },
    );
    assert.deepEqual(out, ['Host', 'h', 'Keep', 'k', 'x-forwarded-for', 'a, b, 10.0.0.1', 'x-forwarded-proto', 'http', 'x-forwarded-host', 'h']);
  });
  test('request upgrade: Upgrade kept, Connection: upgrade sent', () => {
    const out = upstreamRequestHeaders(['Host', 'h', 'Connection', 'Upgrade', 'Upgrade', 'websocket'], { remoteAddress: '1.2.3.4', scheme: 'http', authority: 'h', upgrade: true });
    assert.deepEqual(out.slice(0, 6), ['Host', 'h', 'Upgrade', 'websocket', 'connection', 'upgrade']);
  });
  test('response: buffers become strings, hop-by-hop removed', () => {
    const raw = ['Content-Type', 'text/plain', 'Connection', 'x-drop, keep-alive', 'X-Drop', '1', 'Transfer-Encoding', 'chunked', 'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2'].map((s) => Buffer.from(s));
    assert.deepEqual(downstreamResponseHeaders(raw), ['Content-Type', 'text/plain', 'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2']);
  });
});

describe('path rewriting', () => {
  const cases: [string, string, string, string][] = [
    ['/foo', '/bar', '/foo/x', '/bar/x'],
    ['/foo', '/bar', '/foo', '/bar'],
    ['/foo/', '/bar', '/foo/x', '/bar/x'],
    ['/foo', '/bar/', '/foo/x', '/bar/x'],
    ['/foo', '/', '/foo/x', '/x'],
    ['/foo', '/', '/foo', '/'],
    ['/foo', '/', '/foo/', '/'],
    ['/', '/bar', '/x/y', '/bar/x/y'],
    ['/', '/', '/x', '/x'],
  ];
  for (const [prefix, value, path, want] of cases) {
    test(`prefix ${prefix} → ${value}: ${path} → ${want}`, () => {
      assert.equal(new PathRewriter({ type: 'ReplacePrefixMatch', value, prefix }).rewrite(path), want);
    });
  }
  test('ReplaceFullPath ignores the request path', () => {
    assert.equal(new PathRewriter({ type: 'ReplaceFullPath', value: '/one' }).rewrite('/a/b'), '/one');
  });
});

describe('redirect Location port rules', () => {
  const head = (scheme: 'http' | 'https', host = 'example.com') => makeHead('GET', scheme, '/p?q=1', ['Host', host], '1.1.1.1', 0, null);
  const loc = (f: Partial<{ scheme: 'http' | 'https'; port: number; hostname: string }>, scheme: 'http' | 'https', listenerPort: number) =>
    new RequestRedirect({ type: 'RequestRedirect', statusCode: 302, ...f }).location(head(scheme), { port: listenerPort });
  test('no scheme, no port: listener port, omitted when well known for the request scheme', () => {
    assert.equal(loc({ hostname: 'example.org' }, 'http', 8080), 'http://example.org:8080/p?q=1');
    assert.equal(loc({ hostname: 'example.org' }, 'http', 80), 'http://example.org/p?q=1');
    assert.equal(loc({}, 'https', 443), 'https://example.com/p?q=1');
  });
  test('scheme set, no port: the scheme’s well-known port (omitted)', () => {
    assert.equal(loc({ scheme: 'https' }, 'http', 8080), 'https://example.com/p?q=1');
    assert.equal(loc({ scheme: 'http' }, 'https', 8443), 'http://example.com/p?q=1');
  });
  test('explicit port: kept unless well known for the scheme', () => {
    assert.equal(loc({ scheme: 'https', port: 8443 }, 'http', 80), 'https://example.com:8443/p?q=1');
    assert.equal(loc({ port: 80 }, 'http', 8080), 'http://example.com/p?q=1');
    assert.equal(loc({ port: 443 }, 'http', 8080), 'http://example.com:443/p?q=1');
  });
  test('the Host header port is never reused', () => {
    assert.equal(new RequestRedirect({ type: 'RequestRedirect', statusCode: 301 }).location(head('http', 'example.com:1234'), { port: 80 }), 'http://example.com/p?q=1');
  });
});

describe('balancers', () => {
  test('smooth weighted round robin: exact shares per window, spread out', () => {
    const rr = new SmoothWeightedRoundRobin([
      { item: 'a', weight: 5 },
      { item: 'b', weight: 1 },
      { item: 'c', weight: 1 },
      { item: 'z', weight: 0 },
    ]);
    const seq = Array.from({ length: 7 }, () => rr.next());
    assert.deepEqual(seq, ['a', 'a', 'b', 'a', 'c', 'a', 'a']);
    assert.equal(new SmoothWeightedRoundRobin<string>([]).next(), undefined);
  });
  test('weighted choice follows the random draw', () => {
    let r = 0;
    const wc = new WeightedChoice(
      [
        { item: 'x', weight: 1 },
        { item: 'y', weight: 3 },
      ],
      () => r,
    );
    r = 0.2;
    assert.equal(wc.pick(), 'x');
    r = 0.3;
    assert.equal(wc.pick(), 'y');
    r = 0.999;
    assert.equal(wc.pick(), 'y');
  });
});

describe('failure classification', () => {
  const err = (code: string) => Object.assign(new Error(code), { code });
  test('connect errors are 502 CONNECT, timeouts 504, anything else 502 RESET', () => {
    assert.deepEqual(classify(err('ECONNREFUSED')), { status: 502, code: ErrorCodes.UPSTREAM_CONNECT });
    assert.deepEqual(classify(err('UND_ERR_CONNECT_TIMEOUT')), { status: 502, code: ErrorCodes.UPSTREAM_CONNECT });
    assert.deepEqual(classify(err('ERR_TLS_CERT_ALTNAME_INVALID')), { status: 502, code: ErrorCodes.UPSTREAM_CONNECT });
    assert.deepEqual(classify(err('UND_ERR_HEADERS_TIMEOUT')), { status: 504, code: ErrorCodes.UPSTREAM_TIMEOUT });
    assert.deepEqual(classify(err('UND_ERR_SOCKET')), { status: 502, code: ErrorCodes.UPSTREAM_RESET });
    assert.deepEqual(classify(new Error('?')), { status: 502, code: ErrorCodes.UPSTREAM_RESET });
  });
});

describe('request heads', () => {
  test('host normalisation', () => {
    assert.equal(normaliseHost('Foo.Example.COM:8080'), 'foo.example.com');
    assert.equal(normaliseHost('foo.example.com.'), 'foo.example.com');
    assert.equal(normaliseHost('[::1]:80'), '[::1]');
    assert.equal(normaliseHost(''), '');
  });
  test('host normalisation remembers only the last authority (alternating hosts, repeats)', () => {
    const seq = ['A.example:80', 'b.example.', 'A.example:80', 'A.example:80', '', 'b.example.', '[::1]:8080', 'A.example:80'];
    const want = ['a.example', 'b.example', 'a.example', 'a.example', '', 'b.example', '[::1]', 'a.example'];
    assert.deepEqual(seq.map(normaliseHost), want);
  });
  test('path and query split at the first ?', () => {
    const h = makeHead('GET', 'http', '/a/b?x=1?y', ['host', 'h'], '', 80, null);
    assert.equal(h.path, '/a/b');
    assert.equal(h.query, 'x=1?y');
  });
});
