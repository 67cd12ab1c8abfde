// One contract suite, two matchers (STYLE.md #9): every case runs against the linear reference
// matcher and the compiled (indexed) router, and a randomised sweep checks they always agree.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { IRListener, IRPort, RouteMatch, RouteRule, VirtualHost } from '../../src/ir/types.ts';
import { makeHead } from '../../src/proxy/request-head.ts';
import { CompiledRouter } from '../../src/proxy/router/compiled.ts';
import { ReferenceRouter } from '../../src/proxy/router/reference.ts';
import type { Router } from '../../src/proxy/router/types.ts';

type Kind = 'reference' | 'compiled';
const KINDS: Kind[] = ['reference', 'compiled'];

function build(kind: Kind, port: IRPort): Router<string> {
  const f = (r: RouteRule) => r.id;
  return kind === 'reference' ? new ReferenceRouter(port, f) : new CompiledRouter(port, f);
}

function m(type: RouteMatch['path']['type'], value: string, extra: Partial<RouteMatch> = {}): RouteMatch {
  return { path: { type, value }, headers: [], queryParams: [], ...extra };
}

function r(id: string, match: RouteMatch): RouteRule {
  return { id, route: `HTTPRoute/ns/${id}`, match, filters: [], backends: [] };
}

function port(listeners: IRListener[]): IRPort {
  return { name: '0.0.0.0:80/http', address: '0.0.0.0', port: 80, kind: 'http', listeners };
}

function lis(name: string, hostname: string | undefined, vhosts: VirtualHost[]): IRListener {
  return { name, gateway: 'ns/gw', protocol: 'HTTP', ...(hostname === undefined ? {} : { hostname }), virtualHosts: vhosts };
}

function req(host: string, target: string, headers: [string, string][] = [], method = 'GET') {
  const raw = ['Host', host];
  for (const [k, v] of headers) raw.push(k, v);
  return makeHead(method, 'http', target, raw, '127.0.0.1', 80, null);
}

