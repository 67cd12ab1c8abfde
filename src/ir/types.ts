// The intermediate representation: everything the data plane needs, and nothing of the Gateway
// API. Plain JSON-serialisable data so it can be dumped on /config, diffed in golden tests, and
// sent to worker processes or to proxies on other machines. The translator produces it; the proxy
// compiles it into its own fast structures.
//
// Ordering is part of the contract: every list the proxy matches against is already sorted by the
// spec's precedence, so "first entry that matches" is the right answer. The proxy may index these
// lists (hash maps, tries) but must return what a first-match scan would return.

export const IR_VERSION = 1;

export interface IR {
  version: typeof IR_VERSION;
  /** One entry per socket to bind: an address, a port and a transport. */
  ports: IRPort[];
  /** Backend clusters by name; routes refer to them by name. */
  clusters: Record<string, Cluster>;
}

/**
 * What kind of traffic a socket carries. Gateway listeners that may share a socket are grouped
 * under one port: HTTP with HTTP; HTTPS with TLS (SNI picks the listener); TCP alone; UDP alone.
 */
export type PortKind = 'http' | 'tls' | 'tcp' | 'udp';

export interface IRPort {
  /** `address:port/kind` (IPv6 addresses in brackets), unique in the IR and stable across translations. */
  name: string;
  address: string;
  port: number;
  kind: PortKind;
  /**
   * Listeners served on this socket, most specific hostname first (exact, then wildcards with
   * more labels, then no hostname), ties broken by the order of the Gateways and listeners.
   */
  listeners: IRListener[];
}

export interface IRListener {
  /** `namespace/gateway/listener` (or `namespace/listenerset/listener` for ListenerSet entries). */
  name: string;
  /** `namespace/name` of the Gateway this listener belongs to (also for ListenerSet listeners). */
  gateway: string;
  protocol: 'HTTP' | 'HTTPS' | 'TLS' | 'TCP' | 'UDP';
  /** Listener hostname pattern, lower case (`foo.example.com`, `*.example.com`); absent = any. */
  hostname?: string;
  /** HTTPS, and TLS with mode Terminate. */
  tls?: ListenerTLS;
  /** HTTP and HTTPS listeners: virtual hosts, most specific hostname first. */
  virtualHosts?: VirtualHost[];
  /** TLS listeners: routes chosen by SNI, most specific hostname first. */
  tlsRoutes?: L4Route[];
  /** TCP and UDP listeners: the route (the oldest attached one) if any. */
  l4Route?: L4Route;
}

export interface ListenerTLS {
  mode: 'Terminate' | 'Passthrough';
  /** Certificates to choose from by SNI (empty for Passthrough). */
  certificates: Certificate[];
  /** Client certificate validation (Gateway `spec.tls.frontend`). */
  clientValidation?: { caPem: string; mode: 'AllowValidOnly' | 'AllowInsecureFallback' };
}

export interface Certificate {
  /** `namespace/name` of the Secret it came from, for logs and /config. */
  source: string;
  certPem: string;
  keyPem: string;
  /** DNS names the certificate covers (SAN, else CN), lower case; used for SNI selection. */
  dnsNames: string[];
}

export interface VirtualHost {
  /** Effective hostname (the intersection of listener and route hostnames); `*` = any. */
  hostname: string;
  /** Rules from every route on this host, in the spec's precedence order. */
  rules: RouteRule[];
}

export interface RouteRule {
  /** `Kind/namespace/name/rule-index/match-index`: unique, stable, used for metrics and logs. */
  id: string;
  /** `Kind/namespace/name` of the route. */
  route: string;
  /** The rule's `name` when the route gave one. */
  ruleName?: string;
  /** gRPC rules answer errors with gRPC status codes instead of HTTP status codes. */
  grpc?: boolean;
  match: RouteMatch;
  /** Request and response filters of the rule, in the order written. */
  filters: Filter[];
  /**
   * Weighted backends. Weight 0 entries are dropped by the translator. An empty list with no
   * redirect filter means "answer 500" (no valid backend).
   */
  backends: WeightedBackend[];
  /** Milliseconds; 0 means no timeout (the spec's `0s`), absent means the proxy's default. */
  timeouts?: { requestMs?: number; backendRequestMs?: number };
  retry?: { codes: number[]; attempts: number; backoffMs: number };
  sessionPersistence?: { type: 'Cookie' | 'Header'; name: string; absoluteTimeoutMs?: number; lifetime?: 'Session' | 'Permanent' };
}

