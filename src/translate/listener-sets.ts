// ListenerSets: extra listeners merged into a parent Gateway of ours when the Gateway allows
// them (spec.allowedListeners, default None). Merge order: the Gateway's own listeners, then
// ListenerSets oldest first (then namespace/name); conflicts are resolved in that order.
import { GATEWAY_GROUP } from '../resources/types.ts';
import * as C from './conditions.ts';
import type { GatewayNode, ListenerSetNode } from './graph.ts';
import { selectorMatches } from './label-selector.ts';
import { buildListener, listenerRefsUsable } from './listeners.ts';
import { namespaceLabels, type Lookup } from './lookup.ts';
import { keyOf, sortByAge } from './meta.ts';
import { objects } from './sanitize.ts';

export function attachListenerSets(lookup: Lookup, gateways: Map<string, GatewayNode>): ListenerSetNode[] {
  const out: ListenerSetNode[] = [];
  for (const obj of sortByAge(lookup.snapshot.listenerSets)) {
    const ref = obj.spec?.parentRef;
    if (!ref || (ref.group ?? GATEWAY_GROUP) !== GATEWAY_GROUP || (ref.kind ?? 'Gateway') !== 'Gateway') continue;
    const ns = obj.metadata.namespace ?? 'default';
    const gw = gateways.get(`${ref.namespace ?? ns}/${ref.name}`);
    if (!gw) continue;
    const node: ListenerSetNode = { obj, key: keyOf(obj), gateway: gw, allowed: allowed(lookup, gw, ns), listeners: [], accepted: false, conditions: [] };
    for (const l of objects(obj.spec.listeners)) node.listeners.push(buildListener(lookup, l, { kind: 'ListenerSet', node }, gw));
    gw.listenerSets.push(node);
    if (node.allowed) gw.listeners.push(...node.listeners);
    out.push(node);
  }
  return out;
}

function allowed(lookup: Lookup, gw: GatewayNode, lsNamespace: string): boolean {
  const ns = gw.obj.spec.allowedListeners?.namespaces;
  switch (ns?.from ?? 'None') {
    case 'All':
      return true;
    case 'Same':
      return lsNamespace === (gw.obj.metadata.namespace ?? 'default');
    case 'Selector':
      return selectorMatches(ns?.selector ?? {}, namespaceLabels(lookup, lsNamespace));
    default:
      return false;
  }
}

/** After the parent Gateway is finalized: the ListenerSet's own conditions. */
export function finalizeListenerSet(node: ListenerSetNode): void {
  const gw = node.gateway;
  if (!node.allowed) {
    const msg = `Gateway ${gw.key} does not allow ListenerSets from namespace ${node.obj.metadata.namespace ?? 'default'}`;
    node.conditions = [C.listenerSetNotAllowed(msg), C.listenerSetNotProgrammed('NotAllowed', msg)];
    return;
  }
  if (!gw.accepted) {
    const msg = `Parent Gateway ${gw.key} is not accepted`;
    node.conditions = [C.listenerSetParentNotAccepted(msg), C.listenerSetNotProgrammed('ParentNotAccepted', msg)];
    return;
  }
  const invalid = node.listeners
    .filter((l) => l.acceptedCond || l.conflictedCond || !listenerRefsUsable(l))
    .map((l) => l.spec.name);
  if (invalid.length === node.listeners.length && invalid.length > 0) {
    const cond = C.listenerSetNoValidListeners(invalid);
    node.conditions = [cond, C.listenerSetNotProgrammed('ListenersNotValid', cond.message)];
    return;
  }
  node.accepted = true;
  node.conditions = [
    invalid.length > 0 ? C.listenerSetSomeListenersInvalid(invalid) : C.listenerSetAccepted(),
    C.listenerSetProgrammed(),
  ];
}
