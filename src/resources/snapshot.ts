// A snapshot: every object Wicket reads, at one instant. Providers (file, kubernetes) build it;
// the translator reads it and never mutates it.
import type {
  BackendTLSPolicy,
  ConfigMap,
  EndpointSlice,
  Gateway,
  GatewayClass,
  GRPCRoute,
  HTTPRoute,
  ListenerSet,
  Namespace,
  ReferenceGrant,
  Secret,
  Service,
  TCPRoute,
  TLSRoute,
  UDPRoute,
} from './types.ts';

export interface Snapshot {
  gatewayClasses: GatewayClass[];
  gateways: Gateway[];
  listenerSets: ListenerSet[];
  httpRoutes: HTTPRoute[];
  grpcRoutes: GRPCRoute[];
  tlsRoutes: TLSRoute[];
  tcpRoutes: TCPRoute[];
  udpRoutes: UDPRoute[];
  referenceGrants: ReferenceGrant[];
  backendTLSPolicies: BackendTLSPolicy[];
  namespaces: Namespace[];
  services: Service[];
  endpointSlices: EndpointSlice[];
  secrets: Secret[];
  configMaps: ConfigMap[];
}

export function emptySnapshot(): Snapshot {
  return {
    gatewayClasses: [],
    gateways: [],
    listenerSets: [],
    httpRoutes: [],
    grpcRoutes: [],
    tlsRoutes: [],
    tcpRoutes: [],
    udpRoutes: [],
    referenceGrants: [],
    backendTLSPolicies: [],
    namespaces: [],
    services: [],
    endpointSlices: [],
    secrets: [],
    configMaps: [],
  };
}

/** The snapshot field that holds each kind, so providers can file objects generically. */
export const SNAPSHOT_FIELD = {
  GatewayClass: 'gatewayClasses',
  Gateway: 'gateways',
  ListenerSet: 'listenerSets',
  HTTPRoute: 'httpRoutes',
  GRPCRoute: 'grpcRoutes',
  TLSRoute: 'tlsRoutes',
  TCPRoute: 'tcpRoutes',
  UDPRoute: 'udpRoutes',
  ReferenceGrant: 'referenceGrants',
  BackendTLSPolicy: 'backendTLSPolicies',
  Namespace: 'namespaces',
  Service: 'services',
  EndpointSlice: 'endpointSlices',
  Secret: 'secrets',
  ConfigMap: 'configMaps',
} as const satisfies Record<string, keyof Snapshot>;
