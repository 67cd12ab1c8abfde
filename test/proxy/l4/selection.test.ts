// The pure parts of layer-4 routing: SNI precedence and weighted choice.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RouteBalancer } from '../../../src/proxy/l4/balancer.ts';
import { SmoothWeightedRoundRobin } from '../../../src/proxy/upstream/balancer.ts';
import { HostnameTable } from '../../../src/proxy/l4/hostname-table.ts';
import { selectCertificate } from '../../../src/proxy/l4/tls-terminate.ts';
import { backends, cluster, l4Route } from './helpers.ts';

describe('HostnameTable (SNI precedence)', () => {
  const table = new HostnameTable([
    { hostnames: ['*.com'], value: 'star-com' },
    { hostnames: ['*.example.com'], value: 'star-example' },
    { hostnames: ['abc.example.com', 'x.org'], value: 'exact' },
    { hostnames: ['*.a.example.com'], value: 'star-a-example' },
    { value: 'any' },
  ]);

  it('prefers an exact name, then the wildcard with the most labels, then a route without hostnames', () => {
    assert.equal(table.match('abc.example.com'), 'exact');
    assert.equal(table.match('x.org'), 'exact');
    assert.equal(table.match('b.a.example.com'), 'star-a-example');
    assert.equal(table.match('deep.b.a.example.com'), 'star-a-example');
    assert.equal(table.match('other.example.com'), 'star-example');
    assert.equal(table.match('other.com'), 'star-com');
    assert.equal(table.match('example.org'), 'any');
  });

  it('a wildcard needs at least one label in front of it', () => {
    assert.equal(table.match('example.com'), 'star-com');
    assert.equal(table.match('com'), 'any');
    assert.equal(new HostnameTable([{ hostnames: ['*.example.com'], value: 1 }]).match('example.com'), undefined);
  });

  it('without SNI only an entry without hostnames matches', () => {
    assert.equal(table.match(undefined), 'any');
    assert.equal(new HostnameTable([{ hostnames: ['*.com'], value: 1 }]).match(undefined), undefined);
  });

  it('treats `*` (the translator\'s "any hostname") like an entry without hostnames', () => {
    const t = new HostnameTable([
      { hostnames: ['a.example.com'], value: 'exact' },
      { hostnames: ['*'], value: 'star' },
    ]);
    assert.equal(t.match('a.example.com'), 'exact');
    assert.equal(t.match('b.example.com'), 'star');
    assert.equal(t.match(undefined), 'star');
  });

  it('on equal patterns the entry listed first wins', () => {
    const t = new HostnameTable([
      { hostnames: ['a.example.com'], value: 'first' },
      { hostnames: ['a.example.com'], value: 'second' },
      { value: 'any-1' },
      { value: 'any-2' },
    ]);
    assert.equal(t.match('a.example.com'), 'first');
    assert.equal(t.match('zzz'), 'any-1');
  });
});

describe('SmoothWeightedRoundRobin (shared by HTTP endpoints and layer-4 routes)', () => {
  it('gives each item exactly its weight over every full cycle, interleaved', () => {
    const sw = new SmoothWeightedRoundRobin([
      { item: 'a', weight: 5 },
      { item: 'b', weight: 1 },
      { item: 'c', weight: 1 },
    ]);
    const seq = Array.from({ length: 7 }, () => sw.next());
    assert.deepEqual(seq, ['a', 'a', 'b', 'a', 'c', 'a', 'a']);
    const counts: Record<string, number> = {};
    for (let i = 0; i < 700; i++) {
      const v = sw.next()!;
      counts[v] = (counts[v] ?? 0) + 1;
    }
    assert.deepEqual(counts, { a: 500, b: 100, c: 100 });
  });

  it('never picks zero or negative weights; empty picks nothing', () => {
    const sw = new SmoothWeightedRoundRobin([
      { item: 'a', weight: 0 },
      { item: 'b', weight: 2 },
      { item: 'c', weight: -1 },
    ]);
    for (let i = 0; i < 10; i++) assert.equal(sw.next(), 'b');
    assert.equal(new SmoothWeightedRoundRobin([]).next(), undefined);
  });
});

describe('RouteBalancer', () => {
  const clusters = {
    a: cluster('a', [1001, 1002]),
    empty: cluster('empty', []),
  };

  it('keeps an invalid backend\'s share of connections, and rejects it', () => {
    const b = new RouteBalancer(l4Route('TCPRoute/ns/r', backends(['a', 3], [null, 1])), clusters);
    const outcomes: string[] = [];
    for (let i = 0; i < 400; i++) {
      const p = b.pick();
      outcomes.push(p.ok ? `${p.cluster.name}:${p.endpoint.port}` : p.reason);
    }
    const count = (s: string) => outcomes.filter((o) => o === s).length;
    assert.equal(count('invalid-backend'), 100);
    assert.equal(count('a:1001'), 150);
    assert.equal(count('a:1002'), 150);
  });

  it('rejects a backend whose cluster has no endpoints, or is unknown', () => {
    const b = new RouteBalancer(l4Route('TCPRoute/ns/r', backends(['empty', 1], ['missing', 1])), clusters);
    const reasons = [b.pick(), b.pick()].map((p) => (p.ok ? 'ok' : `${p.reason}/${p.backend}`)).sort();
    assert.deepEqual(reasons, ['invalid-backend/missing', 'no-endpoints/empty']);
    assert.equal(new RouteBalancer(l4Route('TCPRoute/ns/r', []), clusters).pick().ok, false);
  });
});

describe('selectCertificate', () => {
  const certs = [
    { name: 'default', dnsNames: ['default.test'] },
    { name: 'wild', dnsNames: ['*.example.com'] },
    { name: 'exact', dnsNames: ['a.example.com'] },
  ];
  it('exact name, then a covering wildcard (one label), else the first', () => {
    assert.equal(selectCertificate(certs, 'a.example.com')?.name, 'exact');
    assert.equal(selectCertificate(certs, 'b.example.com')?.name, 'wild');
    assert.equal(selectCertificate(certs, 'c.b.example.com')?.name, 'default');
    assert.equal(selectCertificate(certs, undefined)?.name, 'default');
  });
});
