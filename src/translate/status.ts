// Graph → one ObjectStatus per object we are responsible for, shaped like the Kubernetes object.
// Conditions get observedGeneration = metadata.generation; lastTransitionTime is the provider's.
import type { Condition, ListenerStatus, ObjectMeta, RouteGroupKind } from '../resources/types.ts';
import type { ObjectStatus } from './api.ts';
import * as C from './conditions.ts';
import { SUPPORTED_FEATURES } from './features.ts';
import type { ClassNode, GatewayNode, Graph, ListenerNode, ListenerSetNode, PolicyNode, RouteNode } from './graph.ts';
import { compareByName, compareStrings, generationOf, sharedEnds } from './meta.ts';

function stamp(conds: C.Cond[], meta: ObjectMeta): Condition[] {
  const g = generationOf({ metadata: meta });
  return conds.map((c) => (Object.isFrozen(c) ? stampShared(c, g) : { type: c.type, status: c.status, reason: c.reason, message: c.message, observedGeneration: g }));
}

/**
 * A condition shared by thousands of objects (conditions.ts freezes those, e.g. every healthy
 * route's Accepted and ResolvedRefs) stamped once per generation, frozen too: statuses are read
 * and copied downstream, never changed. Bounded: a condition's generations are forgotten at 1,000.
 */
const stamped = new WeakMap<C.Cond, Map<number | undefined, Condition>>();

function stampShared(c: C.Cond, g: number | undefined): Condition {
  let byGeneration = stamped.get(c);
  if (byGeneration === undefined) stamped.set(c, (byGeneration = new Map()));
  let out = byGeneration.get(g);
  if (out === undefined) {
    if (byGeneration.size >= 1000) byGeneration.clear();
    out = Object.freeze({ type: c.type, status: c.status, reason: c.reason, message: c.message, observedGeneration: g }) as Condition;
    byGeneration.set(g, out);
  }
  return out;
}

function entry(obj: { apiVersion: string; kind: string; metadata: ObjectMeta }, status: Record<string, unknown>): ObjectStatus {
  const metadata = { name: obj.metadata.name } as ObjectStatus['metadata'];
  if (obj.metadata.namespace !== undefined) metadata.namespace = obj.metadata.namespace;
  metadata.generation = generationOf(obj);
  return { apiVersion: obj.apiVersion, kind: obj.kind, metadata, status };
}

export function listenerConditions(l: ListenerNode): C.Cond[] {
  const conflict = l.conflictedCond;
  const accepted = l.acceptedCond ?? (conflict ? C.listenerNotAcceptedConflicted(conflict.reason, conflict.message) : C.listenerAccepted());
  let programmed: C.Cond;
  if (l.programmed) programmed = C.listenerProgrammed();
  else if (conflict) programmed = { ...C.listenerNotProgrammed(conflict.message), reason: conflict.reason };
  else if (accepted.status !== 'True') programmed = C.listenerNotProgrammed(`Listener is not accepted: ${accepted.message}`);
  else if (l.certProblem) programmed = C.listenerNotProgrammed(`Unresolved references: ${l.certProblem.message}`);
  else {
    programmed = C.listenerNotProgrammed(`Gateway ${l.gateway.key} is not ${l.gateway.accepted ? 'programmed' : 'accepted'}`);
  }
  const out = [accepted, programmed, l.resolvedRefsCond ?? C.listenerResolvedRefs()];
  if (conflict) out.push(conflict);
  if (l.overlappingCond) out.push(l.overlappingCond);
  return out;
}

function listenerStatus(l: ListenerNode, meta: ObjectMeta, attached: number): ListenerStatus {
  const kinds: RouteGroupKind[] = l.supportedKinds.map((k) => ({ group: k.group, kind: k.kind }));
  return { name: l.spec.name, supportedKinds: kinds, attachedRoutes: attached, conditions: stamp(listenerConditions(l), meta) };
}

/** What the statuses of a translation kept across calls (route-state.ts) are made from. */
export interface StatusInput {
  classes: readonly ClassNode[];
  gateways: readonly GatewayNode[];
  listenerSets: readonly ListenerSetNode[];
  /** Routes to report (each with a parent of ours), already in status order (kind, namespace, name). Never modified. */
  routes: readonly RouteNode[];
  /** BackendTLSPolicies with ancestors (their nodes' own `ancestors` maps are not read). */
  policies: readonly PolicyView[];
  /** attachedRoutes per listener (the listener nodes are shared across translations). */
  attached: ReadonlyMap<ListenerNode, number>;
}

