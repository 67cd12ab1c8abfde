// IR → run-time structures, off the hot path: clusters with their pools, and for each port a
// router whose rules carry compiled filter plans, backends and metric children. Pure apart from
// reusing pools and TLS contexts across applies; throws with the object named on bad input
// (e.g. an invalid regular expression), which apply() reports without touching what is served.
import { IR_VERSION, type Cluster, type Filter, type IR, type IRListener, type IRPort, type RouteRule } from '../ir/types.ts';
import { logger } from '../log.ts';
import { compilePlan, type FilterDeps } from './filters/compile.ts';
import { Cors } from './filters/cors.ts';
import { DirectResponse } from './filters/direct-response.ts';
import { RequestMirror } from './filters/request-mirror.ts';
import { durationChild, SeriesInUse, StatusCounters, sweepSeries, type ProxyMetrics } from './metrics.ts';
import type { CompiledPort } from './port-slot.ts';
import { CompiledRouter, VHostIndexes } from './router/compiled.ts';
import { ReferenceRouter } from './router/reference.ts';
import type { Router, RuleFactory } from './router/types.ts';
import { listenerInfo, RuleRuntime, type BackendRuntime } from './rule.ts';
import { SniSelector, type SecureContextCache } from './tls/sni.ts';
import { ClusterRuntime, type PoolRegistry } from './upstream/cluster.ts';

export type RouterKind = 'compiled' | 'reference';

export interface CompileContext {
  pools: PoolRegistry;
  tlsCache: SecureContextCache;
  metrics: ProxyMetrics;
  routerKind: RouterKind;
  /**
   * What the previous successful compile built, so a change of one route rebuilds only that
   * route's rules (and a changed cluster) instead of every rule's metrics children and plans.
   * compileIR() replaces its contents only when it succeeds.
   */
  cache?: CompileCache;
}

interface RuleEntry {
  rt: RuleRuntime;
  /** Where it is served (see compilePort's factory): port, listener, Gateway, virtual host. */
  port: number;
  listener: string;
  gateway: string;
  host: string;
  /** The clusters the rule uses, and the identity (CompileCache.clusters id) of each it was built with. */
  clusters: string[];
  ids: number[];
  /** All of the above and the rule's JSON, computed once, when the entry is built. */
  key: string;
  requests: string[];
  duration: string[];
  /** The last successful compile that served it (CompileCache.gen). */
  gen: number;
  /** The last compile attempt that took it: one entry serves one place in one router. */
  taken: number;
}

/**
 * Run-time objects of past compiles, by what they were built from (see CompileContext.cache). Kept
 * across compiles rather than rebuilt by each: at thousands of rules, rebuilding even a map per
 * compile is a measurable share of a one-route change.
 */
export class CompileCache {
  clusters = new Map<string, { ir: Cluster; json: string; rt: ClusterRuntime; id: number }>();
  /** The last successful compile; an entry is reused only when that compile served it. */
  gen = 0;
  /**
   * By the rule object: the translator hands out the same RouteRule object while a route is
   * unchanged, so most rules are found here without serialising them.
   */
  byRule = new WeakMap<RouteRule, RuleEntry[]>();
  /** By key (rule JSON and where it is served): rules remade with the same content. */
  byKey = new Map<string, RuleEntry[]>();
  /** Virtual host indexes of past routers (see CompiledRouter). */
  vhosts = new VHostIndexes<RuleRuntime>();
  /** The entries the last successful compile served. */
  served: RuleEntry[] = [];
  /** How many served entries use each request series: a series goes when its count drops to 0. */
  refs = { requests: new Map<string, number>(), duration: new Map<string, number>() };
  /** Series the last successful compile used outside rules (404 and 421 answers of each port). */
  other = new SeriesInUse();
}

/** Bumped by every compile attempt: marks the entries it takes (and, on success, serves). */
let compileSeq = 0;

let clusterSeq = 0;

export interface CompiledIR {
  clusters: Map<string, ClusterRuntime>;
  ports: Map<string, CompiledPort>;
}

const NOT_FOUND_RULE: RouteRule = {
  id: '',
  route: '',
  match: { path: { type: 'PathPrefix', value: '/' }, headers: [], queryParams: [] },
  filters: [],
  backends: [],
};