for (const kind of KINDS) {
  describe(`router contract: ${kind}`, () => {
    test('path types: Exact, PathPrefix element-wise with trailing slash ignored, RegularExpression anchored', () => {
      const router = build(
        kind,
        port([
          lis('l', undefined, [
            {
              hostname: '*',
              rules: [
                r('exact', m('Exact', '/exact')),
                r('prefix', m('PathPrefix', '/abc/')),
                r('regex', m('RegularExpression', '/re/[0-9]+')),
              ],
            },
          ]),
        ]),
      );
      const cases: [string, string | null][] = [
        ['/exact', 'exact'],
        ['/exact/', null],
        ['/Exact', null],
        ['/exactly', null],
        ['/abc', 'prefix'],
        ['/abc/', 'prefix'],
        ['/abc/def', 'prefix'],
        ['/abc?x=1', 'prefix'],
        ['/abcd', null],
        ['/ABC', null],
        ['/re/123', 'regex'],
        ['/re/123x', null],
        ['/x/re/123', null],
      ];
      for (const [target, want] of cases) assert.equal(router.match(req('a.com', target)), want, target);
    });

    test('an invalid regular expression matches nothing and does not stop the other rules', () => {
      const router = build(
        kind,
        port([lis('l', undefined, [{ hostname: '*', rules: [r('bad', m('RegularExpression', '/(unclosed')), r('good', m('PathPrefix', '/'))] }])]),
      );
      assert.equal(router.match(req('a', '/(unclosed')), 'good');
    });

    test('first matching rule in IR order wins, across path kinds', () => {
      const router = build(
        kind,
        port([
          lis('l', undefined, [
            {
              hostname: '*',
              rules: [
                r('exact-with-header', m('Exact', '/p', { headers: [{ name: 'x-v', type: 'Exact', value: '1' }] })),
                r('long-prefix', m('PathPrefix', '/p/q')),
                r('method', m('PathPrefix', '/p', { method: 'POST' })),
                r('short-prefix', m('PathPrefix', '/p')),
                r('root', m('PathPrefix', '/')),
                r('exact-late', m('Exact', '/p')),
              ],
            },
          ]),
        ]),
      );
      assert.equal(router.match(req('a', '/p', [['X-V', '1']])), 'exact-with-header');
      assert.equal(router.match(req('a', '/p')), 'short-prefix');
      assert.equal(router.match(req('a', '/p', [], 'POST')), 'method');
      assert.equal(router.match(req('a', '/p/q/r')), 'long-prefix');
      assert.equal(router.match(req('a', '/z')), 'root');
      assert.equal(router.match(req('a', 'no-slash')), null);
    });

    test('headers: names case-insensitive, values exact or regex, repeated headers combined, first entry per name', () => {
      const router = build(
        kind,
        port([
          lis('l', undefined, [
            {
              hostname: '*',
              rules: [
                r(
                  'two',
                  m('PathPrefix', '/', {
                    headers: [
                      { name: 'version', type: 'Exact', value: 'two' },
                      { name: 'Version', type: 'Exact', value: 'ignored' },
                    ],
                  }),
                ),
                r('re', m('PathPrefix', '/', { headers: [{ name: 'color', type: 'RegularExpression', value: 'bl(ue|ack)' }] })),
                r('list', m('PathPrefix', '/', { headers: [{ name: 'x-list', type: 'Exact', value: 'a, b' }] })),
              ],
            },
          ]),
        ]),
      );
      assert.equal(router.match(req('h', '/', [['VERSION', 'two']])), 'two');
      assert.equal(router.match(req('h', '/', [['version', 'Two']])), null);
      assert.equal(router.match(req('h', '/', [['color', 'black']])), 're');
      assert.equal(router.match(req('h', '/', [['color', 'blackish']])), null);
      assert.equal(router.match(req('h', '/', [['x-list', 'a'], ['X-List', 'b']])), 'list');
    });

    test('query parameters: exact names and values, first value of a repeated parameter, decoded', () => {
      const router = build(
        kind,
        port([
          lis('l', undefined, [
            {
              hostname: '*',
              rules: [
                r('both', m('PathPrefix', '/', { queryParams: [{ name: 'animal', type: 'Exact', value: 'dolphin' }, { name: 'color', type: 'Exact', value: 'blue' }] })),
                r('whale', m('PathPrefix', '/', { queryParams: [{ name: 'animal', type: 'Exact', value: 'whale' }] })),
                r('dolphin', m('PathPrefix', '/', { queryParams: [{ name: 'animal', type: 'Exact', value: 'dolphin' }] })),
                r('space', m('PathPrefix', '/', { queryParams: [{ name: 'q', type: 'RegularExpression', value: 'a b' }] })),
              ],
            },
          ]),
        ]),
      );
      assert.equal(router.match(req('h', '/?animal=whale')), 'whale');
      assert.equal(router.match(req('h', '/?animal=dolphin')), 'dolphin');
      assert.equal(router.match(req('h', '/?color=blue&animal=dolphin&x=1')), 'both');
      assert.equal(router.match(req('h', '/?ANIMAL=Whale')), null);
      assert.equal(router.match(req('h', '/?animal=whaledolphin')), null);
      assert.equal(router.match(req('h', '/?animal=whale&animal=dolphin')), 'whale');
      assert.equal(router.match(req('h', '/?q=a%20b')), 'space');
      assert.equal(router.match(req('h', '/')), null);
    });

    test('listener by Host: exact > wildcard with more labels > no hostname; port, case and trailing dot ignored', () => {
      const one = (id: string): VirtualHost[] => [{ hostname: '*', rules: [r(id, m('PathPrefix', '/'))] }];
      const router = build(
        kind,
        port([
          lis('exact', 'foo.example.com', one('exact')),
          lis('deep', '*.bar.example.com', one('deep')),
          lis('wild', '*.example.com', one('wild')),
          lis('any', undefined, one('any')),
        ]),
      );
      assert.equal(router.match(req('foo.example.com', '/')), 'exact');
      assert.equal(router.match(req('FOO.Example.com:8080', '/')), 'exact');
      assert.equal(router.match(req('foo.example.com.', '/')), 'exact');
      assert.equal(router.match(req('x.bar.example.com', '/')), 'deep');
      assert.equal(router.match(req('a.b.bar.example.com', '/')), 'deep');
      assert.equal(router.match(req('bar.example.com', '/')), 'wild');
      assert.equal(router.match(req('x.y.example.com', '/')), 'wild');
      assert.equal(router.match(req('example.com', '/')), 'any');
      assert.equal(router.match(req('other.org', '/')), 'any');
      assert.equal(router.match(req('', '/')), 'any');
      assert.equal(router.listenerOf('foo.example.com'), 0);
      assert.equal(router.listenerOf('a.b.bar.example.com'), 1);
      assert.equal(router.listenerOf('x.example.com'), 2);
      assert.equal(router.listenerOf('other.org'), 3);
    });

    test('virtual host inside the listener: most specific first, no fall-through to a less specific one', () => {
      const router = build(
        kind,
        port([
          lis('l', '*.example.com', [
            { hostname: 'a.example.com', rules: [r('a-only-x', m('PathPrefix', '/x'))] },
            { hostname: '*.example.com', rules: [r('wild', m('PathPrefix', '/'))] },
          ]),
        ]),
      );
      assert.equal(router.match(req('a.example.com', '/x/1')), 'a-only-x');
      assert.equal(router.match(req('a.example.com', '/y')), null);
      assert.equal(router.match(req('b.example.com', '/y')), 'wild');
      assert.equal(router.match(req('other.org', '/y')), null);
    });
  });
}

