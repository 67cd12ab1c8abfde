// Unit tests for the translator's tricky pure helpers.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inCidr, socketName } from '../../src/translate/addresses.ts';
import { grpcPath } from '../../src/translate/grpc-route.ts';
import {
  compareHostnameSpecificity,
  effectiveHostnames,
  hostnameMatches,
  intersectHostnames,
  validHostname,
} from '../../src/translate/hostnames.ts';
import { selectorMatches } from '../../src/translate/label-selector.ts';
import { compareMatches, prefixLength, type RankedMatch } from '../../src/translate/precedence.ts';
import type { RouteMatch } from '../../src/ir/types.ts';

test('hostname intersection: exact, wildcard, none', () => {
  assert.equal(intersectHostnames(undefined, 'Foo.Example.com'), 'foo.example.com');
  assert.equal(intersectHostnames('foo.example.com', 'foo.example.com'), 'foo.example.com');
  assert.equal(intersectHostnames('*.example.com', 'foo.example.com'), 'foo.example.com');
  assert.equal(intersectHostnames('*.example.com', 'a.b.example.com'), 'a.b.example.com');
  assert.equal(intersectHostnames('*.example.com', 'example.com'), null, 'a wildcard needs at least one label');
  assert.equal(intersectHostnames('foo.example.com', '*.example.com'), 'foo.example.com');
  assert.equal(intersectHostnames('*.example.com', '*.foo.example.com'), '*.foo.example.com');
  assert.equal(intersectHostnames('*.foo.example.com', '*.example.com'), '*.foo.example.com');
  assert.equal(intersectHostnames('*.example.com', '*.example.org'), null);
  assert.equal(intersectHostnames('foo.example.com', 'bar.example.com'), null);
  assert.equal(intersectHostnames('*.example.com', 'fooexample.com'), null, 'suffix must start at a label boundary');
});

test('effective hostnames: route without hostnames takes the listener one', () => {
  assert.deepEqual(effectiveHostnames('*.example.com', undefined), ['*.example.com']);
  assert.deepEqual(effectiveHostnames(undefined, []), ['*']);
  assert.deepEqual(effectiveHostnames('*.example.com', ['a.example.com', 'other.org', 'A.example.com']), ['a.example.com']);
});

test('hostname specificity: exact, then wildcards with more labels, then any', () => {
  const list = ['*', '*.example.com', 'foo.example.com', '*.foo.example.com', 'a.com'];
  assert.deepEqual(list.sort(compareHostnameSpecificity), ['foo.example.com', 'a.com', '*.foo.example.com', '*.example.com', '*']);
  assert.ok(hostnameMatches('*', 'x'));
  assert.ok(hostnameMatches('*.example.com', 'a.b.example.com'));
  assert.ok(!hostnameMatches('*.example.com', 'example.com'));
});

test('hostname validity', () => {
  assert.ok(validHostname('foo.example.com'));
  assert.ok(validHostname('*.example.com'));
  assert.ok(!validHostname('*foo.example.com'));
  assert.ok(!validHostname('10.0.0.1'));
  assert.ok(!validHostname('Foo_bar.com'));
  assert.ok(!validHostname(''));
});

test('path prefix length ignores a trailing slash', () => {
  assert.equal(prefixLength('/'), 1);
  assert.equal(prefixLength('/foo/'), 4);
  assert.equal(prefixLength('/foo'), 4);
  assert.equal(prefixLength('//'), 1);
});

function m(path: RouteMatch['path'], extra: Partial<RouteMatch> = {}, routeOrder = 0, ruleIndex = 0): RankedMatch {
  return { match: { path, headers: [], queryParams: [], ...extra }, routeOrder, ruleIndex, matchIndex: 0 };
}

