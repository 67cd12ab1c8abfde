// A translation kept across calls, so that a change of a few routes costs in proportion to what it
// touches, not to the number of routes. Providers hand back unchanged objects as the same objects
// (in new lists); when a snapshot differs from the last one only in routes, and the options are
// equal, the last translation is updated: the removed routes' attachments are taken off their
// listeners and the new routes' put on; kind clashes are resolved again only on listeners the
// change touched; only those listeners' IR is updated (listener-ir.ts: the hostnames the changed
// attachments carry); ports, virtual hosts, rules and clusters nobody touched stay the same
// objects. Anything else (a Gateway, a Service, a policy, the options…) starts a new state.
//
// The output is exactly translate()'s on the same snapshot from scratch (the incremental and golden
// tests check it): a fresh state is built by the very code that updates one (every route added to
// an empty state), and the rules for what may be kept are:
// - a route's order (its rank by age, which breaks precedence ties) only needs to sort like
//   sortByAge: a new route gets a number between its neighbours' (no other route is renumbered);
// - no two routes have one kind, namespace and name (the status order), and no object is there
//   twice: such snapshots are translated by the full path in index.ts, which keeps list order
//   for those ties;
// - nothing published is modified afterwards: route nodes, parents, IR objects and the lists the
//   statuses are read from are replaced, never changed, so a result's lazy statuses stay its own.
//
// BackendTLSPolicy ancestors (the Gateways carrying a route that uses the policy) are counted per
// (route, parent), in and out as final nodes change. Not kept (index.ts translates them in full
// every time): snapshots with a Gateway presenting a client certificate (its own cluster copies).
// A change of EndpointSlices only (and maybe routes) keeps the state too: they are read by nothing
// but the clusters' endpoints, which are made again (gateway-stage.ts, stageWithEndpoints).
import type { IR, IRListener, IRPort } from '../ir/types.ts';
import { IR_VERSION } from '../ir/types.ts';
import type { Snapshot } from '../resources/snapshot.ts';
import type { RouteObject } from '../resources/types.ts';
import type { ObjectStatus, TranslateOptions, TranslateResult } from './api.ts';
import { ROUTE_FIELDS, stageHolds, stageWithEndpoints, type GatewayStage } from './gateway-stage.ts';
import type { Attachment, GatewayNode, ListenerNode, PolicyNode, RouteNode } from './graph.ts';
import { buildIR } from './ir-build.ts';
import { kindConflictLosses, withLosses, type Loss } from './kind-conflicts.ts';
import { clusterNamesOf, serveListener, updateListener, upperBound, type ServedListener } from './listener-ir.ts';
import { compareAge, compareByName, compareStrings, sharedEnds, sortByAge } from './meta.ts';
import { attachRoute, pushedAttachments } from './parent-refs.ts';
import { compileRoute, isOurRoute, NONE_USED } from './route-compile.ts';
import { compileMemo, envOf } from './route-memo.ts';
import { usableCopy } from './sanitize.ts';
import { buildStatusesFrom, type PolicyView, type StatusInput } from './status.ts';

/** A listener's attachments: all of them, those lost to a kind clash, and those that stay. */
interface Listening {
  raw: Set<Attachment>;
  http: number;
  grpc: number;
  lost: Map<Attachment, RouteNode> | undefined;
  final: Set<Attachment>;
}


interface State {
  stage: GatewayStage;
  env: ReturnType<typeof envOf>;
  /** Every route object of the snapshot, with its node as attached (before kind clashes); undefined when not ours. */
  routes: Map<RouteObject, RouteNode | undefined>;
  /** The snapshot's route lists (copies: callers may reuse their arrays; sanitize.ts's when it has one), in ROUTE_FIELDS order. */
  lists: RouteObject[][];
  /** Our routes by age, with increasing `order`. */
  byAge: RouteNode[];
  /** A route's node after kind clashes, where it differs from the attached one. */
  final: Map<RouteNode, RouteNode>;
  /** Final nodes in status order (kind, namespace, name). */
  statusOrder: RouteNode[];
  listening: Map<ListenerNode, Listening>;
  served: Map<ListenerNode, ServedListener>;
  clusterCount: Map<string, number>;
  clusterNames: string[];
  ir: IR;
  attached: Map<ListenerNode, number>;
  /** BackendTLSPolicies each route's backends use (routes that use none are not listed). */
  used: Map<RouteNode, PolicyNode[]>;
  /** Per policy, the Gateways that carry a route using it, each with how many (route, parent) do. */
  ancestors: Map<PolicyNode, Map<string, { gateway: GatewayNode; n: number }>>;
  /** The policies to report and their ancestors (key order), as statuses read them. Never modified. */
  policyView: PolicyView[];
}

