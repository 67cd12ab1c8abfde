// Random Gateway API snapshots and edits for the incremental-translation and compile-reuse tests:
// small worlds (two Gateways, a few namespaces, Services and hostnames) so that edits often touch
// what other routes depend on (shared hostnames, backends, grants, precedence).
import { emptySnapshot, type Snapshot } from '../../src/resources/snapshot.ts';
import type { AnyObject } from '../../src/resources/types.ts';

export const OPTIONS = { controllerName: 'wicket.dev/gateway-controller', defaultAddress: '127.0.0.1' };
const NAMESPACES = ['default', 'team-a', 'team-b'];
const HOSTS = ['a.example.com', 'b.example.com', '*.example.com', 'x.other.org', 'c.example.com'];
const SERVICES = ['s0', 's1', 's2', 's3'];


export type Rand = () => number;
const pick = <T>(r: Rand, list: readonly T[]): T => list[Math.floor(r() * list.length)]!;
const ts = (n: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString();

function gateway(r: Rand, name: string): AnyObject {
  const listeners = [
    { name: 'http', port: 80, protocol: 'HTTP', allowedRoutes: { namespaces: { from: pick(r, ['All', 'Same', 'All']) } } },
    { name: 'narrow', port: 8080, protocol: 'HTTP', hostname: pick(r, HOSTS), allowedRoutes: { namespaces: { from: 'All' } } },
  ];
  return { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name, namespace: 'default', creationTimestamp: ts(0) }, spec: { gatewayClassName: 'wicket', listeners } } as AnyObject;
}

function service(r: Rand, ns: string, name: string): AnyObject {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ns }, spec: { ports: [{ name: 'http', port: pick(r, [80, 80, 81]), targetPort: 8080 }] } } as AnyObject;
}

function slice(r: Rand, ns: string, svc: string): AnyObject {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: `${svc}-x`, namespace: ns, labels: { 'kubernetes.io/service-name': svc } },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 8080 }],
    endpoints: [{ addresses: ['10.0.0.1'], conditions: { ready: r() < 0.8 } }, { addresses: [`10.0.0.${2 + Math.floor(r() * 3)}`] }],
  } as AnyObject;
}

function grant(ns: string): AnyObject {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1beta1',
    kind: 'ReferenceGrant',
    metadata: { name: 'allow', namespace: ns },
    spec: { from: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: 'default' }], to: [{ group: '', kind: 'Service' }] },
  } as AnyObject;
}

function route(r: Rand, kind: 'HTTPRoute' | 'GRPCRoute', ns: string, name: string, seq: number): AnyObject {
  const backend = () => {
    const ref: Record<string, unknown> = { name: pick(r, [...SERVICES, 'missing']), port: pick(r, [80, 80, 81]) };
    if (r() < 0.2) ref['namespace'] = pick(r, NAMESPACES);
    if (r() < 0.3) ref['weight'] = Math.floor(r() * 3);
    return ref;
  };
  const parentRefs = [{ name: pick(r, ['gw1', 'gw2']), ...(r() < 0.3 ? { sectionName: pick(r, ['http', 'narrow', 'nope']) } : {}) }];
  const hostnames = r() < 0.2 ? [] : [pick(r, HOSTS), ...(r() < 0.3 ? [pick(r, HOSTS)] : [])];
  const rules = Array.from({ length: 1 + Math.floor(r() * 2) }, () =>
    kind === 'HTTPRoute'
      ? {
          matches: [{ path: { type: pick(r, ['PathPrefix', 'Exact', 'PathPrefix']), value: pick(r, ['/', '/a', '/a/b', '/c']) }, ...(r() < 0.2 ? { headers: [{ name: 'x', value: 'y' }] } : {}) }],
          backendRefs: [backend(), ...(r() < 0.3 ? [backend()] : [])],
          ...(r() < 0.1 ? { filters: [{ type: 'RequestMirror', requestMirror: { backendRef: backend() } }] } : {}),
        }
      : { matches: [{ method: { service: pick(r, ['svc.A', 'svc.B']), method: pick(r, ['Get', 'Put']) } }], backendRefs: [backend()] },
  );
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind,
    metadata: { name, namespace: ns, creationTimestamp: ts(seq % 7), generation: 1 + (seq % 3) },
    spec: { parentRefs: parentRefs.map((p) => ({ ...p, namespace: 'default' })), hostnames, rules },
  } as unknown as AnyObject;
}

/** One random edit, replacing objects (never mutating them) as a provider would. */
export function edit(r: Rand, s: Snapshot, seq: number): Snapshot {
  const next: Snapshot = { ...s };
  const ns = pick(r, NAMESPACES);
  const x = r();
  if (x < 0.35) {
    const kind = r() < 0.85 ? 'HTTPRoute' : 'GRPCRoute';
    const name = `r${Math.floor(r() * 12)}`;
    const field = kind === 'HTTPRoute' ? 'httpRoutes' : 'grpcRoutes';
    const list = (next[field] as AnyObject[]).filter((o) => !(o.metadata.name === name && o.metadata.namespace === ns));
    (next as unknown as Record<string, AnyObject[]>)[field] = [...list, route(r, kind, ns, name, seq)];
  } else if (x < 0.5) {
    if (next.httpRoutes.length > 0) next.httpRoutes = next.httpRoutes.filter((_, i) => i !== Math.floor(r() * next.httpRoutes.length));
  } else if (x < 0.6) {
    const name = pick(r, SERVICES);
    const rest = next.services.filter((o) => !(o.metadata.name === name && o.metadata.namespace === ns));
    next.services = r() < 0.2 ? rest : [...rest, service(r, ns, name) as never];
  } else if (x < 0.7) {
    const svc = pick(r, SERVICES);
    next.endpointSlices = [...next.endpointSlices.filter((o) => !(o.metadata.name === `${svc}-x` && o.metadata.namespace === ns)), slice(r, ns, svc) as never];
  } else if (x < 0.78) {
    const has = next.referenceGrants.some((g) => g.metadata.namespace === ns);
    next.referenceGrants = has ? next.referenceGrants.filter((g) => g.metadata.namespace !== ns) : [...next.referenceGrants, grant(ns) as never];
  } else if (x < 0.86) {
    const name = pick(r, ['gw1', 'gw2']);
    next.gateways = [...next.gateways.filter((g) => g.metadata.name !== name), gateway(r, name) as never];
  } else if (x < 0.92) {
    // Same route, new creation time: its precedence among the others moves.
    if (next.httpRoutes.length > 0) {
      const i = Math.floor(r() * next.httpRoutes.length);
      const o = next.httpRoutes[i]!;
      next.httpRoutes = next.httpRoutes.map((y, j) => (j === i ? { ...o, metadata: { ...o.metadata, creationTimestamp: ts(Math.floor(r() * 7)) } } : y));
    }
  } else {
    // A namespace's labels change (Selector-based allowedRoutes read them).
    next.namespaces = [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: { team: pick(r, ['a', 'b']) } } } as never, ...next.namespaces.filter((n) => n.metadata.name !== ns)];
  }
  return next;
}

export function base(r: Rand): Snapshot {
  const s = emptySnapshot();
  s.gatewayClasses.push({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'GatewayClass', metadata: { name: 'wicket' }, spec: { controllerName: OPTIONS.controllerName } } as never);
  s.gateways.push(gateway(r, 'gw1') as never, gateway(r, 'gw2') as never);
  for (const ns of NAMESPACES) {
    for (const svc of SERVICES) {
      s.services.push(service(r, ns, svc) as never);
      s.endpointSlices.push(slice(r, ns, svc) as never);
    }
  }
  return s;
}

