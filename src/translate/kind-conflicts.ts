// HTTPRoute vs GRPCRoute on one listener: when routes of the two kinds have intersecting
// hostnames, the spec accepts exactly one of them — the oldest, then the first by
// namespace/name. The other loses that listener; a parentRef left with no listener is
// Accepted=False (and the route is not counted in attachedRoutes).
import * as C from './conditions.ts';
import type { Attachment, ListenerNode, RouteNode } from './graph.ts';
import { hostnameMatches } from './hostnames.ts';

function intersects(a: readonly string[], b: readonly string[]): boolean {
  for (const x of a) for (const y of b) if (hostnameMatches(x, y) || hostnameMatches(y, x)) return true;
  return false;
}

export function resolveKindConflicts(listeners: Iterable<ListenerNode>): void {
  for (const l of listeners) {
    if (l.protocol !== 'HTTP' && l.protocol !== 'HTTPS') continue;
    if (!l.attached.some((a) => a.route.kind === 'GRPCRoute') || !l.attached.some((a) => a.route.kind === 'HTTPRoute')) continue;
    const kept: Attachment[] = [];
    const lost: { a: Attachment; winner: RouteNode }[] = [];
    for (const a of [...l.attached].sort((x, y) => x.route.order - y.route.order)) {
      const winner = kept.find((k) => k.route.kind !== a.route.kind && intersects(k.hostnames, a.hostnames));
      if (winner) lost.push({ a, winner: winner.route });
      else kept.push(a);
    }
    if (lost.length === 0) continue;
    l.attached = l.attached.filter((a) => !lost.some((x) => x.a === a));
    for (const { a, winner } of lost) {
      for (const p of a.route.parents) {
        if (!p.attachments.includes(a)) continue;
        p.attachments = p.attachments.filter((x) => x !== a);
        if (p.attachments.length === 0) {
          p.accepted = C.routeNotAllowedByListeners(
            `On listener ${l.name} the hostnames intersect those of the older ${winner.kind} ${winner.namespace}/${winner.obj.metadata.name}; only one of an HTTPRoute and a GRPCRoute may serve them`,
          );
        }
      }
    }
  }
}