export interface PolicyView {
  node: PolicyNode;
  /** The Gateways carrying a route that uses it, by key. */
  gateways: readonly GatewayNode[];
}

/**
 * The statuses buildStatuses gives for the same graph (without BackendTLSPolicies), with the
 * objects of an unchanged class, Gateway, ListenerSet or route node handed back as they were.
 */
export function buildStatusesFrom(input: StatusInput, controllerName: string): ObjectStatus[] {
  const count = (l: ListenerNode) => input.attached.get(l) ?? 0;
  const others: ObjectStatus[] = [];
  for (const c of input.classes) others.push(memoized(c, '', () => classStatus(c)));
  for (const gw of input.gateways) {
    const own = gw.listeners.filter((l) => l.owner.kind === 'Gateway');
    others.push(memoized(gw, own.map(count).join(','), () => gatewayStatus(gw, own, count)));
  }
  for (const ls of input.listenerSets) {
    others.push(memoized(ls, ls.allowed ? ls.listeners.map(count).join(',') : '', () => listenerSetStatus(ls, count)));
  }
  for (const { node, gateways } of input.policies) {
    others.push(memoized(node, `${controllerName}\n${gateways.map((g) => g.key).join(',')}`, () => policyStatus(node, gateways, controllerName)));
  }
  others.sort(compareStatuses);
  const routeOut = routeStatuses(input.routes, controllerName);
  // The few other objects go where they sort among the routes (none ties with a route: other
  // kinds), merged into one list of exact size (no copy grown by insertion).
  const out = new Array<ObjectStatus>(routeOut.length + others.length);
  let from = 0;
  let w = 0;
  for (let k = 0; k < others.length; k++) {
    const o = others[k]!;
    let lo = from;
    let hi = routeOut.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareStatuses(routeOut[mid]!, o) < 0) lo = mid + 1;
      else hi = mid;
    }
    for (let i = from; i < lo; i++) out[w++] = routeOut[i]!;
    out[w++] = o;
    from = lo;
  }
  for (let i = from; i < routeOut.length; i++) out[w++] = routeOut[i]!;
  return out;
}

/**
 * The route statuses of the last buildStatusesFrom, with the nodes they were made for: the next
 * call (a few routes changed) compares the node lists by reference from both ends and makes only
 * the statuses in between.
 */
let lastRoutes: readonly RouteNode[] = [];
let lastRouteStatuses: ObjectStatus[] = [];
let lastController = '';

function routeStatuses(routes: readonly RouteNode[], controllerName: string): ObjectStatus[] {
  if (routes === lastRoutes && controllerName === lastController) return lastRouteStatuses;
  const [a, b] = controllerName === lastController ? sharedEnds(routes, lastRoutes) : [0, 0];
  // Exact size: the kept prefix, the statuses made anew, the kept suffix.
  const out = new Array<ObjectStatus>(routes.length);
  for (let i = 0; i < a; i++) out[i] = lastRouteStatuses[i]!;
  for (let i = a; i < routes.length - b; i++) out[i] = routeStatus(routes[i]!, controllerName);
  for (let i = 0; i < b; i++) out[routes.length - b + i] = lastRouteStatuses[lastRouteStatuses.length - b + i]!;
  lastRoutes = routes;
  lastRouteStatuses = out;
  lastController = controllerName;
  return out;
}

/** Status objects of class, Gateway and ListenerSet nodes, with the attachedRoutes counts they hold. */
const nodeStatusMemo = new WeakMap<object, { counts: string; out: ObjectStatus }>();

function memoized(node: object, counts: string, make: () => ObjectStatus): ObjectStatus {
  const hit = nodeStatusMemo.get(node);
  if (hit !== undefined && hit.counts === counts) return hit.out;
  const out = make();
  nodeStatusMemo.set(node, { counts, out });
  return out;
}

/** A BackendTLSPolicy's status: one ancestor per Gateway (in key order) carrying a route that uses it. */
function policyStatus(p: PolicyNode, gateways: readonly GatewayNode[], controllerName: string): ObjectStatus {
  const m = p.obj.metadata;
  const ancestors = gateways.map((gw) => ({
    ancestorRef: { group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: gw.obj.metadata.namespace ?? 'default', name: gw.obj.metadata.name },
    controllerName,
    conditions: stamp([p.accepted, p.resolvedRefs], m),
  }));
  return entry(p.obj, { ancestors });
}

function classStatus(c: ClassNode): ObjectStatus {
  return entry(c.obj, { conditions: stamp(c.conditions, c.obj.metadata), supportedFeatures: SUPPORTED_FEATURES.map((name) => ({ name })) });
}