let state: State | undefined;

/** How translations were made, for tests: updates of the kept state, fresh states. */
export const keptStats = { changes: 0, fresh: 0, endpoints: 0 };

const KIND_INDEX: Record<string, number> = { HTTPRoute: 0, GRPCRoute: 1, TLSRoute: 2, TCPRoute: 3, UDPRoute: 4 };

/** sortByAge's order over the concatenated route lists (kinds in list order break ties). */
function byAgeThenKind(a: RouteNode, b: RouteNode): number {
  return compareAge(a.obj, b.obj) || KIND_INDEX[a.kind]! - KIND_INDEX[b.kind]!;
}

function byStatusOrder(a: RouteNode, b: RouteNode): number {
  return compareStrings(a.kind, b.kind) || compareByName(a.obj, b.obj);
}

/** A copy of a snapshot's route list to keep (callers may reuse their arrays): sanitize.ts's, when it has one. */
function keptCopy(field: string, list: RouteObject[]): RouteObject[] {
  return usableCopy(field, list) ?? [...list];
}

/** Forgets the kept translation (the next call builds everything). */
export function forgetState(): void {
  state = undefined;
}

/**
 * The translation of `snapshot` by updating the kept one, or undefined when it cannot be kept
 * (no state, or something besides routes changed): the caller then builds a stage.
 */
export function translateChange(snapshot: Snapshot, options: TranslateOptions): TranslateResult | undefined {
  const s = state;
  if (!s) return undefined;
  try {
    if (!stageHolds(s.stage, snapshot, options) && !newEndpoints(s, snapshot, options)) return undefined;
    return change(s, snapshot, options);
  } catch (err) {
    // A state half updated must not be used again; the full path then reports the problem.
    state = undefined;
    void err;
    return undefined;
  }
}

/**
 * Takes EndpointSlices that changed (and nothing else but routes) into the state: new cluster
 * objects where endpoints changed, so the IR's cluster map; false when something else changed.
 */
function newEndpoints(s: State, snapshot: Snapshot, options: TranslateOptions): boolean {
  const stage = stageWithEndpoints(s.stage, snapshot, options);
  if (stage === undefined) return false;
  s.stage = stage;
  s.env = envOf(snapshot);
  keptStats.endpoints++;
  const clusters = clusterRecord(s);
  const names = s.clusterNames;
  if (names.some((n) => clusters[n] !== s.ir.clusters[n])) s.ir = { version: s.ir.version, ports: s.ir.ports, clusters };
  return true;
}

/** Whether a fresh state can be built on this stage (else index.ts translates in full). */
export function stageKeepable(stage: GatewayStage): boolean {
  return !stage.gateways.some((g) => g.accepted && g.clientCertificate);
}

/** Compiles (or reuses) a route's node, recording the policies it uses. */
function compiled(s: Pick<State, 'stage' | 'used'>, env: ReturnType<typeof envOf>, obj: RouteObject): RouteNode {
  const { ctx } = s.stage;
  // Without BackendTLSPolicies no route uses one: no set per route is needed.
  const used = ctx.policies.nodes.size === 0 ? NONE_USED : new Set<PolicyNode>();
  const node = compileMemo(env, ctx, obj, used, (u) => compileRoute(ctx, obj, u));
  if (used.size > 0) s.used.set(node, [...used]);
  return node;
}

