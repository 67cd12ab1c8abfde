// Types of the objects Wicket reads, shaped exactly like their Kubernetes JSON (Gateway API v1.6
// and the core kinds). Optional fields stay optional: defaults are applied by the translator, so
// a reader can see what the user wrote versus what the spec implies.

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  generation?: number;
  resourceVersion?: string;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  observedGeneration?: number;
  lastTransitionTime?: string;
}

export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

interface Obj<K extends string, Spec, Status = unknown> {
  apiVersion: string;
  kind: K;
  metadata: ObjectMeta;
  spec: Spec;
  status?: Status;
}

// ---- shared references -------------------------------------------------------------------

export interface ParentReference {
  group?: string;
  kind?: string;
  namespace?: string;
  name: string;
  sectionName?: string;
  port?: number;
}

export interface BackendObjectReference {
  group?: string;
  kind?: string;
  name: string;
  namespace?: string;
  port?: number;
}

export interface BackendRef extends BackendObjectReference {
  weight?: number;
}

export interface SecretObjectReference {
  group?: string;
  kind?: string;
  name: string;
  namespace?: string;
}

export interface ObjectReference {
  group: string;
  kind: string;
  name: string;
  namespace?: string;
}

export interface LocalObjectReference {
  group: string;
  kind: string;
  name: string;
}

export interface RouteParentStatus {
  parentRef: ParentReference;
  controllerName: string;
  conditions: Condition[];
}

export interface RouteStatus {
  parents: RouteParentStatus[];
}

export interface CommonRouteSpec {
  parentRefs?: ParentReference[];
}

export interface SessionPersistence {
  sessionName?: string;
  absoluteTimeout?: string;
  idleTimeout?: string;
  type?: 'Cookie' | 'Header';
  cookieConfig?: { lifetimeType?: 'Permanent' | 'Session' };
}

// ---- GatewayClass -------------------------------------------------------------------------

export interface GatewayClassSpec {
  controllerName: string;
  parametersRef?: { group: string; kind: string; name: string; namespace?: string };
  description?: string;
}

export interface GatewayClassStatus {
  conditions?: Condition[];
  supportedFeatures?: { name: string }[];
}

export type GatewayClass = Obj<'GatewayClass', GatewayClassSpec, GatewayClassStatus>;

// ---- Gateway ------------------------------------------------------------------------------

export type ProtocolType = 'HTTP' | 'HTTPS' | 'TLS' | 'TCP' | 'UDP' | string;

export interface RouteGroupKind {
  group?: string;
  kind: string;
}

export interface AllowedRoutes {
  namespaces?: { from?: 'All' | 'Same' | 'Selector' | 'None'; selector?: LabelSelector };
  kinds?: RouteGroupKind[];
}

export interface ListenerTLSConfig {
  mode?: 'Terminate' | 'Passthrough';
  certificateRefs?: SecretObjectReference[];
  options?: Record<string, string>;
}

export interface Listener {
  name: string;
  hostname?: string;
  port: number;
  protocol: ProtocolType;
  tls?: ListenerTLSConfig;
  allowedRoutes?: AllowedRoutes;
}

export interface GatewaySpecAddress {
  type?: string;
  value?: string;
}

export interface FrontendTLSValidation {
  caCertificateRefs: ObjectReference[];
  mode?: 'AllowValidOnly' | 'AllowInsecureFallback';
}

export interface TLSConfig {
  validation?: FrontendTLSValidation;
}

export interface GatewayTLSConfig {
  backend?: { clientCertificateRef?: SecretObjectReference };
  frontend?: { default: TLSConfig; perPort?: { port: number; tls: TLSConfig }[] };
}

export interface GatewaySpec {
  gatewayClassName: string;
  listeners: Listener[];
  addresses?: GatewaySpecAddress[];
  infrastructure?: {
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    parametersRef?: { group: string; kind: string; name: string };
  };
  allowedListeners?: { namespaces?: { from?: 'All' | 'Same' | 'Selector' | 'None'; selector?: LabelSelector } };
  tls?: GatewayTLSConfig;
  defaultScope?: string;
}

export interface ListenerStatus {
  name: string;
  supportedKinds: RouteGroupKind[];
  attachedRoutes: number;
  conditions: Condition[];
}

export interface GatewayStatus {
  addresses?: { type?: string; value: string }[];
  conditions?: Condition[];
  listeners?: ListenerStatus[];
  attachedListenerSets?: number;
}

export type Gateway = Obj<'Gateway', GatewaySpec, GatewayStatus>;

// ---- ListenerSet ----------------------------------------------------------------------------

export interface ListenerSetSpec {
  parentRef: { group?: string; kind?: string; name: string; namespace?: string };
  listeners: Listener[];
}

export interface ListenerSetStatus {
  conditions?: Condition[];
  listeners?: ListenerStatus[];
}

