// Everything a translation decides before looking at routes: classes, Gateways, ListenerSets,
// their listeners and conflicts, BackendTLSPolicies and the backend context routes compile in.
// It depends on every snapshot list except the routes, so a translation kept across calls
// (route-state.ts) reuses it while those lists hold the same objects and the options are equal.
import type { Snapshot } from '../resources/snapshot.ts';
import type { TranslateOptions } from './api.ts';
import { buildPolicyIndex, type PolicyIndex } from './backend-tls.ts';
import { endpointsOf, type BackendContext } from './backends.ts';
import type { Endpoint } from '../ir/types.ts';
import { buildClasses } from './gateway-class.ts';
import { buildGateways, finalizeGateway, type SocketClaims } from './gateways.ts';
import type { ClassNode, GatewayNode, ListenerNode, ListenerSetNode } from './graph.ts';
import { attachListenerSets, finalizeListenerSet } from './listener-sets.ts';
import { buildLookup, type Lookup } from './lookup.ts';
import { sameItems, sortByAge } from './meta.ts';
import type { Parents } from './parent-refs.ts';

/** Each snapshot field, by whether it holds routes: a new field must be placed here to compile. */
const FIELD_ROLE = {
  gatewayClasses: 'other',
  gateways: 'other',
  listenerSets: 'other',
  httpRoutes: 'route',
  grpcRoutes: 'route',
  tlsRoutes: 'route',
  tcpRoutes: 'route',
  udpRoutes: 'route',
  referenceGrants: 'other',
  backendTLSPolicies: 'other',
  namespaces: 'other',
  services: 'other',
  endpointSlices: 'other',
  secrets: 'other',
  configMaps: 'other',
} as const satisfies Record<keyof Snapshot, 'route' | 'other'>;

type Field = keyof typeof FIELD_ROLE;
/** The route lists, in the order routes are read (their kinds' order breaks age ties). */
export const ROUTE_FIELDS = (Object.keys(FIELD_ROLE) as Field[]).filter((f) => FIELD_ROLE[f] === 'route') as ('httpRoutes' | 'grpcRoutes' | 'tlsRoutes' | 'tcpRoutes' | 'udpRoutes')[];
const OTHER_FIELDS = (Object.keys(FIELD_ROLE) as Field[]).filter((f) => FIELD_ROLE[f] === 'other');

export interface GatewayStage {
  /** What it was built from: copies of the non-route lists (callers may reuse their arrays), the options. */
  lists: unknown[][];
  optionsKey: string;
  lookup: Lookup;
  classes: Map<string, ClassNode>;
  gateways: GatewayNode[];
  listenerSets: ListenerSetNode[];
  parents: Parents;
  policies: PolicyIndex;
  ctx: BackendContext;
  /** Every listener routes can attach to, in the order kind clashes are resolved in. */
  listeners: ListenerNode[];
  listenerIndex: Map<ListenerNode, number>;
}

function optionsKey(o: TranslateOptions): string {
  return JSON.stringify([o.controllerName, o.defaultAddress, o.assignedAddresses ?? null, o.unavailableSockets ?? null, o.addressPool ?? null]);
}

/** The lookup of a snapshot without its routes: a lookup keeps its snapshot, and a kept stage must hold no old route objects. */
function routelessLookup(snapshot: Snapshot): Lookup {
  const routeless: Snapshot = { ...snapshot };
  for (const f of ROUTE_FIELDS) routeless[f] = [];
  return buildLookup(routeless);
}

export function buildGatewayStage(snapshot: Snapshot, options: TranslateOptions): GatewayStage {
  const lookup = routelessLookup(snapshot);
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
  const listeners = gatewayList.flatMap((g) => g.listeners);
  return {
    lists: OTHER_FIELDS.map((f) => [...(snapshot[f] as unknown[])]),
    optionsKey: optionsKey(options),
    lookup,
    classes,
    gateways: gatewayList,
    listenerSets: listenerSetList,
    parents,
    policies,
    ctx: { lookup, policies, clusters: new Map(), endpointCache: new Map(), clusterSources: new Map() },
    listeners,
    listenerIndex: new Map(listeners.map((l, i) => [l, i])),
  };
}

/**
 * `stage` for a snapshot whose EndpointSlices changed and nothing else but routes: EndpointSlices
 * are read by nothing but the clusters' endpoints, so everything is kept except those, made again
 * (a cluster whose endpoints are the same stays the same object). Undefined when anything else differs.
 */
export function stageWithEndpoints(stage: GatewayStage, snapshot: Snapshot, options: TranslateOptions): GatewayStage | undefined {
  if (stage.optionsKey !== optionsKey(options)) return undefined;
  for (let i = 0; i < OTHER_FIELDS.length; i++) {
    if (OTHER_FIELDS[i] === 'endpointSlices') continue;
    if (!sameItems(snapshot[OTHER_FIELDS[i]!] as unknown[], stage.lists[i]!)) return undefined;
  }
  const sources = stage.ctx.clusterSources;
  if (sources === undefined) return undefined;
  const lookup = routelessLookup(snapshot);
  const ctx: BackendContext = { lookup, policies: stage.policies, clusters: new Map(), endpointCache: new Map(), clusterSources: sources };
  if (stage.ctx.resolveCache) ctx.resolveCache = stage.ctx.resolveCache; // resolutions do not read EndpointSlices
  for (const [name, c] of stage.ctx.clusters) {
    const source = sources.get(name);
    if (source === undefined) return undefined;
    const endpoints = endpointsOf(ctx, source.svc, source.port);
    ctx.clusters.set(name, sameEndpoints(c.endpoints, endpoints) ? c : { ...c, endpoints });
  }
  return { ...stage, lists: OTHER_FIELDS.map((f) => [...(snapshot[f] as unknown[])]), lookup, ctx };
}

function sameEndpoints(a: readonly Endpoint[], b: readonly Endpoint[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i]!.address !== b[i]!.address || a[i]!.port !== b[i]!.port || a[i]!.weight !== b[i]!.weight) return false;
  return true;
}

/** Whether `stage` is what buildGatewayStage would build for this snapshot and these options. */
export function stageHolds(stage: GatewayStage, snapshot: Snapshot, options: TranslateOptions): boolean {
  for (let i = 0; i < OTHER_FIELDS.length; i++) if (!sameItems(snapshot[OTHER_FIELDS[i]!] as unknown[], stage.lists[i]!)) return false;
  return stage.optionsKey === optionsKey(options);
}
