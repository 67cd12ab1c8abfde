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


// ---- Route-only worlds: what the translation kept across calls (route-state.ts) updates ----------

const R_HOSTS = ['a.example.com', 'b.example.com', '*.example.com', 'x.a.example.com', '*.a.example.com', 'x.other.org'];

/** A Gateway with HTTP listeners (one with a hostname) plus TLS passthrough and TCP listeners. */
function mixedGateway(name: string, narrow: string): AnyObject {
  const listeners = [
    { name: 'http', port: 80, protocol: 'HTTP', allowedRoutes: { namespaces: { from: 'All' } } },
    { name: 'narrow', port: 8080, protocol: 'HTTP', hostname: narrow, allowedRoutes: { namespaces: { from: 'Same' } } },
    { name: 'tls', port: 443, protocol: 'TLS', tls: { mode: 'Passthrough' }, allowedRoutes: { namespaces: { from: 'All' } } },
    { name: 'tcp', port: 9000, protocol: 'TCP', allowedRoutes: { namespaces: { from: 'All' }, kinds: [{ kind: 'TCPRoute' }] } },
  ];
  const spec = { gatewayClassName: 'wicket', listeners, allowedListeners: { namespaces: { from: 'All' } } };
  return { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name, namespace: 'default', creationTimestamp: ts(0) }, spec } as AnyObject;
}

/** A ListenerSet of gw1 in team-a: one more HTTP listener, its hostname a wildcard. */
function listenerSet(): AnyObject {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'ListenerSet',
    metadata: { name: 'ls1', namespace: 'team-a', creationTimestamp: ts(1) },
    spec: { parentRef: { name: 'gw1', namespace: 'default' }, listeners: [{ name: 'extra', port: 8081, protocol: 'HTTP', hostname: '*.example.com', allowedRoutes: { namespaces: { from: 'All' } } }] },
  } as AnyObject;
}

/** A base for routeEdit: two mixed Gateways, Services everywhere, grants into team-b. */
export function routeBase(r: Rand): Snapshot {
  let s = emptySnapshot();
  s.gatewayClasses.push({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'GatewayClass', metadata: { name: 'wicket' }, spec: { controllerName: OPTIONS.controllerName } } as never);
  s.gateways.push(mixedGateway('gw1', pick(r, R_HOSTS)) as never, mixedGateway('gw2', '*.example.com') as never);
  for (const ns of NAMESPACES) {
    for (const svc of SERVICES) {
      s.services.push(service(r, ns, svc) as never);
      s.endpointSlices.push(slice(r, ns, svc) as never);
    }
  }
  s.referenceGrants.push(grant('team-b') as never);
  s.listenerSets.push(listenerSet() as never);
  // Half the worlds have BackendTLSPolicies (their ancestors follow the routes that use them).
  if (r() < 0.5) {
    const policy = (name: string, ns: string, svc: string, t: number, validation: Record<string, unknown>) => ({
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'BackendTLSPolicy',
      metadata: { name, namespace: ns, creationTimestamp: ts(t) },
      spec: { targetRefs: [{ group: '', kind: 'Service', name: svc }], validation },
    });
    s.backendTLSPolicies.push(
      policy('tls-s1', 'default', 's1', 0, { hostname: 'backend.example', wellKnownCACertificates: 'System' }) as never,
      policy('tls-s1-later', 'default', 's1', 1, { hostname: 'other.example', wellKnownCACertificates: 'System' }) as never,
      policy('tls-s2', 'team-b', 's2', 0, { hostname: 'backend.example' }) as never,
    );
  }
  for (let i = 0; i < 8; i++) s = routeEdit(r, s, i);
  return s;
}

type RouteKindName = 'HTTPRoute' | 'GRPCRoute' | 'TLSRoute' | 'TCPRoute';
const FIELD: Record<RouteKindName, 'httpRoutes' | 'grpcRoutes' | 'tlsRoutes' | 'tcpRoutes'> = { HTTPRoute: 'httpRoutes', GRPCRoute: 'grpcRoutes', TLSRoute: 'tlsRoutes', TCPRoute: 'tcpRoutes' };

