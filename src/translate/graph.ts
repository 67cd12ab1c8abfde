// The resource graph: one node per object we are responsible for, with every reference resolved
// and every verdict (valid, conditions) attached. Both the IR and every status are read from it,
// so what is served and what is reported cannot disagree.
import type { Certificate, Cluster, Filter, RouteMatch, WeightedBackend } from '../ir/types.ts';
import type {
  BackendTLSPolicy,
  Gateway,
  GatewayClass,
  Listener,
  ListenerSet,
  ParentReference,
  RouteGroupKind,
  RouteKind,
  RouteObject,
} from '../resources/types.ts';
import type { Cond } from './conditions.ts';

export interface ClassNode {
  obj: GatewayClass;
  accepted: boolean;
  conditions: Cond[];
}

export interface GatewayNode {
  obj: Gateway;
  key: string;
  cls: ClassNode;
  /** Addresses every listener binds (empty when the Gateway is not accepted). */
  addresses: string[];
  /** Own listeners first, then those of attached ListenerSets (oldest set first). */
  listeners: ListenerNode[];
  listenerSets: ListenerSetNode[];
  /** Gateway-level failure decided before listeners are looked at (class, addresses, parameters). */
  rejected?: Cond;
  notProgrammed?: Cond;
  /** spec.tls.backend.clientCertificateRef, when given. */
  clientCertificate?: { certPem: string; keyPem: string };
  resolvedRefs?: Cond;
  /** InsecureFrontendValidationMode=True when a frontend validation allows insecure fallback. */
  insecureFrontend?: Cond;
  accepted: boolean;
  conditions: Cond[];
}

export interface ListenerSetNode {
  obj: ListenerSet;
  key: string;
  gateway: GatewayNode;
  allowed: boolean;
  listeners: ListenerNode[];
  accepted: boolean;
  conditions: Cond[];
}

export type ListenerOwner = { kind: 'Gateway'; node: GatewayNode } | { kind: 'ListenerSet'; node: ListenerSetNode };

export interface ListenerNode {
  spec: Listener;
  owner: ListenerOwner;
  gateway: GatewayNode;
  /** `namespace/owner/listener`: the IR listener name. */
  name: string;
  /** Namespace of the owner (Gateway or ListenerSet): allowedRoutes `Same` is relative to it. */
  namespace: string;
  protocol: 'HTTP' | 'HTTPS' | 'TLS' | 'TCP' | 'UDP' | null;
  hostname?: string;
  supportedKinds: RouteGroupKind[];
  /** Hard failures: the listener serves nothing (UnsupportedProtocol, PortUnavailable, conflicts…). */
  acceptedCond?: Cond;
  resolvedRefsCond?: Cond;
  conflictedCond?: Cond;
  overlappingCond?: Cond;
  certificates: Certificate[];
  /** A certificateRef that cannot be used: the listener then serves nothing. */
  certProblem?: Cond;
  tlsMode?: 'Terminate' | 'Passthrough';
  /** Client certificate validation from the Gateway's spec.tls.frontend. */
  clientValidation?: { caPem: string; mode: 'AllowValidOnly' | 'AllowInsecureFallback' };
  /** Routes attached (accepted) through this listener, counted in attachedRoutes. */
  attached: Attachment[];
  /** True when the listener is in the IR. */
  programmed: boolean;
}

export interface Attachment {
  route: RouteNode;
  listener: ListenerNode;
  /** Effective hostnames (listener ∩ route); `*` = any. Empty for TCP/UDP. */
  hostnames: string[];
}

export interface ParentNode {
  /** The parentRef as written (reported back verbatim with group/kind filled). */
  ref: ParentReference;
  gateway: GatewayNode;
  accepted: Cond;
  attachments: Attachment[];
}

/** One match of one rule, compiled: the unit the IR lists (filters can depend on the match). */
export interface CompiledMatch {
  index: number;
  match: RouteMatch;
  filters: Filter[];
  backends: WeightedBackend[];
  /** GRPCRoute matches: service and method lengths, which rank before the path rules. */
  grpc?: { service: number; method: number };
}

export interface CompiledRule {
  index: number;
  name?: string;
  matches: CompiledMatch[];
  timeouts?: { requestMs?: number; backendRequestMs?: number };
  retry?: { codes: number[]; attempts: number; backoffMs: number };
  sessionPersistence?: { type: 'Cookie' | 'Header'; name: string; absoluteTimeoutMs?: number; lifetime?: 'Session' | 'Permanent' };
  /** Why the rule cannot be served as written (it then answers 500). */
  invalid?: { reason: 'UnsupportedValue' | 'IncompatibleFilters'; message: string };
}

export interface RouteNode {
  kind: RouteKind;
  obj: RouteObject;
  /** `Kind/namespace/name`. */
  id: string;
  namespace: string;
  /** Rank among all routes by age (oldest first, then namespace/name): precedence ties. */
  order: number;
  hostnames?: string[];
  rules: CompiledRule[];
  /** First ResolvedRefs failure (or success) across all references of the route. */
  resolvedRefs: Cond;
  /** Route-wide Accepted failure (every rule invalid, unsupported value). */
  invalid?: Cond;
  partiallyInvalid?: Cond;
  parents: ParentNode[];
}

export interface PolicyNode {
  obj: BackendTLSPolicy;
  key: string;
  accepted: Cond;
  resolvedRefs: Cond;
  /** Gateways whose routes use a Service this policy targets. */
  ancestors: Map<string, GatewayNode>;
}

export interface Graph {
  classes: ClassNode[];
  gateways: GatewayNode[];
  listenerSets: ListenerSetNode[];
  routes: RouteNode[];
  policies: PolicyNode[];
  clusters: Map<string, Cluster>;
}
