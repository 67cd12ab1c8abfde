// TLSRoute, TCPRoute and UDPRoute: no matches or filters, only weighted backends (all rules'
// backendRefs together). TLSRoute backends on Passthrough listeners carry the client's TLS
// untouched; BackendTLSPolicy applies only when the Gateway terminates (decided per listener in
// ir-build.ts, so both cluster flavours are resolved here).
import type { WeightedBackend } from '../ir/types.ts';
import type { BackendRef, TCPRoute, TLSRoute, UDPRoute } from '../resources/types.ts';
import type { BackendContext } from './backends.ts';
import type * as C from './conditions.ts';
import type { CompiledRule, PolicyNode, RouteNode } from './graph.ts';
import { newRouteNode, resolveRuleBackends, summarizeRoute, weighted } from './route-common.ts';
import { objects, strings } from './sanitize.ts';

export interface L4RouteNode extends RouteNode {
  /** TLSRoute only: backends with BackendTLSPolicy applied, for Terminate listeners. */
  terminatedBackends?: WeightedBackend[];
}

export function compileL4Route(
  ctx: BackendContext,
  route: TLSRoute | TCPRoute | UDPRoute,
  policiesUsed: Set<PolicyNode>,
): L4RouteNode {
  const ns = route.metadata.namespace ?? 'default';
  const kind = route.kind;
  const refs: BackendRef[] = objects(route.spec?.rules).flatMap((r) => objects(r.backendRefs));
  const problems: C.Cond[] = [];
  const passthrough = resolveRuleBackends(ctx, kind, ns, refs, false);
  problems.push(...passthrough.problems);
  const rule: CompiledRule = {
    index: 0,
    matches: [
      {
        index: 0,
        match: { path: { type: 'PathPrefix', value: '/' }, headers: [], queryParams: [] },
        filters: [],
        backends: weighted(passthrough),
      },
    ],
  };
  const node: L4RouteNode = { ...newRouteNode(route, kind === 'TLSRoute' ? strings((route as TLSRoute).spec?.hostnames) : undefined), rules: [rule] };
  if (kind === 'TLSRoute') {
    const terminated = resolveRuleBackends(ctx, kind, ns, refs, true);
    for (const p of terminated.policies) policiesUsed.add(p);
    node.terminatedBackends = weighted(terminated);
  }
  summarizeRoute(node, problems);
  return node;
}