export type ListenerSet = Obj<'ListenerSet', ListenerSetSpec, ListenerSetStatus>;

// ---- HTTPRoute ------------------------------------------------------------------------------

export interface HTTPPathMatch {
  type?: 'Exact' | 'PathPrefix' | 'RegularExpression';
  value?: string;
}

export interface HTTPHeaderMatch {
  type?: 'Exact' | 'RegularExpression';
  name: string;
  value: string;
}

export interface HTTPQueryParamMatch {
  type?: 'Exact' | 'RegularExpression';
  name: string;
  value: string;
}

export interface HTTPRouteMatch {
  path?: HTTPPathMatch;
  headers?: HTTPHeaderMatch[];
  queryParams?: HTTPQueryParamMatch[];
  method?: string;
}

export interface HTTPHeader {
  name: string;
  value: string;
}

export interface HTTPHeaderFilter {
  set?: HTTPHeader[];
  add?: HTTPHeader[];
  remove?: string[];
}

export interface HTTPPathModifier {
  type: 'ReplaceFullPath' | 'ReplacePrefixMatch';
  replaceFullPath?: string;
  replacePrefixMatch?: string;
}

export interface HTTPRequestRedirectFilter {
  scheme?: 'http' | 'https';
  hostname?: string;
  path?: HTTPPathModifier;
  port?: number;
  statusCode?: number;
}

export interface HTTPURLRewriteFilter {
  hostname?: string;
  path?: HTTPPathModifier;
}

export interface HTTPRequestMirrorFilter {
  backendRef: BackendObjectReference;
  percent?: number;
  fraction?: { numerator: number; denominator?: number };
}

export interface HTTPCORSFilter {
  allowOrigins?: string[];
  allowCredentials?: boolean;
  allowMethods?: string[];
  allowHeaders?: string[];
  exposeHeaders?: string[];
  maxAge?: number;
}

export interface HTTPExternalAuthFilter {
  protocol: 'HTTP' | 'GRPC';
  backendRef: BackendObjectReference;
  grpc?: { allowedHeaders?: string[] };
  http?: { path?: string; allowedHeaders?: string[]; allowedResponseHeaders?: string[] };
  forwardBody?: { maxSize?: number };
}

export type HTTPRouteFilterType =
  | 'RequestHeaderModifier'
  | 'ResponseHeaderModifier'
  | 'RequestMirror'
  | 'RequestRedirect'
  | 'URLRewrite'
  | 'CORS'
  | 'ExternalAuth'
  | 'ExtensionRef';

export interface HTTPRouteFilter {
  type: HTTPRouteFilterType;
  requestHeaderModifier?: HTTPHeaderFilter;
  responseHeaderModifier?: HTTPHeaderFilter;
  requestMirror?: HTTPRequestMirrorFilter;
  requestRedirect?: HTTPRequestRedirectFilter;
  urlRewrite?: HTTPURLRewriteFilter;
  cors?: HTTPCORSFilter;
  externalAuth?: HTTPExternalAuthFilter;
  extensionRef?: LocalObjectReference;
}

export interface HTTPBackendRef extends BackendRef {
  filters?: HTTPRouteFilter[];
}

export interface HTTPRouteTimeouts {
  request?: string;
  backendRequest?: string;
}

export interface HTTPRouteRetry {
  codes?: number[];
  attempts?: number;
  backoff?: string;
}

export interface HTTPRouteRule {
  name?: string;
  matches?: HTTPRouteMatch[];
  filters?: HTTPRouteFilter[];
  backendRefs?: HTTPBackendRef[];
  timeouts?: HTTPRouteTimeouts;
  retry?: HTTPRouteRetry;
  sessionPersistence?: SessionPersistence;
}

export interface HTTPRouteSpec extends CommonRouteSpec {
  hostnames?: string[];
  rules?: HTTPRouteRule[];
}

export type HTTPRoute = Obj<'HTTPRoute', HTTPRouteSpec, RouteStatus>;

// ---- GRPCRoute ------------------------------------------------------------------------------

export interface GRPCMethodMatch {
  type?: 'Exact' | 'RegularExpression';
  service?: string;
  method?: string;
}

export interface GRPCRouteMatch {
  method?: GRPCMethodMatch;
  headers?: HTTPHeaderMatch[];
}

export interface GRPCRouteFilter {
  type: 'RequestHeaderModifier' | 'ResponseHeaderModifier' | 'RequestMirror' | 'ExtensionRef';
  requestHeaderModifier?: HTTPHeaderFilter;
  responseHeaderModifier?: HTTPHeaderFilter;
  requestMirror?: HTTPRequestMirrorFilter;
  extensionRef?: LocalObjectReference;
}

export interface GRPCBackendRef extends BackendRef {
  filters?: GRPCRouteFilter[];
}

