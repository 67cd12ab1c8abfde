// IR → run-time structures, off the hot path: clusters with their pools, and for each port a
// router whose rules carry compiled filter plans, backends and metric children. Pure apart from
// reusing pools and TLS contexts across applies; throws with the object named on bad input
// (e.g. an invalid regular expression), which apply() reports without touching what is served.
import { isDeepStrictEqual } from 'node:util';
import { IR_VERSION, type Cluster, type Filter, type IR, type IRListener, type IRPort, type RouteRule } from '../ir/types.ts';
import { logger } from '../log.ts';
import { compilePlan, type FilterDeps } from './filters/compile.ts';
import type { FilterPlan } from './filters/types.ts';
import { Cors } from './filters/cors.ts';
import { DirectResponse } from './filters/direct-response.ts';
import { RequestMirror } from './filters/request-mirror.ts';
import { labelKey } from '../metrics/registry.ts';
import { durationChild, SeriesInUse, StatusCounters, sweepSeries, type ProxyMetrics } from './metrics.ts';
import type { CompiledPort } from './port-slot.ts';
import { CompiledRouter } from './router/compiled.ts';
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
  rule: RouteRule;
  /** Where it is served: port, listener, Gateway (what listenerInfo() and the series take). */
  port: number;
  listener: string;
  gateway: string;
  /** The clusters the rule uses, and the identity (CompileCache.clusters id) of each it was built with. */
  clusters: string[];
  ids: number[];
  /** The rule's id (see CompileCache.byKey): the IR's own string, not a new one per entry. */
  key: string;
  /** Its request series (see seriesOf): one label key, or several (a rule with several backends). */
  requests: string | string[];
  /** Its latency series' label key. */
  duration: string;
  /**
   * How many virtual host indexes of the routers in force hold it. Entries in use are found by
   * rule (byRule) and content (byKey); an entry no index holds any more is dropped from both.
   */
  uses: number;
}

/**
 * Run-time objects of past compiles, by what they were built from (see CompileContext.cache). Kept
 * across compiles rather than rebuilt by each: at thousands of rules, rebuilding even a map per
 * compile is a measurable share of a one-route change.
 */
export class CompileCache {
  clusters = new Map<string, { ir: Cluster; json: string; rt: ClusterRuntime; id: number }>();
  /**
   * Entries in use by the rule object: the translator hands out the same RouteRule object while a
   * route is unchanged, so most rules are found here without serialising them. A Map, not a
   * WeakMap (as is entryOf): an entry leaves when no index holds it (commit()), and a WeakMap's
   * entries are ephemerons, which every collection must trace apart: at start-up 10,000 rules
   * whose keys are still in the young generation. With two WeakMaps the first compile of 10,000
   * routes took 252 ms CPU at best of 8 runs pinned to one core, with Maps 161 ms.
   */
  byRule = new Map<RouteRule, Listed>();
  /**
   * Entries in use by rule id: a rule remade with the same content (a new object) is found here,
   * checked for the place it is served (fits()) and compared field by field, rather than every
   * rule being serialised into a key when it is built (10,000 rules at start-up). Keyed by the id
   * alone so that no key string is built and kept per rule (~2.4 MB at 5,000 routes); a bucket
   * holds one entry per place the rule is served.
   */
  byKey = new Map<string, Listed>();
  /**
   * The entry of each run-time rule in use (held by an index of a router in force). A compile adds
   * the rules it builds and takes them out again when it fails; commit() drops those no index holds.
   */
  entryOf = new Map<RuleRuntime, RuleEntry>();
  /**
   * The routers in force, by port name: the next compile builds on them (a change of one virtual
   * host patches its listener's host table, see CompiledRouter).
   */
  routers = new Map<string, CompiledRouter<RuleRuntime> | ReferenceRouter<RuleRuntime>>();
  /** How many entries in use use each request series: a series goes when its count drops to 0. */
  refs = { requests: new Map<string, number>(), duration: new Map<string, number>() };
  /** Series the last successful compile used outside rules (404 and 421 answers of each port). */
  other = new SeriesInUse();
}

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
  const next: Attempt = { clusters: new Map(), clustersChanged: false, routers: new Map(), built: [] };
  let kept = 0;
  for (const [name, c] of Object.entries(ir.clusters)) {
    const old = prev?.clusters.get(name);
    // The translator reuses unchanged Cluster objects: identity first, JSON only when it differs.
    const json = old !== undefined && old.ir === c ? old.json : JSON.stringify(c);
    let entry = old !== undefined && old.json === json ? { ...old, ir: c } : undefined;
    if (entry !== undefined) {
      // Reused as is: its pools must still count as used by this generation.
      for (const e of c.endpoints) ctx.pools.endpoint(e.address, e.port, c);
      kept++;
    } else {
      entry = { ir: c, json, rt: new ClusterRuntime(c, ctx.pools), id: ++clusterSeq };
    }
    next.clusters.set(name, entry);
    clusters.set(name, entry.rt);
  }
  next.clustersChanged = prev === undefined || kept !== next.clusters.size || kept !== prev.clusters.size;

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
  try {
    for (const p of ir.ports) {
      if (p.kind === 'http') ports.set(p.name, compilePort(p, clusters, deps, ctx, used, next));
      else if (p.kind === 'tls') {
        // The HTTP engine serves the HTTPS listeners of a TLS port; TLS listeners (passthrough or
        // terminated TLSRoutes) belong to the layer-4 servers.
        const https = p.listeners.filter((l) => l.protocol === 'HTTPS');
        if (https.length > 0 || p.listeners.length === 0) ports.set(p.name, compilePort({ ...p, listeners: https }, clusters, deps, ctx, used, next));
      }
    }
  } catch (err) {
    // Nothing this attempt built is in use: its entries go (entryOf holds them strongly).
    if (prev !== undefined) for (const rt of next.built) prev.entryOf.delete(rt);
    throw err;
  }
  if (prev === undefined) {
    sweepSeries(ctx.metrics, used);
    return { clusters, ports };
  }
  commit(prev, next, used, ctx.metrics);
  return { clusters, ports };
}