export function compileIR(ir: IR, ctx: CompileContext): CompiledIR {
  if (ir.version !== IR_VERSION) {
    throw new Error(`IR version ${String(ir.version)} is not served by this data plane (it serves version ${IR_VERSION})`);
  }
  const clusters = new Map<string, ClusterRuntime>();
  const prev = ctx.cache;
  const attempt = ++compileSeq;
  const next = { clusters: new Map<string, { ir: Cluster; json: string; rt: ClusterRuntime; id: number }>(), attempt, entries: [] as RuleEntry[] };
  for (const [name, c] of Object.entries(ir.clusters)) {
    const old = prev?.clusters.get(name);
    // The translator reuses unchanged Cluster objects: identity first, JSON only when it differs.
    const json = old !== undefined && old.ir === c ? old.json : JSON.stringify(c);
    let entry = old !== undefined && old.json === json ? { ...old, ir: c } : undefined;
    if (entry !== undefined) {
      // Reused as is: its pools must still count as used by this generation.
      for (const e of c.endpoints) ctx.pools.endpoint(e.address, e.port, c);
    } else {
      entry = { ir: c, json, rt: new ClusterRuntime(c, ctx.pools), id: ++clusterSeq };
    }
    next.clusters.set(name, entry);
    clusters.set(name, entry.rt);
  }

  const deps: FilterDeps = {
    mirror(cluster, fraction) {
      const c = cluster === null ? undefined : clusters.get(cluster);
      return c === undefined ? null : new RequestMirror(c, fraction);
    },
    cors(f: Extract<Filter, { type: 'CORS' }>) {
      const c = new Cors(f);
      return { responder: c.responder, response: c.response };
    },
  };

  const ports = new Map<string, CompiledPort>();
  const used = new SeriesInUse();
  for (const p of ir.ports) {
    if (p.kind === 'http') ports.set(p.name, compilePort(p, clusters, deps, ctx, used, next));
    else if (p.kind === 'tls') {
      // The HTTP engine serves the HTTPS listeners of a TLS port; TLS listeners (passthrough or
      // terminated TLSRoutes) belong to the layer-4 servers.
      const https = p.listeners.filter((l) => l.protocol === 'HTTPS');
      if (https.length > 0 || p.listeners.length === 0) ports.set(p.name, compilePort({ ...p, listeners: https }, clusters, deps, ctx, used, next));
    }
  }
  // Compiled without error: the cache now describes what is served, and the series of routes that
  // are gone go too. Counted per series, so this costs what changed, not what is served.
  if (prev === undefined) {
    sweepSeries(ctx.metrics, used);
    return { clusters, ports };
  }
  const gone = new SeriesInUse();
  for (const e of next.entries) if (e.gen !== prev.gen) countSeries(prev, e, 1, gone);
  for (const e of prev.served) {
    if (e.taken === attempt) continue;
    countSeries(prev, e, -1, gone);
    const same = prev.byKey.get(e.key)?.filter((x) => x !== e);
    if (same === undefined || same.length === 0) prev.byKey.delete(e.key);
    else prev.byKey.set(e.key, same);
  }
  for (const k of prev.other.requests) if (!used.requests.has(k)) gone.requests.add(k);
  for (const k of prev.other.duration) if (!used.duration.has(k)) gone.duration.add(k);
  for (const k of gone.requests) if (!used.requests.has(k) && !prev.refs.requests.has(k)) ctx.metrics.requests.remove(...k.split('\u0000'));
  for (const k of gone.duration) if (!used.duration.has(k) && !prev.refs.duration.has(k)) ctx.metrics.duration.remove(...k.split('\u0000'));
  prev.other = used;
  prev.served = next.entries;
  prev.clusters = next.clusters;
  prev.gen = attempt;
  for (const e of next.entries) e.gen = attempt;
  return { clusters, ports };
}

/** Whether an entry can serve a rule at this place now: served last time, not yet taken, same place and clusters. */
function fits(e: RuleEntry, gen: number, attempt: number, port: number, l: IRListener, host: string, clusters: CompileCache['clusters']): boolean {
  if (e.gen !== gen || e.taken === attempt || e.port !== port || e.listener !== l.name || e.gateway !== l.gateway || e.host !== host) return false;
  for (let i = 0; i < e.clusters.length; i++) if ((clusters.get(e.clusters[i]!)?.id ?? 0) !== e.ids[i]) return false;
  return true;
}

/** Adds `delta` to the use counts of an entry's series; those that reach 0 are noted in `gone`. */
function countSeries(cache: CompileCache, e: RuleEntry, delta: number, gone: SeriesInUse): void {
  const step = (counts: Map<string, number>, keys: string[], out: Set<string>) => {
    for (const k of keys) {
      const n = (counts.get(k) ?? 0) + delta;
      if (n > 0) counts.set(k, n);
      else {
        counts.delete(k);
        out.add(k);
      }
    }
  };
  step(cache.refs.requests, e.requests, gone.requests);
  step(cache.refs.duration, e.duration, gone.duration);
}

/** Names of the clusters a rule refers to (backends and mirrors), so a changed cluster rebuilds it. */
function clustersOf(rule: RouteRule): string[] {
  const out: string[] = [];
  mirrorsOf(rule.filters, out);
  for (const b of rule.backends) {
    if (b.cluster !== null) out.push(b.cluster);
    if (b.filters.length > 0) mirrorsOf(b.filters, out);
  }
  return out;
}

function mirrorsOf(fs: readonly Filter[], out: string[]): void {
  for (const f of fs) if (f.type === 'RequestMirror' && f.cluster !== null) out.push(f.cluster);
}

