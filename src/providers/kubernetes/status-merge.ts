// Pure: the status to write = what the translator computed, merged with what the server has.
// - lastTransitionTime is kept when a condition's status did not change, and set to `now` otherwise
//   (the translator has no clock, so it leaves the time out).
// - For routes and BackendTLSPolicy, only `status.parents` / `status.ancestors` entries whose
//   controllerName is ours are replaced; other controllers' entries are kept as they are.
// - Fields the CRDs default on write are filled in here, so a status we wrote compares equal to what
//   the server stores and is not written again.
import type { Condition } from '../../resources/types.ts';
import { GATEWAY_GROUP } from '../../resources/types.ts';

export function mergeConditions(desired: readonly Condition[] | undefined, existing: readonly Condition[] | undefined, now: string, generation?: number): Condition[] {
  return (desired ?? []).map((c) => {
    const prev = existing?.find((e) => e.type === c.type);
    const lastTransitionTime = prev && prev.status === c.status && prev.lastTransitionTime ? prev.lastTransitionTime : now;
    const out: Condition = { ...c, lastTransitionTime };
    if (out.observedGeneration === undefined && generation !== undefined) out.observedGeneration = generation;
    return out;
  });
}

/** The parentRef/ancestorRef as the CRD defaults it (group and kind filled in). */
export function defaultParentRef(ref: Record<string, unknown>): Record<string, unknown> {
  return { ...ref, group: ref.group ?? GATEWAY_GROUP, kind: ref.kind ?? 'Gateway' };
}

function sameRef(a: Record<string, unknown> | undefined, b: Record<string, unknown> | undefined): boolean {
  if (!a || !b) return false;
  const x = defaultParentRef(a);
  const y = defaultParentRef(b);
  return (
    x.group === y.group && x.kind === y.kind && x.name === y.name && (x.namespace ?? '') === (y.namespace ?? '') &&
    (x.sectionName ?? '') === (y.sectionName ?? '') && (x.port ?? 0) === (y.port ?? 0)
  );
}

type Entry = { controllerName?: string; conditions?: Condition[] } & Record<string, unknown>;

/** Merges a parents/ancestors list: foreign entries kept in place, ours replaced. */
function mergeEntries(field: 'parentRef' | 'ancestorRef', desired: Entry[] | undefined, existing: Entry[] | undefined, controllerName: string, now: string, generation: number): Entry[] {
  const foreign = (existing ?? []).filter((e) => e.controllerName !== controllerName);
  const previousOurs = (existing ?? []).filter((e) => e.controllerName === controllerName);
  const ours = (desired ?? [])
    .filter((e) => (e.controllerName ?? controllerName) === controllerName)
    .map((e) => {
      const ref = defaultParentRef((e[field] ?? {}) as Record<string, unknown>);
      const prev = previousOurs.find((p) => sameRef(p[field] as Record<string, unknown>, ref));
      return { ...e, [field]: ref, controllerName, conditions: mergeConditions(e.conditions, prev?.conditions, now, generation) };
    });
  return [...foreign, ...ours];
}

function mergeListeners(desired: any[] | undefined, existing: any[] | undefined, now: string, generation: number): any[] | undefined {
  if (!desired) return undefined;
  return desired.map((l) => {
    const prev = existing?.find((p) => p?.name === l.name);
    return {
      ...l,
      supportedKinds: (l.supportedKinds ?? []).map((k: { group?: string; kind: string }) => ({ ...k, group: k.group ?? GATEWAY_GROUP })),
      conditions: mergeConditions(l.conditions, prev?.conditions, now, generation),
    };
  });
}

/**
 * The full status to write for one object. `current` is the server's status (may be undefined),
 * `computed` the translator's, `generation` the metadata.generation the translator saw.
 */
export function mergeStatus(kind: string, current: any, computed: Record<string, unknown>, controllerName: string, generation: number, now: string): Record<string, unknown> {
  const cur = (current ?? {}) as Record<string, any>;
  const comp = computed as Record<string, any>;
  if (kind === 'HTTPRoute' || kind === 'GRPCRoute' || kind === 'TLSRoute' || kind === 'TCPRoute' || kind === 'UDPRoute') {
    return { ...cur, ...comp, parents: mergeEntries('parentRef', comp.parents, cur.parents, controllerName, now, generation) };
  }
  if (kind === 'BackendTLSPolicy') {
    return { ...cur, ...comp, ancestors: mergeEntries('ancestorRef', comp.ancestors, cur.ancestors, controllerName, now, generation) };
  }
  // GatewayClass, Gateway, ListenerSet: the whole status is ours.
  const out: Record<string, any> = { ...comp, conditions: mergeConditions(comp.conditions, cur.conditions, now, generation) };
  if (comp.listeners) out.listeners = mergeListeners(comp.listeners, cur.listeners, now, generation);
  if (Array.isArray(comp.addresses)) out.addresses = comp.addresses.map((a: any) => ({ type: 'IPAddress', ...a }));
  return out;
}

/** The same status with our entries removed (a route that no longer names any of our parents). */
export function withoutOurEntries(kind: string, current: any, controllerName: string): Record<string, unknown> | undefined {
  const field = kind === 'BackendTLSPolicy' ? 'ancestors' : 'parents';
  const list = current?.[field] as Entry[] | undefined;
  if (!list?.some((e) => e.controllerName === controllerName)) return undefined;
  return { ...current, [field]: list.filter((e) => e.controllerName !== controllerName) };
}

/** Deep equality of JSON values, keys in any order (one implementation for the whole runtime). */
export { jsonEqual } from '../../runtime/json-equal.ts';