/** A random route of any kind: shared hostnames and paths, few names and ages (ties), some invalid. */
function anyRoute(r: Rand, kind: RouteKindName, ns: string, name: string, seq: number): AnyObject {
  const backend = () => ({ name: pick(r, [...SERVICES, 'missing']), port: pick(r, [80, 80, 81]), ...(r() < 0.15 ? { namespace: pick(r, NAMESPACES) } : {}), ...(r() < 0.2 ? { weight: Math.floor(r() * 3) } : {}) });
  const parentRef = () =>
    r() < 0.15
      ? { kind: 'ListenerSet', name: 'ls1', namespace: 'team-a' }
      : {
          name: pick(r, ['gw1', 'gw1', 'gw2', 'nope']),
          namespace: 'default',
          ...(r() < 0.35 ? { sectionName: pick(r, ['http', 'narrow', 'tls', 'tcp', 'nope']) } : {}),
        };
  const parentRefs = [parentRef(), ...(r() < 0.2 ? [parentRef()] : [])];
  const hostnames = r() < 0.25 ? [] : [pick(r, R_HOSTS), ...(r() < 0.3 ? [pick(r, R_HOSTS)] : [])];
  const path = () => ({ type: pick(r, ['PathPrefix', 'Exact', 'PathPrefix', 'RegularExpression']), value: pick(r, ['/', '/a', '/a/b', '/c', '/a/']) });
  let spec: Record<string, unknown>;
  if (kind === 'HTTPRoute') {
    const rules = Array.from({ length: 1 + Math.floor(r() * 2) }, () => ({
      matches: [{ path: path(), ...(r() < 0.2 ? { headers: [{ name: 'x', value: 'y' }] } : {}), ...(r() < 0.1 ? { method: 'GET' } : {}) }],
      backendRefs: [backend(), ...(r() < 0.3 ? [backend()] : [])],
      ...(r() < 0.08 ? { filters: [{ type: 'RequestMirror', requestMirror: { backendRef: backend() } }] } : {}),
      ...(r() < 0.05 ? { timeouts: { request: 'soon' } } : {}),
    }));
    spec = { parentRefs, hostnames, rules };
    if (r() < 0.04) spec = { parentRefs, hostnames, rules: [{ matches: [{ path: { type: 'RegularExpression', value: '(' } }], backendRefs: [backend()] }] };
  } else if (kind === 'GRPCRoute') {
    spec = { parentRefs, hostnames, rules: [{ matches: [{ method: { service: pick(r, ['svc.A', 'svc.B']), method: pick(r, ['Get', 'Put']) } }], backendRefs: [backend()] }] };
  } else if (kind === 'TLSRoute') {
    spec = { parentRefs, hostnames: hostnames.length > 0 ? hostnames : ['a.example.com'], rules: [{ backendRefs: [backend()] }] };
  } else {
    spec = { parentRefs, rules: [{ backendRefs: [backend()] }] };
  }
  // Now and then a spec the translator cannot read as written.
  if (r() < 0.03) spec = { ...spec, rules: 'not a list' };
  const apiVersion = kind === 'HTTPRoute' || kind === 'GRPCRoute' ? 'gateway.networking.k8s.io/v1' : 'gateway.networking.k8s.io/v1alpha2';
  return { apiVersion, kind, metadata: { name, namespace: ns, creationTimestamp: ts(seq % 3), generation: 1 + (seq % 2) }, spec } as unknown as AnyObject;
}

/**
 * Random route-only edits (one to three per call), replacing objects as a provider would: routes
 * added, replaced (same name: another spec, age or kind) and removed; names are few, so routes of
 * different kinds share names, hostnames, paths and ages (precedence and kind-clash ties).
 */
export function routeEdit(r: Rand, s: Snapshot, seq: number): Snapshot {
  let next: Snapshot = { ...s };
  const edits = r() < 0.7 ? 1 : 1 + Math.floor(r() * 3);
  for (let e = 0; e < edits; e++) {
    const kind = pick(r, ['HTTPRoute', 'HTTPRoute', 'HTTPRoute', 'GRPCRoute', 'GRPCRoute', 'TLSRoute', 'TCPRoute'] as const);
    const field = FIELD[kind];
    const list = next[field] as AnyObject[];
    const x = r();
    if (x < 0.55 || list.length === 0) {
      const ns = pick(r, NAMESPACES);
      const name = `r${Math.floor(r() * 8)}`;
      const rest = list.filter((o) => !(o.metadata.name === name && o.metadata.namespace === ns));
      const at = Math.floor(r() * (rest.length + 1));
      next = { ...next, [field]: [...rest.slice(0, at), anyRoute(r, kind, ns, name, seq * 3 + e), ...rest.slice(at)] };
    } else if (x < 0.85) {
      const i = Math.floor(r() * list.length);
      next = { ...next, [field]: list.filter((_, j) => j !== i) };
    } else {
      // Same route, another age: its place among the others moves.
      const i = Math.floor(r() * list.length);
      const o = list[i]!;
      next = { ...next, [field]: list.map((y, j) => (j === i ? { ...o, metadata: { ...o.metadata, creationTimestamp: ts(Math.floor(r() * 3)) } } : y)) };
    }
  }
  // Now and then the lists come in another order (the translation must not depend on it).
  if (r() < 0.05 && next.httpRoutes.length > 1) next = { ...next, httpRoutes: [...next.httpRoutes].reverse() };
  return next;
}