/** A fresh state on `stage` with every route of `snapshot`; undefined when two routes tie in status order. */
export function translateFresh(stage: GatewayStage, snapshot: Snapshot, options: TranslateOptions): TranslateResult | undefined {
  state = undefined;
  const env = envOf(snapshot);
  const routes = new Map<RouteObject, RouteNode | undefined>();
  const candidates: RouteObject[] = [];
  for (const f of ROUTE_FIELDS) {
    for (const obj of snapshot[f] as RouteObject[]) {
      if (isOurRoute(obj, stage.parents)) candidates.push(obj);
      else if (routes.has(obj)) return undefined;
      else routes.set(obj, undefined);
    }
  }
  const sorted = sortByAge(candidates); // stable: ties keep the kinds' order
  const used = new Map<RouteNode, PolicyNode[]>();
  const byAge: RouteNode[] = [];
  for (let order = 0; order < sorted.length; order++) {
    const obj = sorted[order]!;
    if (routes.has(obj)) return undefined;
    const node = compiled({ stage, used }, env, obj);
    node.order = order;
    attachRoute(stage.lookup, stage.parents, node, false);
    routes.set(obj, node);
    byAge.push(node);
  }
  const s: State = {
    stage,
    env,
    routes,
    lists: ROUTE_FIELDS.map((f) => keptCopy(f, snapshot[f] as RouteObject[])),
    byAge,
    final: new Map(),
    statusOrder: [],
    listening: new Map(),
    served: new Map(),
    clusterCount: new Map(),
    clusterNames: [],
    ir: { version: IR_VERSION, ports: [], clusters: {} },
    attached: new Map(),
    used,
    ancestors: new Map(),
    policyView: [],
  };
  try {
    apply(s, [], byAge, true);
  } catch (err) {
    if (err instanceof StatusTie) return undefined;
    throw err;
  }
  state = s;
  keptStats.fresh++;
  return result(s, options.controllerName);
}

function change(s: State, snapshot: Snapshot, options: TranslateOptions): TranslateResult | undefined {
  // What changed, list by list: providers keep unchanged objects' identity and order, so the
  // lists are compared by reference from both ends and only what differs in between is looked at.
  const lists = ROUTE_FIELDS.map((f) => snapshot[f] as RouteObject[]);
  const middleOld = new Set<RouteObject>();
  const middleNew: RouteObject[] = [];
  const differs: boolean[] = [];
  for (let k = 0; k < lists.length; k++) {
    const now = lists[k]!;
    const then = s.lists[k]!;
    const [a, b] = sharedEnds(now, then);
    for (let i = a; i < then.length - b; i++) middleOld.add(then[i]!);
    for (let i = a; i < now.length - b; i++) middleNew.push(now[i]!);
    differs.push(a + b !== now.length || now.length !== then.length);
  }
  if (!differs.includes(true)) return result(s, options.controllerName);
  const fresh: RouteObject[] = [];
  const moved = new Set<RouteObject>();
  for (const obj of middleNew) {
    if (!s.routes.has(obj)) {
      fresh.push(obj);
      continue;
    }
    // Known and not between the ends of its old list: it is also at one of the ends (twice).
    if (!middleOld.has(obj) || moved.has(obj)) return undefined;
    moved.add(obj);
  }
  if (new Set(fresh).size !== fresh.length) return undefined; // a new object twice
  const goneObjs: RouteObject[] = [];
  for (const obj of middleOld) if (!moved.has(obj)) goneObjs.push(obj);
  // The stage holds, so every list a compiled route depends on is as when s.env was made (not
  // envOf(): another translation in between, of other objects, may have replaced its token).
  const env = s.env;

  // Everything that can refuse the change first; the state is modified only after.
  const removed: RouteNode[] = [];
  for (const obj of goneObjs) {
    const node = s.routes.get(obj);
    if (node) {
      removed.push(node);
    }
  }
  const { stage } = s;
  forgetResolutionsPastBound(stage);
  const added: RouteNode[] = [];
  const addedKeys = new Set<string>();
  const others: RouteObject[] = [];
  for (const obj of fresh) {
    if (!isOurRoute(obj, stage.parents)) {
      others.push(obj);
      continue;
    }
    const node = compiled(s, env, obj);
    // Another route of the same kind, namespace and name (a status-order tie) only if it goes.
    const tie = s.statusOrder[upperBound(s.statusOrder, node, byStatusOrder) - 1];
    if (tie !== undefined && byStatusOrder(tie, node) === 0 && !removed.some((r) => r.obj === tie.obj)) return undefined;
    const key = `${node.kind}\n${node.obj.metadata.namespace ?? ''}\n${node.obj.metadata.name}`;
    if (addedKeys.has(key)) return undefined;
    addedKeys.add(key);
    added.push(node);
  }
  let byAge = s.byAge;
  if (removed.length > 0) {
    byAge = byAge.slice();
    for (const node of removed) removeSorted(byAge, node, byAgeThenKind);
  }
  if (added.length > 0) {
    for (const node of added) {
      const i = upperBound(byAge, node, byAgeThenKind);
      const before = byAge[i - 1];
      const after = byAge[i];
      if (before !== undefined && byAgeThenKind(before, node) === 0) return undefined; // a tie sortByAge breaks by list position
      const order = before === undefined ? (after === undefined ? 0 : after.order - 1) : after === undefined ? before.order + 1 : (before.order + after.order) / 2;
      if ((before !== undefined && !(before.order < order)) || (after !== undefined && !(order < after.order))) return undefined; // no number left between them
      node.order = order;
      // The kept list is never changed: the first insertion makes the new one (exact size).
      if (byAge === s.byAge) byAge = byAge.toSpliced(i, 0, node);
      else byAge.splice(i, 0, node);
    }
    for (const node of added) attachRoute(stage.lookup, stage.parents, node, false);
  }

  for (const obj of goneObjs) s.routes.delete(obj);
  for (const obj of others) s.routes.set(obj, undefined);
  s.lists = lists.map((l, k) => (differs[k] ? keptCopy(ROUTE_FIELDS[k]!, l) : s.lists[k]!));
  for (const node of added) {
    s.routes.set(node.obj, node);
  }
  s.byAge = byAge;
  apply(s, removed, added, false);
  keptStats.changes++;
  return result(s, options.controllerName);
}

