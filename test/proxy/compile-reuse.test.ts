// compileIR() reuses the run-time objects of the last compile (rules by object identity or content,
// virtual host indexes by VirtualHost identity). That must be invisible: after a sequence of random
// configuration changes compiled one after another with one cache, every port routes every request
// exactly as a compile from scratch does, and the request series of routes that are gone are
// dropped from /metrics while those in use stay.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CompileCache, compileIR, type CompileContext, type CompiledIR } from '../../src/proxy/compile.ts';
import type { IRPort } from '../../src/ir/types.ts';
import { proxyMetrics } from '../../src/proxy/metrics.ts';
import { makeHead } from '../../src/proxy/request-head.ts';
import type { BackendRuntime, RuleRuntime } from '../../src/proxy/rule.ts';
import { SecureContextCache } from '../../src/proxy/tls/sni.ts';
import { PoolRegistry } from '../../src/proxy/upstream/cluster.ts';
import { Registry } from '../../src/metrics/registry.ts';
import { translate } from '../../src/translate/index.ts';
import { prng } from '../helpers/prng.ts';
import { base, edit, OPTIONS } from '../translate/random-snapshots.ts';

const HOSTS = ['a.example.com', 'b.example.com', 'c.example.com', 'z.example.com', 'x.other.org', 'nowhere.net'];
const PATHS = ['/', '/a', '/a/b', '/a/bc', '/c', '/c/d', '/svc.A/Get', '/svc.B/Put'];

function context(registry: Registry, cache?: CompileCache): CompileContext {
  return { pools: new PoolRegistry({}), tlsCache: new SecureContextCache(), metrics: proxyMetrics(registry), routerKind: 'compiled', ...(cache ? { cache } : {}) };
}

/** What a matched rule does: enough to tell two routers apart. */
function describeRule(rt: RuleRuntime | null): string {
  if (rt === null) return '404';
  const cluster = (c: BackendRuntime['cluster']) => (c === null ? null : [c.name, c.protocol, c.endpoints.map((e) => e.label)]);
  return JSON.stringify([rt.id, rt.route, rt.listener, rt.backendList.map((b) => [b.name, cluster(b.cluster)])]);
}

