// Weighted choice for layer-4 routes: which backend of a route, then which endpoint of that
// backend's cluster. Both use smooth weighted round robin (the nginx algorithm): over any window
// of `sum(weights)` picks every item is chosen exactly `weight` times, spread out rather than in
// bursts, so weighted splits hold over small connection counts and tests can assert exact counts.
//
// The spec (TCPRoute/TLSRoute/UDPRoute backendRefs) says an invalid backend — one that refers to
// nothing, or to a Service with no endpoints — keeps its share of the weight, and that share of
// connections is rejected. So invalid backends stay in the rotation and a pick may say "reject".

import type { Cluster, Endpoint, L4Route } from '../../ir/types.ts';
import { SmoothWeightedRoundRobin } from '../upstream/balancer.ts';

export type RejectReason = 'no-route' | 'no-backends' | 'invalid-backend' | 'no-endpoints';

export type Pick =
  | { ok: true; cluster: Cluster; endpoint: Endpoint }
  /** `backend` is the cluster name when there was one (for metrics), else ''. */
  | { ok: false; reason: RejectReason; backend: string };

interface BackendSlot {
  cluster: Cluster | null;
  /** Name for metrics: the cluster name, or the name the route gave for a missing cluster. */
  name: string;
  endpoints: SmoothWeightedRoundRobin<Endpoint>;
}

/** A route's backends compiled for picking; one per IR generation (the rotation state lives here). */
export class RouteBalancer {
  readonly route: string;
  private readonly backends: SmoothWeightedRoundRobin<BackendSlot>;

  constructor(route: L4Route, clusters: Readonly<Record<string, Cluster>>) {
    this.route = route.route;
    // Backends that share a cluster share its endpoint rotation.
    const byCluster = new Map<string, BackendSlot>();
    const slots = route.backends.map((b) => {
      let slot: BackendSlot;
      const cluster = b.cluster === null ? undefined : clusters[b.cluster];
      if (cluster === undefined) {
        slot = { cluster: null, name: b.cluster ?? '', endpoints: new SmoothWeightedRoundRobin([]) };
      } else {
        slot = byCluster.get(cluster.name) ?? {
          cluster,
          name: cluster.name,
          endpoints: new SmoothWeightedRoundRobin(cluster.endpoints.map((e) => ({ item: e, weight: e.weight }))),
        };
        byCluster.set(cluster.name, slot);
      }
      return { item: slot, weight: b.weight };
    });
    this.backends = new SmoothWeightedRoundRobin(slots);
  }

  pick(): Pick {
    const slot = this.backends.next();
    if (slot === undefined) return { ok: false, reason: 'no-backends', backend: '' };
    if (slot.cluster === null) return { ok: false, reason: 'invalid-backend', backend: slot.name };
    const endpoint = slot.endpoints.next();
    if (endpoint === undefined) return { ok: false, reason: 'no-endpoints', backend: slot.name };
    return { ok: true, cluster: slot.cluster, endpoint };
  }
}