interface ListenerChange {
  removed: Attachment[];
  added: Attachment[];
  pending: Attachment[];
}

/**
 * Takes `removed` (attached nodes) off the state and puts `added` (attached, ordered, in byAge) on:
 * listeners, kind clashes, final nodes, status order, IR listeners, ports, clusters. `bulk`: the
 * state is empty and `added` is every route (sorts instead of inserting one by one).
 */
function apply(s: State, removed: readonly RouteNode[], added: readonly RouteNode[], bulk: boolean): void {
  const touched = new Map<ListenerNode, ListenerChange>();
  const changeOf = (l: ListenerNode) => {
    let c = touched.get(l);
    if (c === undefined) touched.set(l, (c = { removed: [], added: [], pending: [] }));
    return c;
  };
  for (const r of removed) {
    for (const a of pushedAttachments(r)) {
      const st = s.listening.get(a.listener)!;
      st.raw.delete(a);
      count(st, a, -1);
      const c = changeOf(a.listener);
      if (st.final.delete(a)) c.removed.push(a);
    }
  }
  for (const r of added) {
    for (const a of pushedAttachments(r)) {
      let st = s.listening.get(a.listener);
      if (st === undefined) s.listening.set(a.listener, (st = { raw: new Set(), http: 0, grpc: 0, lost: undefined, final: new Set() }));
      st.raw.add(a);
      count(st, a, 1);
      changeOf(a.listener).pending.push(a);
    }
  }

  // Kind clashes, again on the listeners touched where both kinds are (or were) present.
  let isAdded: Set<RouteNode> | undefined;
  const dirty = new Set<RouteNode>();
  for (const [l, c] of touched) {
    const st = s.listening.get(l)!;
    const before = st.lost;
    const now = st.http > 0 && st.grpc > 0 && s.stage.listenerIndex.has(l) ? kindConflictLosses(l, st.raw) : undefined;
    if (before === undefined && now === undefined) {
      for (const a of c.pending) {
        st.final.add(a);
        c.added.push(a);
      }
      continue;
    }
    for (const a of st.raw) {
      const was = before?.get(a);
      const is = now?.get(a);
      if (!bulk && was?.id !== is?.id && !(isAdded ??= new Set(added)).has(a.route)) dirty.add(a.route);
      if (is === undefined) {
        if (!st.final.has(a)) {
          st.final.add(a);
          c.added.push(a);
        }
      } else if (st.final.delete(a)) c.removed.push(a);
    }
    st.lost = now;
  }

  // Final nodes, and the status order they are reported in.
  let losing = false;
  for (const st of s.listening.values()) if (st.lost) losing = true;
  const replaced = new Map<RouteNode, RouteNode | null>();
  const policiesTouched = new Set<PolicyNode>();
  for (const r of removed) {
    const old = s.final.get(r) ?? r;
    replaced.set(old, null);
    s.final.delete(r);
    countAncestors(s, old, s.used.get(r), -1, policiesTouched);
    s.used.delete(r);
  }
  for (const r of dirty) {
    const old = s.final.get(r) ?? r;
    const now = finalNode(s, r, losing);
    if (now === old) continue;
    replaced.set(old, now);
    countAncestors(s, old, s.used.get(r), -1, policiesTouched);
    countAncestors(s, now, s.used.get(r), 1, policiesTouched);
  }
  const finals = added.map((r) => finalNode(s, r, losing));
  if (s.used.size > 0) for (let i = 0; i < added.length; i++) countAncestors(s, finals[i]!, s.used.get(added[i]!), 1, policiesTouched);
  if (policiesTouched.size > 0) s.policyView = policyView(s);
  // Only routes with a parent of ours are reported (every route we keep has one: isOurRoute).
  const addedFinal = finals.filter((f) => f.parents.length > 0);
  if (bulk) {
    s.statusOrder = addedFinal.sort(byStatusOrder);
    for (let i = 1; i < s.statusOrder.length; i++) if (byStatusOrder(s.statusOrder[i - 1]!, s.statusOrder[i]!) === 0) throw new StatusTie();
  } else if (replaced.size === 0 && addedFinal.length === 1) {
    // The usual change, one route added: one exact-size copy with it in place.
    const f = addedFinal[0]!;
    s.statusOrder = s.statusOrder.toSpliced(upperBound(s.statusOrder, f, byStatusOrder), 0, f);
  } else if (replaced.size > 0 || addedFinal.length > 0) {
    const order = s.statusOrder.slice();
    for (const [old, now] of replaced) {
      if (old.parents.length === 0) continue;
      // A replacement has the old node's kind, namespace and name: it takes the same place.
      if (now === null) removeSorted(order, old, byStatusOrder);
      else order[indexSorted(order, old, byStatusOrder)] = now;
    }
    for (const f of addedFinal) order.splice(upperBound(order, f, byStatusOrder), 0, f);
    s.statusOrder = order;
  }

  // attachedRoutes counts: a new map only when one changed (results keep theirs).
  let counts = s.attached;
  for (const [l] of touched) {
    const n = s.listening.get(l)!.final.size;
    if ((counts.get(l) ?? 0) === n) continue;
    if (counts === s.attached) counts = new Map(counts);
    counts.set(l, n);
  }
  s.attached = counts;

  if (bulk) buildServed(s);
  else updateServed(s, touched);
}

