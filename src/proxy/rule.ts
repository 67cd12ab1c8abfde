// A route rule compiled for serving: its filter plan, its backends (each with the rule's filters
// followed by its own), timeouts, retry policy and metric children. Built off the hot path by
// compile.ts; the router hands one of these back for each request.
import type { IRListener, RouteRule } from '../ir/types.ts';
import type { HistogramChild } from '../metrics/registry.ts';
import type { FilterPlan } from './filters/types.ts';
import { StatusCounters } from './metrics.ts';
import type { ClusterRuntime } from './upstream/cluster.ts';
import { WeightedChoice } from './upstream/balancer.ts';
import { cookiePathFor, SessionAffinity } from './upstream/session.ts';

export interface ListenerInfo {
  name: string;
  gateway: string;
  /** The port the listener serves, used for redirects. */
  port: number;
}

export interface BackendRuntime {
  /** Cluster name for logs and metrics, '' for an invalid backendRef. */
  name: string;
  /** null: invalid backendRef, answer 500. */
  cluster: ClusterRuntime | null;
  /** Rule filters then this backend's filters. */
  plan: FilterPlan;
  counters: StatusCounters;
}

export interface RetryPolicy {
  codes: Set<number>;
  attempts: number;
  backoffMs: number;
}

export class RuleRuntime {
  readonly id: string;
  readonly route: string;
  readonly listener: ListenerInfo;
  readonly grpc: boolean;
  /** The rule's own filters, used when there is no backend to choose. */
  readonly plan: FilterPlan;
  readonly backends: WeightedChoice<BackendRuntime>;
  /** Counters for answers given before any backend was chosen. */
  readonly counters: StatusCounters;
  readonly duration: HistogramChild;
  readonly requestTimeoutMs: number;
  readonly backendTimeoutMs: number;
  readonly retry: RetryPolicy | null;
  /** The path the rule's PathPrefix/Exact match used, for ReplacePrefixMatch. */
  readonly matchedPrefix: string;
  /** Every backend, for session persistence lookups. */
  readonly backendList: BackendRuntime[];
  /** Session persistence, when the rule asks for it. */
  readonly session: SessionAffinity | null;

  constructor(
    rule: RouteRule,
    listener: ListenerInfo,
    plan: FilterPlan,
    backends: { item: BackendRuntime; weight: number }[],
    counters: StatusCounters,
    duration: HistogramChild,
  ) {
    this.id = rule.id;
    this.route = rule.route;
    this.listener = listener;
    this.grpc = rule.grpc === true;
    this.plan = plan;
    this.backends = new WeightedChoice(backends);
    this.counters = counters;
    this.duration = duration;
    this.requestTimeoutMs = rule.timeouts?.requestMs ?? 0;
    this.backendTimeoutMs = rule.timeouts?.backendRequestMs ?? 0;
    this.retry = rule.retry
      ? { codes: new Set(rule.retry.codes), attempts: Math.max(0, rule.retry.attempts), backoffMs: Math.max(0, rule.retry.backoffMs) }
      : null;
    this.matchedPrefix = rule.match.path.value;
    this.backendList = backends.map((b) => b.item);
    this.session = rule.sessionPersistence ? new SessionAffinity(rule.sessionPersistence, cookiePathFor(rule)) : null;
  }
}

export function listenerInfo(l: IRListener, port: number): ListenerInfo {
  return { name: l.name, gateway: l.gateway, port };
}