function routeSeries(registry: Registry): string[] {
  const lines = registry.expose().split('\n').filter((l) => l.startsWith('wicket_http_requests_total{'));
  return [...new Set(lines.map((l) => /route="([^"]*)"/.exec(l)?.[1] ?? '').filter((r) => r !== ''))].sort();
}

/** Asserts that two compiles route every probe alike (and counts each match); returns how many matched. */
function sameRouting(reused: CompiledIR, fresh: CompiledIR, where: string): number {
  let seen = 0;
  assert.deepEqual([...reused.ports.keys()], [...fresh.ports.keys()]);
  for (const [name, port] of fresh.ports) {
    const other = reused.ports.get(name)!;
    for (const host of HOSTS) {
      for (const path of PATHS) {
        for (const headers of [[], ['x', 'y']]) {
          const head = makeHead('GET', 'http', path, ['host', host, ...headers], '127.0.0.1', 80, null);
          const got = other.router.match(head);
          assert.equal(describeRule(got), describeRule(port.router.match(head)), `${where}: ${name} ${host}${path} ${headers.join(':')}`);
          assert.equal(other.router.listenerOf(host), port.router.listenerOf(host), `${where}: ${name} listener of ${host}`);
          got?.counters.count(200);
          // And each backend's series (gateway, route, backend): they must go with their route too.
          for (const b of got?.backendList ?? []) b.counters.count(200);
          seen += got ? 1 : 0;
        }
      }
    }
  }
  return seen;
}

/** A port whose only rule has no match: compiling it throws (a stand-in for any compile error). */
function brokenPort(): IRPort {
  const rule = { id: 'broken', route: 'HTTPRoute/default/broken', filters: [], backends: [] } as unknown as IRPort['listeners'][number]['virtualHosts'] & object;
  return {
    name: '0.0.0.0:9/http',
    address: '0.0.0.0',
    port: 9,
    kind: 'http',
    listeners: [{ name: 'default/broken/http', gateway: 'default/broken', protocol: 'HTTP', virtualHosts: [{ hostname: '*', rules: [rule as never] }] }],
  };
}

/**
 * The cache's maps hold strongly: they must list the rules the routers in force hold and no other
 * (a rule of a failed compile, or one no index holds any more, would stay for good).
 */
function cacheHoldsRulesInForce(cache: CompileCache, where: string): void {
  const inForce = new Set<RuleRuntime>();
  for (const r of cache.routers.values()) for (const values of r.valueLists()) for (const v of values) inForce.add(v);
  // Counted, not compared with deepEqual: a failure's diff of run-time objects is unbounded.
  let kept = 0;
  for (const rt of cache.entryOf.keys()) if (inForce.has(rt)) kept++;
  assert.equal(cache.entryOf.size, inForce.size, `${where}: entryOf size`);
  assert.equal(kept, inForce.size, `${where}: entryOf lists the rules in force`);
  let byRule = 0;
  for (const list of cache.byRule.values()) byRule += Array.isArray(list) ? list.length : 1;
  let byKey = 0;
  for (const list of cache.byKey.values()) byKey += Array.isArray(list) ? list.length : 1;
  assert.equal(byRule, inForce.size, `${where}: byRule`);
  assert.equal(byKey, inForce.size, `${where}: byKey`);
}

for (const seed of [11, 12, 13]) {
  test(`compiling a sequence of changes with reuse routes like compiling each from scratch (seed ${seed})`, async () => {
    const r = prng(seed);
    let s = base(r);
    const registry = new Registry();
    const ctx = context(registry, new CompileCache());
    const pools = [ctx.pools];
    let seen = 0;
    let last: { reused: CompiledIR; fresh: CompiledIR } | undefined;
    try {
      for (let step = 0; step < 80; step++) {
        s = edit(r, s, step);
        let ir = translate(s, OPTIONS).ir;
        // Every fifth step, first a compile of this IR that fails after its first ports (patches
        // to their routers built, a later port unusable): what is served must not change.
        if (step % 5 === 4 && last !== undefined && ir.ports.length > 0) {
          const broken = { ...ir, ports: [...ir.ports, brokenPort()] };
          assert.throws(() => compileIR(broken, ctx));
          cacheHoldsRulesInForce(ctx.cache!, `seed ${seed} step ${step} after a failed compile`);
          seen += sameRouting(last.reused, last.fresh, `seed ${seed} step ${step} after a failed compile`);
        }
        // Every third step, an IR that shares every rule and virtual host object with the last one
        // but moves a cluster's endpoints (another IR producer may share objects like that).
        const names = Object.keys(ir.clusters);
        if (step % 3 === 2 && names.length > 0) {
          const name = names[Math.floor(r() * names.length)]!;
          const c = ir.clusters[name]!;
          compileIR(ir, ctx);
          ir = { ...ir, clusters: { ...ir.clusters, [name]: { ...c, endpoints: [...c.endpoints, { address: '10.9.9.9', port: 9999 + step, weight: 1 }] } } };
        }
        const reused = compileIR(ir, ctx);
        cacheHoldsRulesInForce(ctx.cache!, `seed ${seed} step ${step}`);
        const freshRegistry = new Registry();
        const freshCtx = context(freshRegistry);
        pools.push(freshCtx.pools);
        const fresh = compileIR(structuredClone(ir), freshCtx);
        seen += sameRouting(reused, fresh, `seed ${seed} step ${step}`);
        last = { reused, fresh };
        // Series of routes that are gone are dropped (a series appears once a request is counted).
        const present = new Set(ir.ports.flatMap((p) => p.listeners.flatMap((l) => (l.virtualHosts ?? []).flatMap((vh) => vh.rules.map((x) => x.route)))));
        for (const route of routeSeries(registry)) assert.ok(present.has(route), `seed ${seed} step ${step}: series of ${route}, which is gone`);
      }
      assert.ok(seen > 100, 'the random configurations route requests');
      assert.ok(routeSeries(registry).length > 0, 'and count them');
    } finally {
      for (const p of pools) await p.closeAll(true, 0);
    }
  });
}