/**
 * The backend resolutions a stage caches (by route kind, namespace and reference) live as long as
 * the stage, which routes coming and going do not end: routes naming ever new backends (that do
 * not exist) would grow it without end. Past a bound it starts again (it is only a cache).
 */
const RESOLUTIONS_KEPT = 50_000;

function forgetResolutionsPastBound(stage: GatewayStage): void {
  const caches = stage.ctx.resolveCache;
  if (caches === undefined) return;
  let n = 0;
  for (const c of caches.values()) n += c.size;
  if (n > RESOLUTIONS_KEPT) stage.ctx.resolveCache = undefined;
}

/** Two routes of one kind, namespace and name: their statuses' order is the full path's to decide. */
class StatusTie extends Error {}

/** The index of `item` in `list`, sorted by `cmp` (ties allowed): a binary search, then the tied run. */
function indexSorted<T>(list: readonly T[], item: T, cmp: (a: T, b: T) => number): number {
  let i = upperBound(list, item, cmp) - 1;
  while (i >= 0 && list[i] !== item && cmp(list[i]!, item) === 0) i--;
  if (i >= 0 && list[i] === item) return i;
  throw new Error('kept translation: an item is missing from its sorted list');
}

function removeSorted<T>(list: T[], item: T, cmp: (a: T, b: T) => number): void {
  list.splice(indexSorted(list, item, cmp), 1);
}

