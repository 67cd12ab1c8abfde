// IR → run-time structures, off the hot path: clusters with their pools, and for each port a
// router whose rules carry compiled filter plans, backends and metric children. Pure apart from
// reusing pools and TLS contexts across applies; throws with the object named on bad input
// (e.g. an invalid regular expression), which apply() reports without touching what is served.
import { IR_VERSION, type Filter, type IR, type IRPort, type RouteRule } from '../ir/types.ts';
import { logger } from '../log.ts';
import { compilePlan, type FilterDeps } from './filters/compile.ts';
import { Cors } from './filters/cors.ts';
import { DirectResponse } from './filters/direct-response.ts';
import { RequestMirror } from './filters/request-mirror.ts';
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

/** Run-time objects of the last compile, by what they were built from (see CompileContext.cache). */
export class CompileCache {
  clusters = new Map<string, { json: string; rt: ClusterRuntime; id: number }>();
  /** By key, in the order built: a rule served twice (two virtual hosts) keeps two objects. */
  rules = new Map<string, { rt: RuleRuntime; requests: string[]; duration: string[] }[]>();
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
  const next = new CompileCache();
  for (const [name, c] of Object.entries(ir.clusters)) {
    const json = JSON.stringify(c);
    const old = prev?.clusters.get(name);
    let entry = old !== undefined && old.json === json ? old : undefined;
    if (entry !== undefined) {
      // Reused as is: its pools must still count as used by this generation.
      for (const e of c.endpoints) ctx.pools.endpoint(e.address, e.port, c);
    } else {
      entry = { json, rt: new ClusterRuntime(c, ctx.pools), id: ++clusterSeq };
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
  // Compiled without error: the series of routes that are gone can go too.
  sweepSeries(ctx.metrics, used);
  if (ctx.cache !== undefined) {
    ctx.cache.clusters = next.clusters;
    ctx.cache.rules = next.rules;
  }
  return { clusters, ports };
}

/** Names of the clusters a rule refers to (backends and mirrors), so a changed cluster rebuilds it. */
function clustersOf(rule: RouteRule): string[] {
  const out: string[] = [];
  const scan = (fs: Filter[]) => {
    for (const f of fs) if (f.type === 'RequestMirror' && f.cluster !== null) out.push(f.cluster);
  };
  scan(rule.filters);
  for (const b of rule.backends) {
    if (b.cluster !== null) out.push(b.cluster);
    scan(b.filters);
  }
  return out;
}

function compilePort(
  p: IRPort,
  clusters: Map<string, ClusterRuntime>,
  deps: FilterDeps,
  ctx: CompileContext,
  used: SeriesInUse,
  next: CompileCache,
): CompiledPort {
  const m = ctx.metrics;
  const prev = ctx.cache;
  const build = buildRule(p, clusters, deps, m);
  const factory: RuleFactory<RuleRuntime> = (rule, vh, l) => {
    if (prev === undefined) return build(rule, vh, l, used);
    // Everything a rule's run-time object is built from: the rule, its listener and port, and the
    // identity of the clusters it uses.
    const ids = clustersOf(rule).map((c) => next.clusters.get(c)?.id ?? 0);
    const key = `${p.port}|${l.name}|${l.gateway}|${ids.join(',')}|${JSON.stringify(rule)}`;
    const mineSoFar = next.rules.get(key) ?? [];
    let entry = prev.rules.get(key)?.[mineSoFar.length];
    if (entry === undefined) {
      const mine = new SeriesInUse();
      entry = { rt: build(rule, vh, l, mine), requests: [...mine.requests], duration: [...mine.duration] };
    }
    for (const k of entry.requests) used.requests.add(k);
    for (const k of entry.duration) used.duration.add(k);
    mineSoFar.push(entry);
    next.rules.set(key, mineSoFar);
    return entry.rt;
  };
  const router: Router<RuleRuntime> = ctx.routerKind === 'reference' ? new ReferenceRouter(p, factory) : new CompiledRouter(p, factory);
  const gateway = p.listeners[0]?.gateway ?? '';
  const notFound = new RuleRuntime(
    NOT_FOUND_RULE,
    { name: '', gateway, port: p.port },
    { responders: [new DirectResponse(404)], requestSteps: [], responseSteps: [] },
    [],
    new StatusCounters(m, gateway, '', '', used),
    durationChild(m, gateway, '', used),
  );
  const misdirected = new RuleRuntime(
    NOT_FOUND_RULE,
    { name: '', gateway, port: p.port },
    { responders: [new DirectResponse(421)], requestSteps: [], responseSteps: [] },
    [],
    new StatusCounters(m, gateway, '', '', used),
    durationChild(m, gateway, '', used),
  );
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
