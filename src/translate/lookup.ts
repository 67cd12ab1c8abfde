// Indexes over a snapshot so every rule is a map lookup, not a scan: objects by namespace/name,
// EndpointSlices by Service, ReferenceGrants by namespace, routes by parent. Built once per
// translation; never mutated afterwards.
import type { Snapshot } from '../resources/snapshot.ts';
import type {
  ConfigMap,
  EndpointSlice,
  Gateway,
  ListenerSet,
  Namespace,
  ReferenceGrant,
  Secret,
  Service,
} from '../resources/types.ts';
import { keyOf, sortByAge, type HasMeta } from './meta.ts';

export interface Lookup {
  snapshot: Snapshot;
  namespaces: Map<string, Namespace>;
  services: Map<string, Service>;
  secrets: Map<string, Secret>;
  configMaps: Map<string, ConfigMap>;
  gateways: Map<string, Gateway>;
  listenerSets: Map<string, ListenerSet>;
  /** EndpointSlices by `namespace/service-name` (from the kubernetes.io/service-name label). */
  slicesByService: Map<string, EndpointSlice[]>;
  /** ReferenceGrants by the namespace they live in (the target namespace). */
  grantsByNamespace: Map<string, ReferenceGrant[]>;
}

function byKey<T extends HasMeta>(items: readonly T[]): Map<string, T> {
  const m = new Map<string, T>();
  // Oldest first so a duplicate (which a provider should not emit) resolves deterministically.
  for (const item of sortByAge(items)) if (!m.has(keyOf(item))) m.set(keyOf(item), item);
  return m;
}

function push<T>(m: Map<string, T[]>, k: string, v: T): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}

export function buildLookup(snapshot: Snapshot): Lookup {
  const slicesByService = new Map<string, EndpointSlice[]>();
  for (const slice of sortByAge(snapshot.endpointSlices)) {
    const svc = slice.metadata.labels?.['kubernetes.io/service-name'];
    if (svc) push(slicesByService, `${slice.metadata.namespace ?? 'default'}/${svc}`, slice);
  }
  const grantsByNamespace = new Map<string, ReferenceGrant[]>();
  for (const g of sortByAge(snapshot.referenceGrants)) push(grantsByNamespace, g.metadata.namespace ?? 'default', g);
  return {
    snapshot,
    namespaces: byKey(snapshot.namespaces),
    services: byKey(snapshot.services),
    secrets: byKey(snapshot.secrets),
    configMaps: byKey(snapshot.configMaps),
    gateways: byKey(snapshot.gateways),
    listenerSets: byKey(snapshot.listenerSets),
    slicesByService,
    grantsByNamespace,
  };
}

/**
 * Labels of a namespace. The API server adds `kubernetes.io/metadata.name` to every namespace;
 * we add it too, so selectors on it work in file mode and for namespaces with no object.
 */
export function namespaceLabels(lookup: Lookup, ns: string): Record<string, string> {
  const obj = lookup.namespaces.get(ns);
  return { ...(obj?.metadata.labels ?? {}), 'kubernetes.io/metadata.name': ns };
}