// Randomised agreement: many small IRs and requests drawn from the same vocabulary.
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

test('compiled router agrees with the reference matcher on random IRs and requests', () => {
  const rand = rng(42);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const segs = ['a', 'b', 'ab', 'c'];
  const hosts = ['a.example.com', 'b.example.com', 'x.a.example.com', 'example.com', 'other.org'];
  const patterns = [undefined, '*.example.com', 'a.example.com', '*.a.example.com', 'example.com'];
  const randPath = () => '/' + Array.from({ length: Math.floor(rand() * 4) }, () => pick(segs)).join('/') + (rand() < 0.2 ? '/' : '');
  const randMatch = (): RouteMatch => {
    const t = rand();
    const path: RouteMatch['path'] =
      t < 0.3 ? { type: 'Exact', value: randPath() } : t < 0.9 ? { type: 'PathPrefix', value: randPath() } : { type: 'RegularExpression', value: '/a.*' };
    return {
      path,
      headers: rand() < 0.3 ? [{ name: 'x-h', type: 'Exact', value: pick(['1', '2']) }] : [],
      queryParams: rand() < 0.2 ? [{ name: 'q', type: 'Exact', value: pick(['1', '2']) }] : [],
      ...(rand() < 0.2 ? { method: pick(['GET', 'POST']) } : {}),
    };
  };
  // Sort patterns most specific first, as the translator does.
  const specificity = (p: string | undefined) => (p === undefined || p === '*' ? 0 : p.startsWith('*.') ? p.split('.').length : 100);
  let compared = 0;
  let matched = 0;
  for (let n = 0; n < 150; n++) {
    let id = 0;
    const listeners = [...new Set(Array.from({ length: 1 + Math.floor(rand() * 3) }, () => pick(patterns)))]
      .sort((x, y) => specificity(y) - specificity(x))
      .map((h, li) =>
        lis(
          `l${li}`,
          h,
          [...new Set(Array.from({ length: 1 + Math.floor(rand() * 3) }, () => pick(['*', ...patterns.filter((p): p is string => p !== undefined)])))]
            .sort((x, y) => specificity(y) - specificity(x))
            .map((vh) => ({ hostname: vh, rules: Array.from({ length: 1 + Math.floor(rand() * 8) }, () => r(`r${id++}`, randMatch())) })),
        ),
      );
    const p = port(listeners);
    const ref = build('reference', p);
    const cmp = build('compiled', p);
    for (let k = 0; k < 40; k++) {
      const q = rand() < 0.3 ? `?q=${pick(['1', '2'])}` : '';
      const h = req(pick(hosts), randPath() + q, rand() < 0.4 ? [['X-H', pick(['1', '2'])]] : [], pick(['GET', 'POST']));
      const h2 = req(h.authority, h.target, [], h.method);
      h2.rawHeaders = h.rawHeaders;
      assert.equal(cmp.match(h), ref.match(h2), `IR #${n}, ${h.method} ${h.authority}${h.target} ${JSON.stringify(h.rawHeaders)}`);
      compared++;
      if (ref.match(h2) !== null) matched++;
    }
  }
  assert.equal(compared, 6000);
  // The sweep is only worth something if it exercises both outcomes.
  assert.ok(matched > 1000 && matched < 5000, `matched ${matched}`);
});