/** What one compile attempt builds, taken into the cache only when the whole IR compiled. */
interface Attempt {
  clusters: CompileCache['clusters'];
  /** Some cluster was added, rebuilt or removed: rule values that use it must be rebuilt. */
  clustersChanged: boolean;
  routers: CompileCache['routers'];
  /** The run-time rules this attempt built (their entries are in entryOf). */
  built: RuleRuntime[];
}

/**
 * Compiled without error: the routers patch what they share with the ones in force, the cache now
 * describes what is served, and the series of routes that are gone go too. Counted per virtual
 * host index added or removed, so this costs what changed, not what is served.
 */
function commit(cache: CompileCache, next: Attempt, used: SeriesInUse, metrics: ProxyMetrics): void {
  const added: (readonly RuleRuntime[])[] = [];
  const removed: (readonly RuleRuntime[])[] = [];
  for (const [name, r] of next.routers) {
    const before = cache.routers.get(name);
    if (r instanceof CompiledRouter) {
      r.commit();
      added.push(...r.added);
      removed.push(...r.removed);
      if (before !== undefined && !(before instanceof CompiledRouter)) removed.push(...before.valueLists());
    } else {
      added.push(...r.valueLists());
      if (before !== undefined) removed.push(...before.valueLists());
    }
  }
  for (const [name, r] of cache.routers) if (!next.routers.has(name)) removed.push(...r.valueLists());

  const gone = new SeriesInUse();
  for (const values of added) {
    for (const v of values) {
      const e = cache.entryOf.get(v)!;
      if (e.uses++ > 0) continue;
      listAdd(cache.byRule, e.rule, e);
      listAdd(cache.byKey, e.key, e);
      countSeries(cache, e, 1, gone);
    }
  }
  for (const values of removed) {
    for (const v of values) {
      const e = cache.entryOf.get(v);
      if (e === undefined || --e.uses > 0) continue;
      listRemove(cache.byRule, e.rule, e);
      listRemove(cache.byKey, e.key, e);
      countSeries(cache, e, -1, gone);
      cache.entryOf.delete(v);
    }
  }
  // A rule built but held by no index (none is known to be): its entry would never leave.
  for (const rt of next.built) if (cache.entryOf.get(rt)?.uses === 0) cache.entryOf.delete(rt);
  for (const k of cache.other.requests) if (!used.requests.has(k)) gone.requests.add(k);
  for (const k of cache.other.duration) if (!used.duration.has(k)) gone.duration.add(k);
  for (const k of gone.requests) if (!used.requests.has(k) && !cache.refs.requests.has(k)) metrics.requests.remove(...k.split('\u0000'));
  for (const k of gone.duration) if (!used.duration.has(k) && !cache.refs.duration.has(k)) metrics.duration.remove(...k.split('\u0000'));
  cache.other = used;
  cache.clusters = next.clusters;
  cache.routers = next.routers;
}

/**
 * The entries under one key of byRule or byKey: the entry itself while there is one (a rule is
 * mostly served in one place: no list per rule), a list once there are more.
 */
