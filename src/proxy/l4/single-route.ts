// The routing table of a port whose connections (TCP) or datagrams (UDP) carry nothing to tell
// listeners apart: the first — highest precedence — listener serves the port, through the
// weighted backends of its one layer-4 route.

import type { Cluster, IRPort } from '../../ir/types.ts';
import { RouteBalancer } from './balancer.ts';

export interface SingleRouteTable {
  port: string;
  listener: string;
  route: string;
  /** null when the listener has no route attached: every connection is rejected. */
  balancer: RouteBalancer | null;
}

export function singleRouteTable(port: IRPort, clusters: Readonly<Record<string, Cluster>>): SingleRouteTable {
  const listener = port.listeners[0];
  const route = listener?.l4Route;
  return {
    port: port.name,
    listener: listener?.name ?? '',
    route: route?.route ?? '',
    balancer: route ? new RouteBalancer(route, clusters) : null,
  };
}