/**
 * Counts a final node's BackendTLSPolicy ancestors in (by = 1) or out (-1): each Gateway a parent
 * with attachments carries, for each policy the route uses (what translateFull sets in p.ancestors).
 */
function countAncestors(s: State, f: RouteNode, used: PolicyNode[] | undefined, by: number, touched: Set<PolicyNode>): void {
  if (used === undefined) return;
  for (const p of used) {
    for (const parent of f.parents) {
      if (parent.attachments.length === 0) continue;
      let m = s.ancestors.get(p);
      if (m === undefined) s.ancestors.set(p, (m = new Map()));
      const key = parent.gateway.key;
      const n = (m.get(key)?.n ?? 0) + by;
      if (n > 0) m.set(key, { gateway: parent.gateway, n });
      else m.delete(key);
      touched.add(p);
    }
  }
}

/** The policies with ancestors, in the stage's order, each with its Gateways by key. */
function policyView(s: State): PolicyView[] {
  const out: PolicyView[] = [];
  for (const p of s.stage.policies.nodes.values()) {
    const m = s.ancestors.get(p);
    if (m === undefined || m.size === 0) continue;
    const keys = [...m.keys()].sort(compareStrings);
    out.push({ node: p, gateways: keys.map((k) => m.get(k)!.gateway) });
  }
  return out;
}

function count(st: Listening, a: Attachment, by: number): void {
  if (a.route.kind === 'HTTPRoute') st.http += by;
  else if (a.route.kind === 'GRPCRoute') st.grpc += by;
}

/** The node of an attached route after the kind clashes it lost (itself when none). */
function finalNode(s: State, r: RouteNode, losing: boolean): RouteNode {
  if (!losing) {
    s.final.delete(r);
    return r;
  }
  const losses: Loss[] = [];
  for (const a of pushedAttachments(r)) {
    const winner = s.listening.get(a.listener)?.lost?.get(a);
    if (winner) losses.push({ listener: a.listener, attachment: a, winner });
  }
  if (losses.length === 0) {
    s.final.delete(r);
    return r;
  }
  const index = s.stage.listenerIndex;
  losses.sort((x, y) => index.get(x.listener)! - index.get(y.listener)!);
  const f = withLosses(r, losses);
  s.final.set(r, f);
  return f;
}

/** The IR of a fresh state: buildIR over the stage's Gateways, each listener served from the state. */
function buildServed(s: State): void {
  const { stage } = s;
  const ir = buildIR(
    { classes: [], gateways: stage.gateways, listenerSets: stage.listenerSets, routes: [], policies: [], clusters: new Map() },
    (l) => {
      const sv = serveListener(l, s.listening.get(l)?.final ?? []);
      s.served.set(l, sv);
      countServed(s, sv, 1, undefined);
      return sv.ir;
    },
  );
  s.clusterNames = [...s.clusterCount.keys()].sort(compareStrings);
  s.ir = { version: ir.version, ports: ir.ports, clusters: clusterRecord(s) };
}

