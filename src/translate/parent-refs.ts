// Route → parent attachment. A parentRef selects a Gateway (its own listeners only) or a
// ListenerSet, narrowed by sectionName and port; a listener accepts the route when its kind is
// allowed, its namespace is allowed (From All/Same/Selector), and hostnames intersect.
import type { ParentReference } from '../resources/types.ts';
import { GATEWAY_GROUP } from '../resources/types.ts';
import * as C from './conditions.ts';
import type { Attachment, GatewayNode, ListenerNode, ListenerSetNode, ParentNode, RouteNode } from './graph.ts';
import { effectiveHostnames } from './hostnames.ts';
import { exactSize } from './route-common.ts';
import { selectorMatches } from './label-selector.ts';
import { namespaceLabels, type Lookup } from './lookup.ts';
import { objects } from './sanitize.ts';

export interface Parents {
  gateways: Map<string, GatewayNode>;
  listenerSets: Map<string, ListenerSetNode>;
}

/** A Gateway's own listeners (not its ListenerSets'), once per Gateway node. */
const ownListeners = new WeakMap<GatewayNode, ListenerNode[]>();

function listenersOf(gateway: GatewayNode): ListenerNode[] {
  let list = ownListeners.get(gateway);
  if (list === undefined) ownListeners.set(gateway, (list = gateway.listeners.filter((l) => l.owner.kind === 'Gateway')));
  return list;
}

/**
 * Effective hostnames by the route's hostname list (shared across translations while the route is
 * unchanged) and the listener's hostname: thousands of routes are attached on every translation.
 */
const hostnamesMemo = new WeakMap<readonly string[], Map<string, string[]>>();
const NO_HOSTNAMES: readonly string[] = [];

function hostnamesOn(listener: string | undefined, route: readonly string[] | undefined): string[] {
  const key = route ?? NO_HOSTNAMES;
  let byListener = hostnamesMemo.get(key);
  if (byListener === undefined) hostnamesMemo.set(key, (byListener = new Map()));
  let out = byListener.get(listener ?? '');
  if (out === undefined) byListener.set(listener ?? '', (out = effectiveHostnames(listener, route)));
  return out;
}

/**
 * Fills `route.parents` from its parentRefs. With `push` (the default) each attachment is also
 * added to its listener's `attached` (once per listener: see pushedAttachments); without, the
 * listeners are left alone and the caller keeps attachments itself (route-state.ts).
 */