export type Listed = RuleEntry | RuleEntry[];

function listAdd<K>(m: Map<K, Listed>, k: K, e: RuleEntry): void {
  const l = m.get(k);
  if (l === undefined) m.set(k, e);
  else if (Array.isArray(l)) l.push(e);
  else m.set(k, [l, e]);
}

function listRemove<K>(m: Map<K, Listed>, k: K, e: RuleEntry): void {
  const l = m.get(k);
  if (l === undefined) return;
  if (!Array.isArray(l)) {
    if (l === e) m.delete(k);
    return;
  }
  const i = l.indexOf(e);
  if (i >= 0) l.splice(i, 1);
  if (l.length === 0) m.delete(k);
  else if (l.length === 1) m.set(k, l[0]!);
}

/** The first entry listed that `ok` accepts. */
function findListed(l: Listed | undefined, ok: (e: RuleEntry) => boolean): RuleEntry | undefined {
  if (l === undefined) return undefined;
  if (!Array.isArray(l)) return ok(l) ? l : undefined;
  return l.find(ok);
}

/** Whether an entry was built for this place: port, listener and Gateway. */
function servedAt(e: RuleEntry, port: number, l: IRListener): boolean {
  return e.port === port && e.listener === l.name && e.gateway === l.gateway;
}

/** Whether an entry in use can serve a rule at this place now: same place, same clusters. */
function fits(e: RuleEntry, port: number, l: IRListener, clusters: CompileCache['clusters']): boolean {
  if (!servedAt(e, port, l)) return false;
  for (let i = 0; i < e.clusters.length; i++) if ((clusters.get(e.clusters[i]!)?.id ?? 0) !== e.ids[i]) return false;
  return true;
}

/** Adds `delta` to the use counts of an entry's series; those that reach 0 are noted in `gone`. */
function countSeries(cache: CompileCache, e: RuleEntry, delta: number, gone: SeriesInUse): void {
  const counts = cache.refs.requests;
  if (typeof e.requests === 'string') countKey(counts, e.requests, delta, gone.requests);
  else for (const k of e.requests) countKey(counts, k, delta, gone.requests);
  countKey(cache.refs.duration, e.duration, delta, gone.duration);
}

function countKey(counts: Map<string, number>, k: string, delta: number, gone: Set<string>): void {
  const n = (counts.get(k) ?? 0) + delta;
  if (n > 0) counts.set(k, n);
  else {
    counts.delete(k);
    gone.add(k);
  }
}

/** Names of the clusters a rule refers to (backends and mirrors), so a changed cluster rebuilds it. */
function clustersOf(rule: RouteRule): string[] {
  // The usual rule, no filters with mirrors anywhere: its backends' clusters, counted then filled.
  let plain = rule.filters.length === 0;
  let n = 0;
  for (const b of rule.backends) {
    if (b.filters.length > 0) plain = false;
    if (b.cluster !== null) n++;
  }
  if (plain) {
    if (n === 0) return NO_CLUSTERS;
    const names = new Array<string>(n);
    let i = 0;
    for (const b of rule.backends) if (b.cluster !== null) names[i++] = b.cluster;
    return names;
  }
  const out: string[] = [];
  mirrorsOf(rule.filters, out);
  for (const b of rule.backends) {
    if (b.cluster !== null) out.push(b.cluster);
    if (b.filters.length > 0) mirrorsOf(b.filters, out);
  }
  // Kept per rule: an array grown by push keeps room for ~16 more entries; a copy is exact-size.
  return out.length === 0 ? NO_CLUSTERS : out.slice();
}

/** Shared by every rule with no cluster (never written to). */
const NO_CLUSTERS: string[] = [];
const NO_IDS: number[] = [];

/**
 * The request series a rule built by buildRule() uses, as label keys (what its StatusCounters
 * record in a SeriesInUse): (gateway, route, '') and (gateway, route, cluster) per backend; its
 * latency series is (gateway, route) (durationChild). Made here, once per rule,
 * rather than collected through a set per rule and copied out (the bookkeeping of the first
 * compile was ~20 of its 47 MB allocated at 10,000 routes).
 */
function requestSeriesOf(rule: RouteRule, gateway: string): string | string[] {
  const own = labelKey([gateway, rule.route, '']);
  const bs = rule.backends;
  if (bs.length === 0) return own;
  if (bs.length === 1) {
    const c = bs[0]!.cluster;
    return c === null || c === '' ? own : [own, labelKey([gateway, rule.route, c])];
  }
  const keys = [own];
  for (const b of bs) {
    const k = labelKey([gateway, rule.route, b.cluster ?? '']);
    if (!keys.includes(k)) keys.push(k);
  }
  // Kept per rule: exact size (an array grown by push keeps room for ~16 more).
  return keys.length === 1 ? own : keys.slice();
}

