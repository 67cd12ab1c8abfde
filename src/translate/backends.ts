// backendRef → cluster. A Service backend resolves through the EndpointSlices labelled
// `kubernetes.io/service-name` (ready endpoints only; `ready` absent counts as ready), matching
// the slice port whose name equals the Service port's name. The Service port's appProtocol picks
// how to speak to it; a BackendTLSPolicy on the Service (port) adds upstream TLS.
import type { Cluster, Endpoint, UpstreamTLS } from '../ir/types.ts';
import type { BackendObjectReference, RouteKind, Service, ServicePort } from '../resources/types.ts';
import { GATEWAY_GROUP } from '../resources/types.ts';
import { policyFor, type PolicyIndex } from './backend-tls.ts';
import * as C from './conditions.ts';
import type { PolicyNode } from './graph.ts';
import type { Lookup } from './lookup.ts';
import { referenceAllowed } from './reference-grants.ts';
import { objects, strings } from './sanitize.ts';

type Protocol = Cluster['protocol'];

export interface BackendContext {
  lookup: Lookup;
  policies: PolicyIndex;
  clusters: Map<string, Cluster>;
  /** Endpoints per `namespace/service:port`, computed once. */
  endpointCache: Map<string, Endpoint[]>;
  /** Resolutions by scope then reference: thousands of routes share a few Services. */
  resolveCache?: Map<string, Map<string, ResolvedBackend>>;
  /** While set, every cluster a resolution yields is recorded here (route-memo.ts replays them). */
  touched?: string[];
  /** What each cluster's endpoints are read from, when kept (route-state.ts refreshes them on an EndpointSlice change). */
  clusterSources?: Map<string, ClusterSource>;
}

/** What a cluster's endpoints are read from: the Service and the port of it the cluster was resolved to. */
export interface ClusterSource {
  svc: Service;
  port: ServicePort;
}

export interface ResolvedBackend {
  cluster: string | null;
  /** Set when the reference is not valid (cluster is then null). */
  problem?: C.Cond;
  /** Every policy targeting the Service (for their ancestor status). */
  policies?: PolicyNode[];
}

/** The protocol a Service port asks for by appProtocol. */
function naturalProtocol(port: ServicePort): Protocol {
  if (port.protocol === 'UDP') return 'udp';
  switch (port.appProtocol?.toLowerCase()) {
    case 'kubernetes.io/h2c':
      return 'h2c';
    case 'kubernetes.io/ws':
    case 'kubernetes.io/wss':
      return 'ws';
    default:
      return 'http1';
  }
}

/** The protocol a route kind speaks to a backend, or a reason it cannot. */
function protocolFor(kind: RouteKind, port: ServicePort, tlsOrigination: boolean): Protocol | string {
  const natural = naturalProtocol(port);
  switch (kind) {
    case 'HTTPRoute':
      return natural === 'udp' ? 'an HTTPRoute cannot use a UDP Service port' : natural;
    case 'GRPCRoute':
      return natural === 'udp' ? 'a GRPCRoute cannot use a UDP Service port' : 'h2c';
    case 'UDPRoute':
      return natural === 'udp' ? 'udp' : 'a UDPRoute needs a UDP Service port';
    default:
      if (natural === 'udp') return `a ${kind} needs a TCP Service port`;
      return tlsOrigination ? 'tls' : 'tcp';
  }
}

export function resolveBackend(
  ctx: BackendContext,
  routeKind: RouteKind,
  routeNs: string,
  ref: BackendObjectReference,
  /** TLSRoute passthrough backends never get a BackendTLSPolicy: the client's TLS goes through. */
  allowPolicy = true,
): ResolvedBackend {
  // Two-level cache (route kind and namespace, then the reference): short keys, few lookups.
  const scope = `${routeKind}|${routeNs}|${allowPolicy}`;
  const caches = (ctx.resolveCache ??= new Map());
  let cache = caches.get(scope);
  if (!cache) caches.set(scope, (cache = new Map()));
  const cacheKey = `${ref.group ?? ''}/${ref.kind ?? ''}/${ref.namespace ?? ''}/${ref.name}:${ref.port}`;
  let result = cache.get(cacheKey);
  if (!result) {
    result = resolveUncached(ctx, routeKind, routeNs, ref, allowPolicy);
    cache.set(cacheKey, result);
  }
  if (ctx.touched && result.cluster !== null && !ctx.touched.includes(result.cluster)) ctx.touched.push(result.cluster);
  return result;
}