function updateServed(s: State, touched: Map<ListenerNode, ListenerChange>): void {
  const newIR = new Map<IRListener, IRListener>();
  const names = new Set<string>();
  for (const [l, c] of touched) {
    if (c.removed.length === 0 && c.added.length === 0) continue;
    const sv = s.served.get(l);
    if (sv === undefined) continue; // not served (listener not programmed, Gateway not accepted)
    const next = updateListener(sv, c.removed, c.added, s.listening.get(l)!.final);
    if (sv.hosts) {
      for (const a of c.removed) for (const n of clusterNamesOf(a.route)) bump(s, n, -1, names);
      for (const a of c.added) for (const n of clusterNamesOf(a.route)) bump(s, n, 1, names);
    } else {
      countServed(s, sv, -1, names);
      countServed(s, next, 1, names);
    }
    s.served.set(l, next);
    if (next.ir !== sv.ir) newIR.set(sv.ir, next.ir);
  }
  let clusters = s.ir.clusters;
  if (names.size > 0) {
    let list = s.clusterNames;
    for (const n of names) {
      const used = s.clusterCount.has(n);
      const i = upperBound(list, n, compareStrings);
      const listed = i > 0 && list[i - 1] === n;
      if (used === listed) continue;
      if (list === s.clusterNames) list = list.slice();
      if (used) list.splice(i, 0, n);
      else list.splice(i - 1, 1);
    }
    if (list !== s.clusterNames) {
      s.clusterNames = list;
      clusters = clusterRecord(s);
    }
  }
  let ports = s.ir.ports;
  if (newIR.size > 0) {
    ports = ports.map((p): IRPort => (p.listeners.some((x) => newIR.has(x)) ? { ...p, listeners: p.listeners.map((x) => newIR.get(x) ?? x) } : p));
  }
  if (ports !== s.ir.ports || clusters !== s.ir.clusters) s.ir = { version: s.ir.version, ports, clusters };
}

/** Counts the clusters a served listener refers to into the state (by = 1) or out of it (-1). */
function countServed(s: State, sv: ServedListener, by: number, names: Set<string> | undefined): void {
  if (sv.clusters) {
    for (const n of sv.clusters) bump(s, n, by, names);
    return;
  }
  const st = s.listening.get(sv.node);
  if (!st) return;
  // One list for every route of the listener (all of them at start-up) rather than one per route.
  const list: string[] = [];
  for (const a of st.final) {
    const from = list.length;
    clusterNamesOf(a.route, list);
    for (let i = from; i < list.length; i++) bump(s, list[i]!, by, names);
  }
}

function bump(s: State, name: string, by: number, names: Set<string> | undefined): void {
  const n = (s.clusterCount.get(name) ?? 0) + by;
  if (n > 0) s.clusterCount.set(name, n);
  else s.clusterCount.delete(name);
  names?.add(name);
}

function clusterRecord(s: State): IR['clusters'] {
  const out: IR['clusters'] = {};
  for (const name of s.clusterNames) {
    const c = s.stage.ctx.clusters.get(name);
    if (c === undefined) throw new Error(`cluster ${name} is referred to but was never resolved`);
    out[name] = c;
  }
  return out;
}

function result(s: State, controllerName: string): TranslateResult {
  return new KeptResult(s.ir, {
    classes: [...s.stage.classes.values()],
    gateways: s.stage.gateways,
    listenerSets: s.stage.listenerSets,
    routes: s.statusOrder,
    policies: s.policyView,
    attached: s.attached,
  }, controllerName);
}

/**
 * A translation's result with its statuses built when first read (the runtime reads them after
 * serving). A class rather than an object literal with a getter closing over its input: with the
 * closure, each add's status-order list (5,000 entries) outlived its result through two young
 * collections and was promoted — ~40 KB of old generation per route added at 5,000 routes (in
 * process, --trace-gc-nvp), which the next full collection then had to find dead.
 */
class KeptResult implements TranslateResult {
  readonly ir: IR;
  #input: StatusInput | undefined;
  readonly #controllerName: string;
  #statuses: ObjectStatus[] | undefined;

  constructor(ir: IR, input: StatusInput, controllerName: string) {
    this.ir = ir;
    this.#input = input;
    this.#controllerName = controllerName;
  }

  get statuses(): ObjectStatus[] {
    if (this.#statuses === undefined) {
      this.#statuses = buildStatusesFrom(this.#input!, this.#controllerName);
      this.#input = undefined; // read once: the lists it holds need not live as long as the result
    }
    return this.#statuses;
  }
}
