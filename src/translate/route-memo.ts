// Per-route memo across translations: compiling a route (its rules, filters, backendRefs resolved to
// clusters) is the bulk of translate() at thousands of routes, and a change usually touches one
// route. A route's compiled form depends only on the route object itself and on the objects its
// references can reach: Services, EndpointSlices, ReferenceGrants, BackendTLSPolicies and the
// ConfigMaps/Secrets those read (the "environment"). So a compiled route is reused when the route
// is the same object (providers keep unchanged objects' identity) and the environment is made of
// the same objects, element for element, as when it was compiled. Anything else compiles afresh.
//
// What a reuse must replay: the clusters the route's backends resolved to (entered into this
// translation's cluster map) and the BackendTLSPolicies it used (for their ancestor status). The
// node is copied shallowly, since attachment fills `order` and `parents` per translation; its rules
// are shared, never mutated after compilation, so the IR rules built from them can be shared too.
import type { Cluster } from '../ir/types.ts';
import type { Snapshot } from '../resources/snapshot.ts';
import type { BackendTLSPolicy, RouteObject } from '../resources/types.ts';
import type { BackendContext, ClusterSource } from './backends.ts';
import type { PolicyNode, RouteNode } from './graph.ts';
import type { L4RouteNode } from './l4-routes.ts';
import { sameItems } from './meta.ts';

/** The snapshot fields a compiled route can depend on besides the route itself. */
const ENV_FIELDS = ['services', 'endpointSlices', 'referenceGrants', 'backendTLSPolicies', 'configMaps', 'secrets'] as const satisfies readonly (keyof Snapshot)[];

interface Env {
  lists: unknown[][];
  /** Cluster lists of the routes compiled in this environment, by names: shared when equal. */
  clusterLists?: Map<string, ClusterList>;
}

type ClusterList = [string, Cluster, ClusterSource | undefined][];
const NO_POLICIES: BackendTLSPolicy[] = [];

interface Compiled {
  env: Env;
  node: RouteNode;
  /** Each cluster with what its endpoints are read from (BackendContext.clusterSources), when known. */
  clusters: ClusterList;
  policies: BackendTLSPolicy[];
}

let lastEnv: Env | undefined;
/**
 * The cluster names one compile resolves, in order, without repeats (BackendContext.touched): one
 * list emptied per route rather than a Set per route (10,000 at start-up). Never kept.
 */
const TOUCHED: string[] = [];
const memo = new WeakMap<RouteObject, Compiled>();

/** The environment token for a snapshot: the last one when made of the same objects, else a new one. */
export function envOf(snapshot: Snapshot): Env {
  const lists = ENV_FIELDS.map((f) => snapshot[f] as unknown[]);
  if (lastEnv && lists.every((l, i) => sameItems(l, lastEnv!.lists[i]!))) return lastEnv;
  // Copies: a caller may reuse and mutate its arrays between calls.
  lastEnv = { lists: lists.map((l) => [...l]) };
  return lastEnv;
}

/**
 * The compiled node of `obj` (a fresh shallow copy with `parents` empty), from the memo when valid
 * for `env`, else by `compile`, which must record the clusters it resolves in `ctx.touched`.
 */
export function compileMemo(
  env: Env,
  ctx: BackendContext,
  obj: RouteObject,
  used: Set<PolicyNode>,
  compile: (used: Set<PolicyNode>) => RouteNode,
): RouteNode {
  const hit = memo.get(obj);
  if (hit && hit.env === env) {
    for (let i = 0; i < hit.clusters.length; i++) {
      const [name, c, source] = hit.clusters[i]!;
      if (ctx.clusters.has(name)) continue;
      ctx.clusters.set(name, c);
      if (source) ctx.clusterSources?.set(name, source);
    }
    for (let i = 0; i < hit.policies.length; i++) {
      const node = ctx.policies.nodes.get(hit.policies[i]!);
      if (node) used.add(node);
    }
    return copyNode(hit.node);
  }
  const touched = TOUCHED;
  touched.length = 0;
  ctx.touched = touched;
  let node: RouteNode;
  try {
    node = compile(used);
  } finally {
    ctx.touched = undefined;
  }
  const policies = used.size === 0 ? NO_POLICIES : [...used].map((p) => p.obj);
  memo.set(obj, { env, node: copyNode(node), clusters: sharedClusterList(env, ctx, touched), policies });
  return node;
}

/**
 * The clusters of `touched` that resolved (name, cluster, source), as a list a route compiled
 * earlier in this environment keeps when equal (same names, clusters and sources): thousands of
 * routes resolve to the same few Services. Compared before any list is built, so a route whose
 * list is already kept makes none. Never mutated.
 */
function sharedClusterList(env: Env, ctx: BackendContext, touched: readonly string[]): ClusterList {
  let key: string | undefined;
  let n = 0;
  for (let t = 0; t < touched.length; t++) {
    const name = touched[t]!;
    if (!ctx.clusters.get(name)) continue;
    key = key === undefined ? name : `${key}\n${name}`;
    n++;
  }
  const lists = (env.clusterLists ??= new Map<string, ClusterList>());
  const old = lists.get(key ?? '');
  if (old !== undefined && old.length === n) {
    let i = 0;
    let same = true;
    for (let t = 0; t < touched.length; t++) {
      const name = touched[t]!;
      const c = ctx.clusters.get(name);
      if (!c) continue;
      const e = old[i++]!;
      if (e[0] !== name || e[1] !== c || e[2] !== ctx.clusterSources?.get(name)) {
        same = false;
        break;
      }
    }
    if (same) return old;
  }
  const list: ClusterList = new Array(n);
  let i = 0;
  for (let t = 0; t < touched.length; t++) {
    const name = touched[t]!;
    const c = ctx.clusters.get(name);
    if (c) list[i++] = [name, c, ctx.clusterSources?.get(name)];
  }
  lists.set(key ?? '', list);
  return list;
}

/** A fresh node sharing the compiled parts, with no parents (field by field: faster than a spread). */
function copyNode(n: RouteNode): RouteNode {
  // Every field in the literal (the optional ones possibly undefined): fields added afterwards
  // would go to a separate property store, one more object per route.
  const out: RouteNode = {
    kind: n.kind,
    obj: n.obj,
    id: n.id,
    namespace: n.namespace,
    order: n.order,
    hostnames: n.hostnames,
    rules: n.rules,
    resolvedRefs: n.resolvedRefs,
    invalid: n.invalid,
    partiallyInvalid: n.partiallyInvalid,
    parents: [],
  };
  const l4 = n as L4RouteNode;
  if (l4.terminatedBackends !== undefined) (out as L4RouteNode).terminatedBackends = l4.terminatedBackends;
  return out;
}