export interface GRPCRouteRule {
  name?: string;
  matches?: GRPCRouteMatch[];
  filters?: GRPCRouteFilter[];
  backendRefs?: GRPCBackendRef[];
  sessionPersistence?: SessionPersistence;
}

export interface GRPCRouteSpec extends CommonRouteSpec {
  hostnames?: string[];
  rules?: GRPCRouteRule[];
}

export type GRPCRoute = Obj<'GRPCRoute', GRPCRouteSpec, RouteStatus>;

// ---- L4 and TLS routes ------------------------------------------------------------------------

export interface TLSRouteSpec extends CommonRouteSpec {
  hostnames?: string[];
  rules: { name?: string; backendRefs?: BackendRef[] }[];
}
export type TLSRoute = Obj<'TLSRoute', TLSRouteSpec, RouteStatus>;

export interface TCPRouteSpec extends CommonRouteSpec {
  rules: { name?: string; backendRefs?: BackendRef[] }[];
}
export type TCPRoute = Obj<'TCPRoute', TCPRouteSpec, RouteStatus>;

export interface UDPRouteSpec extends CommonRouteSpec {
  rules: { name?: string; backendRefs?: BackendRef[] }[];
}
export type UDPRoute = Obj<'UDPRoute', UDPRouteSpec, RouteStatus>;

// ---- ReferenceGrant ---------------------------------------------------------------------------

export interface ReferenceGrantSpec {
  from: { group: string; kind: string; namespace: string }[];
  to: { group: string; kind: string; name?: string }[];
}
export type ReferenceGrant = Obj<'ReferenceGrant', ReferenceGrantSpec>;

// ---- BackendTLSPolicy -------------------------------------------------------------------------

export interface PolicyTargetReferenceWithSectionName {
  group: string;
  kind: string;
  name: string;
  sectionName?: string;
}

export interface BackendTLSPolicySpec {
  targetRefs: PolicyTargetReferenceWithSectionName[];
  validation: {
    caCertificateRefs?: LocalObjectReference[];
    wellKnownCACertificates?: 'System';
    hostname: string;
    subjectAltNames?: { type: 'Hostname' | 'URI'; hostname?: string; uri?: string }[];
  };
  options?: Record<string, string>;
}

export interface PolicyAncestorStatus {
  ancestorRef: ParentReference;
  controllerName: string;
  conditions: Condition[];
}

export type BackendTLSPolicy = Obj<'BackendTLSPolicy', BackendTLSPolicySpec, { ancestors: PolicyAncestorStatus[] }>;

// ---- core kinds -------------------------------------------------------------------------------

export interface Namespace {
  apiVersion: string;
  kind: 'Namespace';
  metadata: ObjectMeta;
}

export interface ServicePort {
  name?: string;
  protocol?: 'TCP' | 'UDP' | 'SCTP';
  port: number;
  targetPort?: number | string;
  appProtocol?: string;
}

export interface Service {
  apiVersion: string;
  kind: 'Service';
  metadata: ObjectMeta;
  spec: {
    type?: string;
    clusterIP?: string;
    selector?: Record<string, string>;
    ports?: ServicePort[];
    externalName?: string;
  };
}

export interface EndpointSlice {
  apiVersion: string;
  kind: 'EndpointSlice';
  metadata: ObjectMeta;
  addressType: 'IPv4' | 'IPv6' | 'FQDN';
  endpoints?: {
    addresses: string[];
    conditions?: { ready?: boolean; serving?: boolean; terminating?: boolean };
    hostname?: string;
    nodeName?: string;
  }[];
  ports?: { name?: string; port?: number; protocol?: string; appProtocol?: string }[];
}

export interface Secret {
  apiVersion: string;
  kind: 'Secret';
  metadata: ObjectMeta;
  type?: string;
  /** base64-encoded values, as in the API. */
  data?: Record<string, string>;
  /** Plain values; the API server folds these into data, and so does the file provider. */
  stringData?: Record<string, string>;
}

export interface ConfigMap {
  apiVersion: string;
  kind: 'ConfigMap';
  metadata: ObjectMeta;
  data?: Record<string, string>;
}

export type RouteObject = HTTPRoute | GRPCRoute | TLSRoute | TCPRoute | UDPRoute;

export type GatewayAPIObject =
  | GatewayClass
  | Gateway
  | ListenerSet
  | RouteObject
  | ReferenceGrant
  | BackendTLSPolicy;

export type AnyObject = GatewayAPIObject | Namespace | Service | EndpointSlice | Secret | ConfigMap;

export type Kind = AnyObject['kind'];

export const GATEWAY_GROUP = 'gateway.networking.k8s.io';
export const ROUTE_KINDS = ['HTTPRoute', 'GRPCRoute', 'TLSRoute', 'TCPRoute', 'UDPRoute'] as const;
export type RouteKind = (typeof ROUTE_KINDS)[number];
