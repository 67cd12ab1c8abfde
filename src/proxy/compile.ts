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
}

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
  for (const [name, c] of Object.entries(ir.clusters)) clusters.set(name, new ClusterRuntime(c, ctx.pools));

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
    if (p.kind === 'http') ports.set(p.name, compilePort(p, clusters, deps, ctx, used));
    else if (p.kind === 'tls') {
      // The HTTP engine serves the HTTPS listeners of a TLS port; TLS listeners (passthrough or
      // terminated TLSRoutes) belong to the layer-4 servers.
      const https = p.listeners.filter((l) => l.protocol === 'HTTPS');
      if (https.length > 0 || p.listeners.length === 0) ports.set(p.name, compilePort({ ...p, listeners: https }, clusters, deps, ctx, used));
    }
  }
  // Compiled without error: the series of routes that are gone can go too.
  sweepSeries(ctx.metrics, used);
  return { clusters, ports };
}

function compilePort(p: IRPort, clusters: Map<string, ClusterRuntime>, deps: FilterDeps, ctx: CompileContext, used: SeriesInUse): CompiledPort {
  const m = ctx.metrics;
  const factory: RuleFactory<RuleRuntime> = (rule, _vh, l) => {
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
