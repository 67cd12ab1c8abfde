// translate(snapshot, options) → { ir, statuses }: pure and deterministic. Builds the resource
// graph stage by stage (classes → gateways → listener sets → listeners' conflicts → routes →
// backends and policies), then reads both the IR and every status from it.
import type { Snapshot } from '../resources/snapshot.ts';
import type { RouteObject } from '../resources/types.ts';
import { GATEWAY_GROUP } from '../resources/types.ts';
import type { TranslateOptions, TranslateResult } from './api.ts';
import { buildPolicyIndex } from './backend-tls.ts';
import type { BackendContext } from './backends.ts';
import { routeResolvedRefs, routeUnreadable } from './conditions.ts';
import { buildClasses } from './gateway-class.ts';
import { buildGateways, finalizeGateway, type SocketClaims } from './gateways.ts';
import type { Graph, GatewayNode, PolicyNode, RouteNode } from './graph.ts';
import { compileGRPCRoute } from './grpc-route.ts';
import { compileHTTPRoute } from './http-route.ts';
import { buildIR } from './ir-build.ts';
import { compileL4Route } from './l4-routes.ts';
import { resolveKindConflicts } from './kind-conflicts.ts';
import { attachListenerSets, finalizeListenerSet } from './listener-sets.ts';
import { buildLookup } from './lookup.ts';
import { sortByAge } from './meta.ts';
import { attachRoute, type Parents } from './parent-refs.ts';
import { pruneClusters } from './prune.ts';
import { compileMemo, envOf } from './route-memo.ts';
import { objects, sanitizeSnapshot } from './sanitize.ts';
import { buildStatuses } from './status.ts';

export type { TranslateOptions, TranslateResult } from './api.ts';

export function translate(input: Snapshot, options: TranslateOptions): TranslateResult {
  const snapshot = sanitizeSnapshot(input);
  const lookup = buildLookup(snapshot);
  const classes = buildClasses(snapshot, options.controllerName);
  const gatewayList = buildGateways(lookup, classes, options);
  const gateways = new Map<string, GatewayNode>(gatewayList.map((g) => [g.key, g]));
  const listenerSetList = attachListenerSets(lookup, gateways);
  const claims: SocketClaims = new Map();
  const byObj = new Map(gatewayList.map((g) => [g.obj, g]));
  for (const obj of sortByAge([...byObj.keys()])) finalizeGateway(lookup, byObj.get(obj)!, options, claims);
  for (const ls of listenerSetList) finalizeListenerSet(ls);
  const parents: Parents = { gateways, listenerSets: new Map(listenerSetList.map((l) => [l.key, l])) };

  const policies = buildPolicyIndex(lookup);
  const ctx: BackendContext = { lookup, policies, clusters: new Map(), endpointCache: new Map() };
  const env = envOf(snapshot);
  const candidates = sortByAge(ourRoutes(snapshot, parents));
  const routes: RouteNode[] = [];
  const policiesUsed = new Map<RouteNode, Set<PolicyNode>>();
  // Without BackendTLSPolicies no route uses one: no set per route (thousands of them) is needed.
  const noPolicies = policies.nodes.size === 0;
  candidates.forEach((obj, order) => {
    const used = noPolicies ? NONE_USED : new Set<PolicyNode>();
    const node = compileMemo(env, ctx, obj, used, (u) => compileRoute(ctx, obj, u));
    node.order = order;
    attachRoute(lookup, parents, node);
    if (!noPolicies) policiesUsed.set(node, used);
    routes.push(node);
  });
  resolveKindConflicts(gatewayList.flatMap((g) => g.listeners));
  // BackendTLSPolicy ancestors: the Gateways that really carry a route using the Service.
  for (const [node, used] of policiesUsed) {
    for (const p of used) for (const parent of node.parents) if (parent.attachments.length > 0) p.ancestors.set(parent.gateway.key, parent.gateway);
  }
  sortByName(routes);

  const graph: Graph = {
    classes: [...classes.values()],
    gateways: gatewayList,
    listenerSets: listenerSetList,
    routes,
    policies: [...policies.nodes.values()],
    clusters: ctx.clusters,
  };
  const ir = pruneClusters(buildIR(graph));
  // Statuses are computed when first read: the runtime reads them after the IR is served, so
  // building them is not on the way from a change to serving it. Same value either way.
  let statuses: TranslateResult['statuses'] | undefined;
  const controllerName = options.controllerName;
  return {
    ir,
    get statuses() {
      return (statuses ??= buildStatuses(graph, controllerName));
    },
  };
}

/** Stays empty: handed to route compilation when there are no policies for it to record. */
const NONE_USED: Set<PolicyNode> = new Set();

/** Namespace, name, then kind (the order statuses are read in), with each key read once per object. */
function sortByName(routes: RouteNode[]): void {
  const keyed = routes.map((r) => ({ r, ns: r.obj.metadata.namespace ?? '', name: r.obj.metadata.name }));
  keyed.sort((a, b) => (a.ns < b.ns ? -1 : a.ns > b.ns ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : a.r.kind < b.r.kind ? -1 : a.r.kind > b.r.kind ? 1 : 0));
  for (let i = 0; i < keyed.length; i++) routes[i] = keyed[i]!.r;
}

/**
 * Compiles a route of any kind. A route whose spec cannot be read (wrong types a schema check
 * would have caught) is kept with Accepted=False and the reason, not allowed to fail everything.
 */
function compileRoute(ctx: BackendContext, obj: RouteObject, used: Set<PolicyNode>): RouteNode {
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

/** Routes with at least one parentRef naming a Gateway or ListenerSet of ours. */
function ourRoutes(snapshot: Snapshot, parents: Parents): RouteObject[] {
  const all: RouteObject[] = [
    ...snapshot.httpRoutes,
    ...snapshot.grpcRoutes,
    ...snapshot.tlsRoutes,
    ...snapshot.tcpRoutes,
    ...snapshot.udpRoutes,
  ];
  return all.filter((r) =>
    objects(r.spec?.parentRefs).some((p) => {
      if ((p.group ?? GATEWAY_GROUP) !== GATEWAY_GROUP) return false;
      const key = `${p.namespace ?? r.metadata.namespace ?? 'default'}/${p.name}`;
      const kind = p.kind ?? 'Gateway';
      return kind === 'Gateway' ? parents.gateways.has(key) : kind === 'ListenerSet' && parents.listenerSets.has(key);
    }),
  );
}