function compilePort(
  p: IRPort,
  clusters: Map<string, ClusterRuntime>,
  deps: FilterDeps,
  ctx: CompileContext,
  used: SeriesInUse,
  next: { clusters: CompileCache['clusters']; attempt: number; entries: RuleEntry[] },
): CompiledPort {
  const m = ctx.metrics;
  const prev = ctx.cache;
  const build = buildRule(p, clusters, deps, m);
  const factory: RuleFactory<RuleRuntime> = (rule, vh, l) => {
    if (prev === undefined) return build(rule, vh, l, used);
    // Everything a rule's run-time object is built from: the rule, its listener and port, and the
    // identity of the clusters it uses; and the virtual host, so a rule served by several keeps
    // one object for each.
    const gen = prev.gen;
    const attempt = next.attempt;
    let slots = prev.byRule.get(rule);
    let entry: RuleEntry | undefined;
    // The usual case, found without building anything: the same rule object served in the same place.
    if (slots !== undefined) {
      for (let i = 0; i < slots.length && entry === undefined; i++) if (fits(slots[i]!, gen, attempt, p.port, l, vh.hostname, next.clusters)) entry = slots[i];
    }
    if (entry === undefined) {
      const names = clustersOf(rule);
      const ids = names.map((c) => next.clusters.get(c)?.id ?? 0);
      const key = `${p.port}|${l.name}|${l.gateway}|${ids.join(',')}|${vh.hostname}|${JSON.stringify(rule)}`;
      entry = prev.byKey.get(key)?.find((e) => fits(e, gen, attempt, p.port, l, vh.hostname, next.clusters));
      if (entry === undefined) {
        const mine = new SeriesInUse();
        const rt = build(rule, vh, l, mine);
        entry = { rt, port: p.port, listener: l.name, gateway: l.gateway, host: vh.hostname, clusters: names, ids, key, requests: [...mine.requests], duration: [...mine.duration], gen: -1, taken: 0 };
        const same = prev.byKey.get(key);
        if (same === undefined) prev.byKey.set(key, [entry]);
        else same.push(entry);
      }
      // Entries the last compile did not serve can never be reused: drop them as we pass.
      slots = (slots ?? []).filter((e) => e.gen === prev.gen || e.taken === next.attempt);
      if (!slots.includes(entry)) slots.push(entry);
      prev.byRule.set(rule, slots);
    }
    entry.taken = next.attempt;
    next.entries.push(entry);
    return entry.rt;
  };
  const router: Router<RuleRuntime> = ctx.routerKind === 'reference' ? new ReferenceRouter(p, factory) : new CompiledRouter(p, factory, prev?.vhosts);
  const gateway = p.listeners[0]?.gateway ?? '';
  // The port's own answers when no rule serves a request: 404 (no route) and 421 (misdirected).
  const direct = (status: number): RuleRuntime =>
    new RuleRuntime(
      NOT_FOUND_RULE,
      { name: '', gateway, port: p.port },
      { responders: [new DirectResponse(status)], requestSteps: [], responseSteps: [] },
      [],
      new StatusCounters(m, gateway, '', '', used),
      durationChild(m, gateway, '', used),
    );
  const notFound = direct(404);
  const misdirected = direct(421);
  const tls = p.kind === 'tls' ? new SniSelector(p.listeners, ctx.tlsCache) : null;
  for (const e of tls?.errors ?? []) logger.warn('certificate not usable', { port: p.name, error: e });
  return { scheme: p.kind === 'tls' ? 'https' : 'http', router, notFound, misdirected, tls };
}

type BuildRule = (rule: RouteRule, vh: Parameters<RuleFactory<RuleRuntime>>[1], l: Parameters<RuleFactory<RuleRuntime>>[2], used: SeriesInUse) => RuleRuntime;

/** Builds one rule's run-time object: filter plans, backends and their metrics children. */
function buildRule(p: IRPort, clusters: Map<string, ClusterRuntime>, deps: FilterDeps, m: ProxyMetrics): BuildRule {
  return (rule, _vh, l, used) => {
    const plan = compilePlan(rule.filters, deps);
    const backends = rule.backends.map((b) => {
      const cluster = b.cluster === null ? null : (clusters.get(b.cluster) ?? null);
      if (b.cluster !== null && cluster === null) {
        logger.warn('rule refers to a cluster missing from the IR; its share is answered 500', { rule: rule.id, cluster: b.cluster });
      }
      const item: BackendRuntime = {
        name: b.cluster ?? '',
        cluster,
        plan: b.filters.length > 0 ? compilePlan(b.filters, deps, plan) : plan,
        counters: new StatusCounters(m, l.gateway, rule.route, b.cluster ?? '', used),
      };
      return { item, weight: b.weight };
    });
    return new RuleRuntime(
      rule,
      listenerInfo(l, p.port),
      plan,
      backends,
      new StatusCounters(m, l.gateway, rule.route, '', used),
      durationChild(m, l.gateway, rule.route, used),
    );
  };
}