export interface RouteMatch {
  path: { type: 'Exact' | 'PathPrefix' | 'RegularExpression'; value: string };
  /** Header names lower case. All must match. */
  headers: { name: string; type: 'Exact' | 'RegularExpression'; value: string }[];
  /** Query parameter names as written (case-sensitive). All must match. */
  queryParams: { name: string; type: 'Exact' | 'RegularExpression'; value: string }[];
  method?: string;
}

export interface WeightedBackend {
  /** Cluster name, or null for an invalid backendRef: its share of traffic is answered 500. */
  cluster: string | null;
  weight: number;
  /** Filters that run only when this backend is chosen. */
  filters: Filter[];
}

export type Filter =
  | { type: 'RequestHeaderModifier'; set: Header[]; add: Header[]; remove: string[] }
  | { type: 'ResponseHeaderModifier'; set: Header[]; add: Header[]; remove: string[] }
  | {
      type: 'RequestRedirect';
      scheme?: 'http' | 'https';
      hostname?: string;
      path?: PathModifier;
      port?: number;
      statusCode: number;
    }
  | { type: 'URLRewrite'; hostname?: string; path?: PathModifier }
  | { type: 'RequestMirror'; cluster: string | null; fraction: { numerator: number; denominator: number } }
  | {
      type: 'CORS';
      allowOrigins: string[];
      allowCredentials: boolean;
      allowMethods: string[];
      allowHeaders: string[];
      exposeHeaders: string[];
      maxAge: number;
    }
  /** An unresolvable filter (e.g. an unknown ExtensionRef): answer with this status. */
  | { type: 'DirectResponse'; statusCode: number };

export interface Header {
  /** Header name as written; matching is case-insensitive. */
  name: string;
  value: string;
}

export type PathModifier =
  | { type: 'ReplaceFullPath'; value: string }
  /** `prefix` is the PathPrefix match value of the rule the filter belongs to. */
  | { type: 'ReplacePrefixMatch'; value: string; prefix: string };

export interface L4Route {
  /** `Kind/namespace/name`. */
  route: string;
  /** TLSRoute hostnames (SNI patterns, lower case); absent for TCP and UDP. */
  hostnames?: string[];
  backends: WeightedBackend[];
}

export interface Cluster {
  /**
   * `namespace/service:port`, or with a BackendTLSPolicy: `namespace/service:port/tls`. When a
   * route kind speaks something other than the port's appProtocol implies, the protocol is added
   * (`…:port/tcp` for TCPRoute/TLSRoute, `/udp`, `/h2c` for GRPCRoute; `…:port/tcp/tls` for a
   * terminated TLSRoute re-encrypting); a Gateway presenting a client certificate gets its own copy
   * of a TLS cluster, `…/tls@namespace/gateway`. Names are opaque keys to the proxy.
   */
  name: string;
  /**
   * How to speak to the endpoints, from the Service port's appProtocol (GRPCRoute: h2c). With
   * `tls` set, http1/h2c/ws run over TLS (HTTP/2 negotiated by ALPN for h2c) and `tls` means a raw
   * byte stream wrapped in TLS.
   */
  protocol: 'http1' | 'h2c' | 'ws' | 'tcp' | 'udp' | 'tls';
  /** Ready endpoints. Empty means the Service exists but nothing can serve: answer 503. */
  endpoints: Endpoint[];
  /** Originate TLS to the endpoints (BackendTLSPolicy). */
  tls?: UpstreamTLS;
}

export interface Endpoint {
  address: string;
  port: number;
  weight: number;
}

export interface UpstreamTLS {
  /** SNI to send and the name to verify (unless subjectAltNames are given). */
  serverName: string;
  /** PEM bundle of CAs; absent with `wellKnown: 'System'`. */
  caPem?: string;
  wellKnown?: 'System';
  subjectAltNames?: { type: 'Hostname' | 'URI'; value: string }[];
  /** Client certificate the gateway presents (Gateway `spec.tls.backend`). */
  clientCertificate?: { certPem: string; keyPem: string };
}

export function emptyIR(): IR {
  return { version: IR_VERSION, ports: [], clusters: {} };
}