function resolveUncached(
  ctx: BackendContext,
  routeKind: RouteKind,
  routeNs: string,
  ref: BackendObjectReference,
  allowPolicy: boolean,
): ResolvedBackend {
  const group = ref.group ?? '';
  const kind = ref.kind ?? 'Service';
  const ns = ref.namespace ?? routeNs;
  const what = `backendRef ${ns}/${ref.name}`;
  if (group !== '' || kind !== 'Service') {
    return { cluster: null, problem: C.routeInvalidKind(`${what}: ${group ? group + '/' : ''}${kind} is not a supported backend kind (Service is)`) };
  }
  if (!referenceAllowed(ctx.lookup, { group: GATEWAY_GROUP, kind: routeKind, namespace: routeNs }, { group: '', kind: 'Service', namespace: ns, name: ref.name })) {
    return { cluster: null, problem: C.routeRefNotPermitted(`${what}: no ReferenceGrant in ${ns} allows ${routeKind}s in ${routeNs} to use it`) };
  }
  const svc = ctx.lookup.services.get(`${ns}/${ref.name}`);
  if (!svc) return { cluster: null, problem: C.routeBackendNotFound(`${what}: Service not found`) };
  if (ref.port === undefined) return { cluster: null, problem: C.routeBackendNotFound(`${what}: port is required for a Service`) };
  const port = objects(svc.spec?.ports).find((p) => p.port === ref.port);
  if (!port && svc.spec?.type !== 'ExternalName') {
    return { cluster: null, problem: C.routeBackendNotFound(`${what}: Service has no port ${ref.port}`) };
  }
  const svcPort: ServicePort = port ?? { port: ref.port, protocol: 'TCP' };
  const svcKey = `${ns}/${ref.name}`;
  const policy = allowPolicy ? policyFor(ctx.policies, svcKey, svcPort.name) : undefined;
  const policies = allowPolicy ? ctx.policies.byService.get(svcKey) : undefined;
  let tls: UpstreamTLS | undefined;
  if (policy) {
    const t = ctx.policies.tls.get(policy);
    if (!t) return { cluster: null, policies }; // the policy's own status says why; traffic gets 500
    tls = t;
  }
  const protocol = protocolFor(routeKind, svcPort, tls !== undefined);
  if (!['http1', 'h2c', 'ws', 'tcp', 'udp', 'tls'].includes(protocol)) {
    return { cluster: null, problem: C.routeUnsupportedProtocol(`${what}: ${protocol}`), policies };
  }
  const p = protocol as Protocol;
  const natural = naturalProtocol(svcPort);
  // `ns/svc:port`, plus `/<protocol>` when a route kind speaks something other than the port's
  // appProtocol (TCPRoute → `/tcp`), plus `/tls` with a BackendTLSPolicy: unique per behaviour.
  const suffix = p === natural ? '' : `/${p === 'tls' ? 'tcp' : p}`;
  const name = `${svcKey}:${ref.port}${suffix}${tls ? '/tls' : ''}`;
  if (!ctx.clusters.has(name)) {
    const cluster: Cluster = { name, protocol: p, endpoints: endpointsOf(ctx, svc, svcPort) };
    if (tls) cluster.tls = tls;
    ctx.clusters.set(name, cluster);
    ctx.clusterSources?.set(name, { svc, port: svcPort });
  }
  return { cluster: name, policies };
}

export function endpointsOf(ctx: BackendContext, svc: Service, port: ServicePort): Endpoint[] {
  const svcKey = `${svc.metadata.namespace ?? 'default'}/${svc.metadata.name}`;
  const cacheKey = `${svcKey}:${port.port}`;
  const cached = ctx.endpointCache.get(cacheKey);
  if (cached) return cached;
  const out = new Map<string, Endpoint>();
  if (svc.spec?.type === 'ExternalName' && svc.spec.externalName) {
    out.set('x', { address: svc.spec.externalName, port: port.port, weight: 1 });
  }
  const wanted = port.name ?? '';
  for (const slice of ctx.lookup.slicesByService.get(svcKey) ?? []) {
    if (slice.addressType === 'FQDN') continue;
    let target: number | undefined;
    if (Array.isArray(slice.ports) && slice.ports.length > 0) {
      target = objects(slice.ports).find((p) => (p.name ?? '') === wanted)?.port;
    } else {
      // A slice without ports serves every port at the target port (numeric targetPort only).
      target = typeof port.targetPort === 'number' ? port.targetPort : port.targetPort === undefined ? port.port : undefined;
    }
    if (target === undefined) continue;
    for (const ep of objects(slice.endpoints)) {
      if (ep.conditions?.ready === false) continue;
      for (const address of strings(ep.addresses)) out.set(`${address}|${target}`, { address, port: target, weight: 1 });
    }
  }
  const list = [...out.values()].sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : a.port - b.port));
  ctx.endpointCache.set(cacheKey, list);
  return list;
}
