// Graph → one ObjectStatus per object we are responsible for, shaped like the Kubernetes object.
// Conditions get observedGeneration = metadata.generation; lastTransitionTime is the provider's.
import type { Condition, ListenerStatus, ObjectMeta, RouteGroupKind } from '../resources/types.ts';
import type { ObjectStatus } from './api.ts';
import * as C from './conditions.ts';
import { SUPPORTED_FEATURES } from './features.ts';
import type { Graph, ListenerNode } from './graph.ts';
import { compareByName, compareStrings, generationOf } from './meta.ts';

function stamp(conds: C.Cond[], meta: ObjectMeta): Condition[] {
  const g = generationOf({ metadata: meta });
  return conds.map((c) => ({ type: c.type, status: c.status, reason: c.reason, message: c.message, observedGeneration: g }));
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

function listenerStatus(l: ListenerNode, meta: ObjectMeta): ListenerStatus {
  const kinds: RouteGroupKind[] = l.supportedKinds.map((k) => ({ group: k.group, kind: k.kind }));
  return { name: l.spec.name, supportedKinds: kinds, attachedRoutes: l.attached.length, conditions: stamp(listenerConditions(l), meta) };
}

export function buildStatuses(graph: Graph, controllerName: string): ObjectStatus[] {
  const out: ObjectStatus[] = [];
  for (const c of graph.classes) {
    out.push(entry(c.obj, { conditions: stamp(c.conditions, c.obj.metadata), supportedFeatures: SUPPORTED_FEATURES.map((name) => ({ name })) }));
  }
  for (const gw of graph.gateways) {
    const m = gw.obj.metadata;
    const bound = gw.accepted && !gw.notProgrammed ? gw.addresses : [];
    out.push(
      entry(gw.obj, {
        addresses: bound.map((value) => ({ type: 'IPAddress', value })),
        conditions: stamp(gw.conditions, m),
        listeners: gw.listeners.filter((l) => l.owner.kind === 'Gateway').map((l) => listenerStatus(l, m)),
        attachedListenerSets: gw.listenerSets.filter((ls) => ls.accepted).length,
      }),
    );
  }
  for (const ls of graph.listenerSets) {
    const m = ls.obj.metadata;
    // A set the Gateway does not allow has no listeners on it: none are reported.
    const listeners = ls.allowed ? ls.listeners.map((l) => listenerStatus(l, m)) : [];
    out.push(entry(ls.obj, { conditions: stamp(ls.conditions, m), listeners }));
  }
  for (const r of graph.routes) {
    if (r.parents.length === 0) continue;
    const m = r.obj.metadata;
    const parents = r.parents.map((p) => {
      const conds = [p.accepted, r.resolvedRefs];
      if (r.partiallyInvalid && p.accepted.status === 'True') conds.push(r.partiallyInvalid);
      return { parentRef: p.ref, controllerName, conditions: stamp(conds, m) };
    });
    out.push(entry(r.obj, { parents }));
  }
  for (const p of graph.policies) {
    if (p.ancestors.size === 0) continue;
    const m = p.obj.metadata;
    const ancestors = [...p.ancestors.values()]
      .sort((a, b) => compareStrings(a.key, b.key))
      .map((gw) => ({
        ancestorRef: { group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: gw.obj.metadata.namespace ?? 'default', name: gw.obj.metadata.name },
        controllerName,
        conditions: stamp([p.accepted, p.resolvedRefs], m),
      }));
    out.push(entry(p.obj, { ancestors }));
  }
  return out.sort(compareStatuses);
}

/** Kind, then namespace, then name: the order of `statuses` (and of /status). */
export function compareStatuses(a: ObjectStatus, b: ObjectStatus): number {
  return compareStrings(a.kind, b.kind) || compareByName(a, b);
}
