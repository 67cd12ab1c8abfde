// Which routes are ours, and compiling one route of any kind (shared by the full translation in
// index.ts and the one kept across calls in route-state.ts).
import type { RouteObject } from '../resources/types.ts';
import { GATEWAY_GROUP } from '../resources/types.ts';
import type { BackendContext } from './backends.ts';
import { routeResolvedRefs, routeUnreadable } from './conditions.ts';
import type { PolicyNode, RouteNode } from './graph.ts';
import { compileGRPCRoute } from './grpc-route.ts';
import { compileHTTPRoute } from './http-route.ts';
import { compileL4Route } from './l4-routes.ts';
import type { Parents } from './parent-refs.ts';
import { objects } from './sanitize.ts';

/**
 * Handed to route compilation as the set of used policies when there are no BackendTLSPolicies
 * (so none to record): one shared set instead of one per route. Stays empty.
 */
export const NONE_USED: Set<PolicyNode> = new Set();

/**
 * Compiles a route of any kind. A route whose spec cannot be read (wrong types a schema check
 * would have caught) is kept with Accepted=False and the reason, not allowed to fail everything.
 */
export function compileRoute(ctx: BackendContext, obj: RouteObject, used: Set<PolicyNode>): RouteNode {
  try {
    if (obj.kind === 'HTTPRoute') return compileHTTPRoute(ctx, obj, used);
    if (obj.kind === 'GRPCRoute') return compileGRPCRoute(ctx, obj, used);
    return compileL4Route(ctx, obj, used);
  } catch (err) {
    const ns = obj.metadata.namespace ?? 'default';
    return {
      kind: obj.kind,
      obj,
      id: `${obj.kind}/${ns}/${obj.metadata.name}`,
      namespace: ns,
      order: 0,
      rules: [],
      resolvedRefs: routeResolvedRefs(),
      invalid: routeUnreadable((err as Error).message),
      parents: [],
    };
  }
}

/** Whether a route has at least one parentRef naming a Gateway or ListenerSet of ours. */
export function isOurRoute(r: RouteObject, parents: Parents): boolean {
  return objects(r.spec?.parentRefs).some((p) => {
    if ((p.group ?? GATEWAY_GROUP) !== GATEWAY_GROUP) return false;
    const key = `${p.namespace ?? r.metadata.namespace ?? 'default'}/${p.name}`;
    const kind = p.kind ?? 'Gateway';
    return kind === 'Gateway' ? parents.gateways.has(key) : kind === 'ListenerSet' && parents.listenerSets.has(key);
  });
}
