// The route sets every target serves, written as Gateway API objects: one GatewayClass, one
// Gateway with an HTTP listener on 127.0.0.1, Services with EndpointSlices pointing at the
// backend, and N HTTPRoutes with hostnames and path prefixes spread over them. Wicket reads these
// objects as YAML; nginx and HAProxy get configs generated from the very same objects
// (peers/nginx.ts, peers/haproxy.ts), so every target routes the same table.
import { stringify } from 'yaml';
import type { EndpointSlice, Gateway, GatewayClass, HTTPRoute, Service } from '../../src/resources/types.ts';

export const NS = 'bench';
export const GATEWAY = 'bench';
export const CONTROLLER = 'wicket.dev/gateway-controller';

export interface RouteSet {
  gatewayClass: GatewayClass;
  gateway: Gateway;
  services: Service[];
  endpointSlices: EndpointSlice[];
  routes: HTTPRoute[];
}

export interface RouteSetOptions {
  /** Port the Gateway listener (and the peers' frontends) listen on. */
  listenPort: number;
  /** Backend address and port every Service resolves to. */
  backend: { address: string; port: number };
  /** Number of Services the routes are spread over (upstream pools). */
  services?: number;
}

export function hostOf(i: number): string {
  // Ten routes share a host, so hosts and paths both vary as N grows.
  return `h${Math.floor(i / 10)}.bench.example`;
}

export function pathOf(i: number): string {
  return `/r${i}`;
}

export function serviceOf(i: number, services: number): string {
  return `svc-${i % services}`;
}

export function routeName(i: number): string {
  return `route-${i}`;
}

export function makeRoute(i: number, services: number, name = routeName(i)): HTTPRoute {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name, namespace: NS },
    spec: {
      parentRefs: [{ name: GATEWAY }],
      hostnames: [hostOf(i)],
      rules: [
        {
          matches: [{ path: { type: 'PathPrefix', value: pathOf(i) } }],
          backendRefs: [{ name: serviceOf(i, services), port: 80 }],
        },
      ],
    },
  };
}

export function makeBase(o: RouteSetOptions): Omit<RouteSet, 'routes'> {
  const nServices = o.services ?? 1;
  const services: Service[] = [];
  const endpointSlices: EndpointSlice[] = [];
  for (let s = 0; s < nServices; s++) {
    const name = `svc-${s}`;
    services.push({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace: NS },
      spec: { ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: o.backend.port }] },
    });
    endpointSlices.push({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: `${name}-1`, namespace: NS, labels: { 'kubernetes.io/service-name': name } },
      addressType: 'IPv4',
      endpoints: [{ addresses: [o.backend.address], conditions: { ready: true, serving: true, terminating: false } }],
      ports: [{ name: 'http', port: o.backend.port, protocol: 'TCP' }],
    });
  }
  return {
    gatewayClass: {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'GatewayClass',
      metadata: { name: 'wicket-bench' },
      spec: { controllerName: CONTROLLER },
    },
    gateway: {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: { name: GATEWAY, namespace: NS },
      spec: {
        gatewayClassName: 'wicket-bench',
        addresses: [{ type: 'IPAddress', value: '127.0.0.1' }],
        listeners: [{ name: 'http', protocol: 'HTTP', port: o.listenPort, allowedRoutes: { namespaces: { from: 'Same' } } }],
      },
    },
    services,
    endpointSlices,
  };
}

export function makeRouteSet(n: number, o: RouteSetOptions): RouteSet {
  const services = Math.max(1, Math.min(o.services ?? 1, n));
  const base = makeBase({ ...o, services });
  const routes: HTTPRoute[] = [];
  for (let i = 0; i < n; i++) routes.push(makeRoute(i, services));
  return { ...base, routes };
}

/** A request that hits route i: its host and a path under its prefix. */
export function requestFor(i: number): { host: string; path: string } {
  return { host: hostOf(i), path: `${pathOf(i)}/x` };
}

/** Up to `count` routes spread evenly over 0..n-1, for load that touches the whole table. */
export function sampleRequests(n: number, count: number): { host: string; path: string }[] {
  const k = Math.min(n, count);
  const out: { host: string; path: string }[] = [];
  for (let j = 0; j < k; j++) out.push(requestFor(Math.floor((j * n) / k)));
  return out;
}

export function toYaml(objects: object[]): string {
  return objects.map((o) => stringify(o, { lineWidth: 0 })).join('---\n');
}

/** Adds a Service (and its EndpointSlice) named `name` resolving to address:port. */
export function withService(set: RouteSet, name: string, address: string, port: number): RouteSet {
  const service: Service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: NS },
    spec: { ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: port }] },
  };
  const slice: EndpointSlice = {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: `${name}-1`, namespace: NS, labels: { 'kubernetes.io/service-name': name } },
    addressType: 'IPv4',
    endpoints: [{ addresses: [address], conditions: { ready: true, serving: true, terminating: false } }],
    ports: [{ name: 'http', port, protocol: 'TCP' }],
  };
  return { ...set, services: [...set.services, service], endpointSlices: [...set.endpointSlices, slice] };
}

/** A route for one host and path prefix to one Service. */
export function customRoute(name: string, host: string, prefix: string, service: string): HTTPRoute {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name, namespace: NS },
    spec: {
      parentRefs: [{ name: GATEWAY }],
      hostnames: [host],
      rules: [{ matches: [{ path: { type: 'PathPrefix', value: prefix } }], backendRefs: [{ name: service, port: 80 }] }],
    },
  };
}