export function attachRoute(lookup: Lookup, parents: Parents, route: RouteNode, push = true): void {
  const refs = objects(route.obj.spec?.parentRefs);
  // A route attaches to a listener at most once, however many of its parentRefs select it.
  const seen = refs.length > 1 ? new Set<ListenerNode>() : undefined;
  for (let ri = 0; ri < refs.length; ri++) {
    const ref = refs[ri]!;
    const group = ref.group ?? GATEWAY_GROUP;
    const kind = ref.kind ?? 'Gateway';
    const ns = ref.namespace ?? route.namespace;
    if (group !== GATEWAY_GROUP) continue;
    let gateway: GatewayNode | undefined;
    let candidates: ListenerNode[] = [];
    let ls: ListenerSetNode | undefined;
    if (kind === 'Gateway') {
      gateway = parents.gateways.get(`${ns}/${ref.name}`);
      candidates = gateway ? listenersOf(gateway) : [];
    } else if (kind === 'ListenerSet') {
      ls = parents.listenerSets.get(`${ns}/${ref.name}`);
      gateway = ls?.gateway;
      candidates = ls?.allowed ? ls.listeners : [];
    }
    if (!gateway) continue; // not one of ours: another controller reports on it
    // Plain assignments, not conditional spreads: this runs for every route on every translation.
    const reported: ParentReference = { group, kind, namespace: ns, name: ref.name };
    if (ref.sectionName !== undefined) reported.sectionName = ref.sectionName;
    if (ref.port !== undefined) reported.port = ref.port;
    const parent: ParentNode = { ref: reported, gateway, accepted: C.routeAccepted(), attachments: NO_ATTACHMENTS };
    // Usually the only parent: a literal holds exactly one, a push onto [] reserves room for 17.
    if (route.parents.length === 0) route.parents = [parent];
    else route.parents.push(parent);
    const selected =
      ref.sectionName === undefined && ref.port === undefined
        ? candidates
        : candidates.filter((l) => (ref.sectionName === undefined || l.spec.name === ref.sectionName) && (ref.port === undefined || l.spec.port === ref.port));
    if (selected.length === 0) {
      const by = [ref.sectionName !== undefined ? `sectionName ${ref.sectionName}` : '', ref.port !== undefined ? `port ${ref.port}` : '']
        .filter(Boolean)
        .join(' and ');
      parent.accepted = C.routeNoMatchingParent(`${ownerName(kind, ns, ref.name, ls)} has no listener${by ? ' with ' + by : ''}`);
      continue;
    }
    let hostnameMiss = false;
    // Usually one listener takes the route: a one-entry literal, no growing list copied afterwards.
    let attachments: Attachment[] = NO_ATTACHMENTS;
    // Indexed loops: for-of makes an iteration result per step until the code is optimised.
    for (let li = 0; li < selected.length; li++) {
      const l = selected[li]!;
      if (!allowsRoute(lookup, l, route)) continue;
      const hostnames = l.protocol === 'TCP' || l.protocol === 'UDP' ? [] : hostnamesOn(l.hostname, route.hostnames);
      if (l.protocol !== 'TCP' && l.protocol !== 'UDP' && hostnames.length === 0) {
        hostnameMiss = true;
        continue;
      }
      const a = { route, listener: l, hostnames };
      if (attachments === NO_ATTACHMENTS) attachments = [a];
      else attachments.push(a);
    }
    if (attachments.length === 0) {
      parent.accepted = hostnameMiss
        ? C.routeNoMatchingListenerHostname()
        : C.routeNotAllowedByListeners(`No listener of ${ownerName(kind, ns, ref.name, ls)}${ref.sectionName ? ` (sectionName ${ref.sectionName})` : ''} allows ${route.kind}s from namespace ${route.namespace}`);
      continue;
    }
    if (route.invalid) {
      parent.accepted = route.invalid;
      continue;
    }
    parent.attachments = attachments.length === 1 ? attachments : exactSize(attachments);
    if (!push) continue;
    for (const a of attachments) {
      if (seen) {
        if (seen.has(a.listener)) continue;
        seen.add(a.listener);
      }
      a.listener.attached.push(a);
    }
  }
}

/** A parent's attachments until it has some (never written to: attachments are replaced, not pushed). */
const NO_ATTACHMENTS = Object.freeze([]) as unknown as Attachment[];

/**
 * The attachments attachRoute adds to listeners for an attached route: its parents' attachments,
 * the first one per listener only (a route attaches to a listener at most once).
 */
export function pushedAttachments(route: RouteNode): readonly Attachment[] {
  // One parent's attachments are on distinct listeners already (the common case: no copy).
  if (route.parents.length === 1) return route.parents[0]!.attachments;
  const out: Attachment[] = [];
  for (const p of route.parents) {
    for (const a of p.attachments) if (!out.some((x) => x.listener === a.listener)) out.push(a);
  }
  return out;
}

/** The parent a parentRef names, for messages: spelled out when one is written, not per attachment. */
function ownerName(kind: string, ns: string, name: string, ls: ListenerSetNode | undefined): string {
  if (kind === 'Gateway') return `Gateway ${ns}/${name}`;
  return `ListenerSet ${ns}/${name}${ls && !ls.allowed ? ` (not allowed by Gateway ${ls.gateway.key})` : ''}`;
}

function allowsRoute(lookup: Lookup, l: ListenerNode, route: RouteNode): boolean {
  if (l.protocol === null) return false;
  let kindAllowed = false;
  for (let i = 0; i < l.supportedKinds.length && !kindAllowed; i++) kindAllowed = l.supportedKinds[i]!.kind === route.kind;
  if (!kindAllowed) return false;
  const ns = l.spec.allowedRoutes?.namespaces;
  switch (ns?.from ?? 'Same') {
    case 'All':
      return true;
    case 'Same':
      return route.namespace === l.namespace;
    case 'Selector':
      return selectorMatches(ns?.selector ?? {}, namespaceLabels(lookup, route.namespace));
    default:
      return false;
  }
}
