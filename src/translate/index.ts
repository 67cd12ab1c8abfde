// translate(snapshot, options) → { ir, statuses }: pure and deterministic. Builds the resource
// graph stage by stage (classes → gateways → listener sets → listeners' conflicts → routes →
// backends and policies), then reads both the IR and every status from it. The translation is
// kept across calls (route-state.ts): a snapshot that differs from the last only in routes updates
// it instead; translateFull below is the path for what it does not keep (same results).
import type { Snapshot } from '../resources/snapshot.ts';
import type { RouteObject } from '../resources/types.ts';
import type { TranslateOptions, TranslateResult } from './api.ts';
import { buildGatewayStage, type GatewayStage } from './gateway-stage.ts';
import type { Graph, PolicyNode, RouteNode } from './graph.ts';
import { buildIR } from './ir-build.ts';
import { resolveKindConflicts } from './kind-conflicts.ts';
import { sortByAge } from './meta.ts';
import { attachRoute, type Parents } from './parent-refs.ts';
import { pruneClusters } from './prune.ts';
import { compileRoute, isOurRoute, NONE_USED } from './route-compile.ts';
import { compileMemo, envOf } from './route-memo.ts';
import { forgetState, stageKeepable, translateChange, translateFresh } from './route-state.ts';
import { sanitizeSnapshot } from './sanitize.ts';
import { buildStatuses } from './status.ts';

export type { TranslateOptions, TranslateResult } from './api.ts';

export function translate(input: Snapshot, options: TranslateOptions): TranslateResult {
  const snapshot = sanitizeSnapshot(input);
  // A change of routes only: the kept translation is updated (route-state.ts).
  const changed = translateChange(snapshot, options);
  if (changed) return changed;
  // Let the old state go before a new one is built (two at once cost memory and GC time).
  forgetState();
  const stage = buildGatewayStage(snapshot, options);
  if (stageKeepable(stage)) {
    const kept = translateFresh(stage, snapshot, options);
    if (kept) return kept;
  }
  return translateFull(stage, snapshot, options);
}

/**
 * translate() by the full path, without reading or replacing the translation kept across calls:
 * the independent reference the incremental tests compare translate() with.
 */
export function translateScratch(input: Snapshot, options: TranslateOptions): TranslateResult {
  const snapshot = sanitizeSnapshot(input);
  return translateFull(buildGatewayStage(snapshot, options), snapshot, options);
}

/**
 * The whole translation, nothing kept: for snapshots route-state.ts does not keep (a Gateway
 * client certificate, routes with the same kind, namespace and name).
 */
function translateFull(stage: GatewayStage, snapshot: Snapshot, options: TranslateOptions): TranslateResult {
  const { lookup, classes, gateways: gatewayList, listenerSets: listenerSetList, parents, policies, ctx } = stage;
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

/** Namespace, name, then kind (the order statuses are read in), with each key read once per object. */
function sortByName(routes: RouteNode[]): void {
  const keyed = routes.map((r) => ({ r, ns: r.obj.metadata.namespace ?? '', name: r.obj.metadata.name }));
  keyed.sort((a, b) => (a.ns < b.ns ? -1 : a.ns > b.ns ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : a.r.kind < b.r.kind ? -1 : a.r.kind > b.r.kind ? 1 : 0));
  for (let i = 0; i < keyed.length; i++) routes[i] = keyed[i]!.r;
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
  return all.filter((r) => isOurRoute(r, parents));
}