test('precedence: exact > regex > longest prefix > method > headers > query > age > rule order', () => {
  const h = [{ name: 'a', type: 'Exact' as const, value: '1' }];
  const q = [{ name: 'q', type: 'Exact' as const, value: '1' }];
  const items: [string, RankedMatch][] = [
    ['root', m({ type: 'PathPrefix', value: '/' })],
    ['prefix-short-rule1', m({ type: 'PathPrefix', value: '/a' }, {}, 0, 1)],
    ['prefix-short-older', m({ type: 'PathPrefix', value: '/a/' }, {}, 0, 0)],
    ['prefix-short-newer', m({ type: 'PathPrefix', value: '/a' }, {}, 5, 0)],
    ['prefix-query', m({ type: 'PathPrefix', value: '/a' }, { queryParams: q })],
    ['prefix-header', m({ type: 'PathPrefix', value: '/a' }, { headers: h })],
    ['prefix-method', m({ type: 'PathPrefix', value: '/a' }, { method: 'GET' })],
    ['prefix-long', m({ type: 'PathPrefix', value: '/a/b' })],
    ['regex', m({ type: 'RegularExpression', value: '/a.*' })],
    ['exact', m({ type: 'Exact', value: '/a' })],
  ];
  const sorted = [...items].sort((x, y) => compareMatches(x[1], y[1])).map((x) => x[0]);
  assert.deepEqual(sorted, [
    'exact',
    'regex',
    'prefix-long',
    'prefix-method',
    'prefix-header',
    'prefix-query',
    'prefix-short-older',
    'prefix-short-rule1',
    'prefix-short-newer',
    'root',
  ]);
});

test('label selectors: matchLabels and every matchExpressions operator', () => {
  const labels = { env: 'prod', tier: 'web' };
  assert.ok(selectorMatches(undefined, labels));
  assert.ok(selectorMatches({}, labels));
  assert.ok(selectorMatches({ matchLabels: { env: 'prod' } }, labels));
  assert.ok(!selectorMatches({ matchLabels: { env: 'dev' } }, labels));
  assert.ok(selectorMatches({ matchExpressions: [{ key: 'tier', operator: 'In', values: ['web', 'api'] }] }, labels));
  assert.ok(!selectorMatches({ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['web'] }] }, labels));
  assert.ok(selectorMatches({ matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['a'] }] }, labels));
  assert.ok(selectorMatches({ matchExpressions: [{ key: 'env', operator: 'Exists' }] }, labels));
  assert.ok(!selectorMatches({ matchExpressions: [{ key: 'env', operator: 'DoesNotExist' }] }, labels));
});

test('CIDR membership, IPv4 and IPv6', () => {
  assert.ok(inCidr('127.0.0.5', '127.0.0.0/24'));
  assert.ok(!inCidr('127.0.1.5', '127.0.0.0/24'));
  assert.ok(inCidr('198.18.3.4', '198.18.0.0/15'));
  assert.ok(inCidr('fd00::1:2', 'fd00::/64'));
  assert.ok(!inCidr('fd01::1', 'fd00::/16'));
  assert.ok(inCidr('::ffff:10.0.0.1', '::ffff:10.0.0.0/120'));
  assert.ok(!inCidr('10.0.0.1', 'fd00::/8'), 'families must agree');
  assert.ok(!inCidr('10.0.0.1', 'garbage'));
  assert.equal(socketName('::1', 80, 'tcp'), '[::1]:80/tcp');
  assert.equal(socketName('127.0.0.1', 80, 'http'), '127.0.0.1:80/http');
});

test('GRPC method matches become path matches', () => {
  assert.deepEqual(grpcPath({ service: 'a.B', method: 'C' }), { type: 'Exact', value: '/a.B/C' });
  assert.deepEqual(grpcPath({ service: 'a.B' }), { type: 'PathPrefix', value: '/a.B' });
  assert.deepEqual(grpcPath({ method: 'C.d' }), { type: 'RegularExpression', value: '/[^/]+/C\\.d' });
  assert.deepEqual(grpcPath({ type: 'RegularExpression', service: 'a\\..*' }), { type: 'RegularExpression', value: '/a\\..*/[^/]+' });
  assert.deepEqual(grpcPath(undefined), { type: 'PathPrefix', value: '/' });
});

test('precedence between GRPCRoute matches: longest service, then method, then headers', () => {
  const g = (service: number, method: number, headers = 0, ruleIndex = 0): RankedMatch => ({
    match: { path: { type: 'PathPrefix', value: '/' }, headers: Array.from({ length: headers }, (_, i) => ({ name: `h${i}`, type: 'Exact' as const, value: 'v' })), queryParams: [] },
    routeOrder: 0,
    ruleIndex,
    matchIndex: 0,
    grpc: { service, method },
  });
  const items = { methodOnly: g(0, 4), serviceOnly: g(9, 0), both: g(9, 4), bothHeader: g(9, 4, 1), none: g(0, 0) };
  const sorted = Object.entries(items).sort((a, b) => compareMatches(a[1], b[1])).map((e) => e[0]);
  assert.deepEqual(sorted, ['bothHeader', 'both', 'serviceOnly', 'methodOnly', 'none']);
});
