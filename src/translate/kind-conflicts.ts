// HTTPRoute vs GRPCRoute on one listener: when routes of the two kinds have intersecting
// hostnames, the spec accepts exactly one of them — the oldest, then the first by
// namespace/name. The other loses that listener; a parentRef left with no listener is
// Accepted=False (and the route is not counted in attachedRoutes).
import * as C from './conditions.ts';
import type { Attachment, ListenerNode, ParentNode, RouteNode } from './graph.ts';
import { hostnameMatches } from './hostnames.ts';

function intersects(a: readonly string[], b: readonly string[]): boolean {
  for (const x of a) for (const y of b) if (hostnameMatches(x, y) || hostnameMatches(y, x)) return true;
  return false;
}

/**
 * The attachments of one listener that lose a kind clash, each with the route it lost to; none
 * when nothing clashes. Depends only on the listener and its attachments (not on their order).
 */
export function kindConflictLosses(l: ListenerNode, attached: Iterable<Attachment>): Map<Attachment, RouteNode> | undefined {
  if (l.protocol !== 'HTTP' && l.protocol !== 'HTTPS') return undefined;
  const list = [...attached];
  if (!list.some((a) => a.route.kind === 'GRPCRoute') || !list.some((a) => a.route.kind === 'HTTPRoute')) return undefined;
  const lost = new Map<Attachment, RouteNode>();
  list.sort((x, y) => x.route.order - y.route.order);
  if (list.every((a) => a.route.kind === 'HTTPRoute' || a.route.kind === 'GRPCRoute')) {
    // Kept so far, oldest first, by kind: a route can only lose to the oldest kept route of the
    // other kind whose hostnames intersect its own (linear, not quadratic, with few of one kind).
    const keptHttp: Attachment[] = [];
    const keptGrpc: Attachment[] = [];
    for (const a of list) {
      const grpc = a.route.kind === 'GRPCRoute';
      const winner = (grpc ? keptHttp : keptGrpc).find((k) => intersects(k.hostnames, a.hostnames));
      if (winner) lost.set(a, winner.route);
      else (grpc ? keptGrpc : keptHttp).push(a);
    }
  } else {
    const kept: Attachment[] = [];
    for (const a of list) {
      const winner = kept.find((k) => k.route.kind !== a.route.kind && intersects(k.hostnames, a.hostnames));
      if (winner) lost.set(a, winner.route);
      else kept.push(a);
    }
  }
  return lost.size > 0 ? lost : undefined;
}

/**
 * Takes attachment `a`, lost to `winner` on `l`, off the parents holding it; a parent left with
 * no listener is not accepted, and says why.
 */
function dropLost(parents: readonly ParentNode[], a: Attachment, l: ListenerNode, winner: RouteNode): void {
  for (const p of parents) {
    if (!p.attachments.includes(a)) continue;
    p.attachments = p.attachments.filter((x) => x !== a);
    if (p.attachments.length > 0) continue;
    p.accepted = C.routeNotAllowedByListeners(
      `On listener ${l.name} the hostnames intersect those of the older ${winner.kind} ${winner.namespace}/${winner.obj.metadata.name}; only one of an HTTPRoute and a GRPCRoute may serve them`,
    );
  }
}

export function resolveKindConflicts(listeners: Iterable<ListenerNode>): void {
  for (const l of listeners) {
    const lost = kindConflictLosses(l, l.attached);
    if (!lost) continue;
    l.attached = l.attached.filter((a) => !lost.has(a));
    for (const [a, winner] of lost) dropLost(a.route.parents, a, l, winner);
  }
}

export interface Loss {
  listener: ListenerNode;
  attachment: Attachment;
  winner: RouteNode;
}

/**
 * A route node as attachment left it (`raw`, not modified) with the listeners it lost applied, in
 * the order of `losses` (the listeners' order): a new node with new parents, as
 * resolveKindConflicts would have left `raw`.
 */
export function withLosses(raw: RouteNode, losses: readonly Loss[]): RouteNode {
  const parents = raw.parents.map((p) => ({ ...p }));
  for (const { listener, attachment, winner } of losses) dropLost(parents, attachment, listener, winner);
  return { ...raw, parents };
}