function gatewayStatus(gw: GatewayNode, own: readonly ListenerNode[], count: (l: ListenerNode) => number): ObjectStatus {
  const m = gw.obj.metadata;
  const bound = gw.accepted && !gw.notProgrammed ? gw.addresses : [];
  return entry(gw.obj, {
    addresses: bound.map((value) => ({ type: 'IPAddress', value })),
    conditions: stamp(gw.conditions, m),
    listeners: own.map((l) => listenerStatus(l, m, count(l))),
    attachedListenerSets: gw.listenerSets.filter((ls) => ls.accepted).length,
  });
}

function listenerSetStatus(ls: ListenerSetNode, count: (l: ListenerNode) => number): ObjectStatus {
  const m = ls.obj.metadata;
  // A set the Gateway does not allow has no listeners on it: none are reported.
  const listeners = ls.allowed ? ls.listeners.map((l) => listenerStatus(l, m, count(l))) : [];
  return entry(ls.obj, { conditions: stamp(ls.conditions, m), listeners });
}

export function buildStatuses(graph: Graph, controllerName: string): ObjectStatus[] {
  const out: ObjectStatus[] = [];
  const count = (l: ListenerNode) => l.attached.length;
  for (const c of graph.classes) out.push(classStatus(c));
  for (const gw of graph.gateways) out.push(gatewayStatus(gw, gw.listeners.filter((l) => l.owner.kind === 'Gateway'), count));
  for (const ls of graph.listenerSets) out.push(listenerSetStatus(ls, count));
  for (const r of graph.routes) {
    if (r.parents.length === 0) continue;
    out.push(routeStatus(r, controllerName));
  }
  for (const p of graph.policies) {
    if (p.ancestors.size === 0) continue;
    out.push(policyStatus(p, [...p.ancestors.values()].sort((a, b) => compareStrings(a.key, b.key)), controllerName));
  }
  return out.sort(compareStatuses);
}

/**
 * The status of the last translation that reported each route object, with what it was made
 * from. Thousands of routes keep their status across a change of one: handing back the same
 * object lets the runtime see that by identity instead of comparing every status.
 */
type ReportedParent = Pick<RouteNode['parents'][number], 'ref' | 'accepted'>;
const routeStatusMemo = new WeakMap<object, { controllerName: string; parents: ReportedParent[]; resolvedRefs: C.Cond; partiallyInvalid?: C.Cond; out: ObjectStatus }>();

function routeStatus(r: RouteNode, controllerName: string): ObjectStatus {
  const hit = routeStatusMemo.get(r.obj);
  if (
    hit !== undefined &&
    hit.controllerName === controllerName &&
    hit.resolvedRefs === r.resolvedRefs &&
    hit.partiallyInvalid === r.partiallyInvalid &&
    hit.parents.length === r.parents.length &&
    hit.parents.every((p, i) => sameParent(p, r.parents[i]!))
  ) {
    return hit.out;
  }
  const m = r.obj.metadata;
  const parents = r.parents.map((p) => {
    const conds = [p.accepted, r.resolvedRefs];
    if (r.partiallyInvalid && p.accepted.status === 'True') conds.push(r.partiallyInvalid);
    return { parentRef: p.ref, controllerName, conditions: stamp(conds, m) };
  });
  const out = entry(r.obj, { parents });
  // Only what the status is made of: holding the parent nodes would keep a whole old graph alive.
  const made = r.parents.map((p) => ({ ref: p.ref, accepted: p.accepted }));
  routeStatusMemo.set(r.obj, { controllerName, parents: made, resolvedRefs: r.resolvedRefs, partiallyInvalid: r.partiallyInvalid, out });
  return out;
}

/** Whether two parents of one route object report the same (their ref and Accepted condition). */
function sameParent(a: ReportedParent, b: ReportedParent): boolean {
  const x = a.ref;
  const y = b.ref;
  return (
    x.group === y.group &&
    x.kind === y.kind &&
    x.namespace === y.namespace &&
    x.name === y.name &&
    x.sectionName === y.sectionName &&
    x.port === y.port &&
    sameCond(a.accepted, b.accepted)
  );
}

function sameCond(a: C.Cond, b: C.Cond): boolean {
  return a === b || (a.type === b.type && a.status === b.status && a.reason === b.reason && a.message === b.message);
}

/** Kind, then namespace, then name: the order of `statuses` (and of /status). */
export function compareStatuses(a: ObjectStatus, b: ObjectStatus): number {
  return compareStrings(a.kind, b.kind) || compareByName(a, b);
}