function mirrorsOf(fs: readonly Filter[], out: string[]): void {
  for (const f of fs) if (f.type === 'RequestMirror' && f.cluster !== null) out.push(f.cluster);
}

function compilePort(p: IRPort, clusters: Map<string, ClusterRuntime>, deps: FilterDeps, ctx: CompileContext, used: SeriesInUse, next: Attempt): CompiledPort {
  const m = ctx.metrics;
  const cache = ctx.cache;
  const build = buildRule(p, clusters, deps, m);
  const factory: RuleFactory<RuleRuntime> = (rule, vh, l) => {
    if (cache === undefined) return build(rule, vh, l, used);
    // The usual case, found without building anything: the same rule object served in the same place.
    const same = findListed(cache.byRule.get(rule), (e) => fits(e, p.port, l, next.clusters));
    if (same !== undefined) return same.rt;
    const key = rule.id;
    const alike = findListed(cache.byKey.get(key), (e) => fits(e, p.port, l, next.clusters) && isDeepStrictEqual(e.rule, rule));
    if (alike !== undefined) return alike.rt;
    const names = clustersOf(rule);
    const ids = names.length === 0 ? NO_IDS : names.map((c) => next.clusters.get(c)?.id ?? 0);
    // Its series are counted by the cache (commit()), not collected while building.
    const rt = build(rule, vh, l, undefined);
    const requests = requestSeriesOf(rule, l.gateway);
    const duration = labelKey([l.gateway, rule.route]);
    cache.entryOf.set(rt, { rt, rule, port: p.port, listener: l.name, gateway: l.gateway, clusters: names, ids, key, requests, duration, uses: 0 });
    next.built.push(rt);
    return rt;
  };
  let router: Router<RuleRuntime>;
  if (cache === undefined) {
    router = ctx.routerKind === 'reference' ? new ReferenceRouter(p, factory) : new CompiledRouter(p, factory);
  } else {
    const before = cache.routers.get(p.name);
    const r =
      ctx.routerKind === 'reference'
        ? new ReferenceRouter(p, factory)
        : new CompiledRouter(p, factory, {
            prev: before instanceof CompiledRouter ? before : undefined,
            allValid: !next.clustersChanged,
            samePlace: (a, b) => a.name === b.name && a.gateway === b.gateway,
            // Values built for this place (the same for every value of an index: the first tells)
            // with the clusters in force (asked only when some cluster changed).
            stillValid: (values, l) => {
              if (values.length === 0) return true;
              const first = cache.entryOf.get(values[0]!)!;
              if (!servedAt(first, p.port, l)) return false;
              return !next.clustersChanged || values.every((v) => fits(cache.entryOf.get(v)!, p.port, l, next.clusters));
            },
          });
    next.routers.set(p.name, r);
    router = r;
  }
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

/**
 * The plan of a rule without filters (most rules), shared: a plan is only read once built (a
 * backend's own filters are compiled into a copy), and a plan per rule was four objects kept per
 * rule (10,000 at start-up). Not frozen, so it has the same shape as every other plan.
 */
const NO_FILTERS: FilterPlan = { responders: [], requestSteps: [], responseSteps: [] };

type BuildRule = (rule: RouteRule, vh: Parameters<RuleFactory<RuleRuntime>>[1], l: Parameters<RuleFactory<RuleRuntime>>[2], used: SeriesInUse | undefined) => RuleRuntime;

/** Builds one rule's run-time object: filter plans, backends and their metrics children. */
function buildRule(p: IRPort, clusters: Map<string, ClusterRuntime>, deps: FilterDeps, m: ProxyMetrics): BuildRule {
  // The rules of a listener share its ListenerInfo (read only): the factory is called listener by listener.
  let lastListener: IRListener | undefined;
  let info: ReturnType<typeof listenerInfo> | undefined;
  return (rule, _vh, l, used) => {
    if (l !== lastListener || info === undefined) {
      lastListener = l;
      info = listenerInfo(l, p.port);
    }
    const plan = rule.filters.length === 0 ? NO_FILTERS : compilePlan(rule.filters, deps);
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
      info,
      plan,
      backends,
      new StatusCounters(m, l.gateway, rule.route, '', used),
      durationChild(m, l.gateway, rule.route, used),
    );
  };
}
