// Pure: the kubernetes provider's informer caches → a Snapshot. Keeps every Gateway API object and
// Namespace, and only the Secrets, ConfigMaps, Services and EndpointSlices something references, so
// churn in unrelated core objects never produces a new snapshot. A fingerprint that ignores status
// and bookkeeping metadata tells whether two snapshots differ in anything the translator reads.
import type { Snapshot } from '../../resources/snapshot.ts';
import { emptySnapshot } from '../../resources/snapshot.ts';
import type { BackendObjectReference, Gateway, ListenerSet, ObjectMeta, RouteObject } from '../../resources/types.ts';
import type { WatchedKind } from './kinds.ts';
import { KINDS } from './kinds.ts';

export type KindCaches = Partial<Record<WatchedKind, readonly any[]>>;

export interface Refs {
  secrets: Set<string>;
  configMaps: Set<string>;
  services: Set<string>;
}

/** `namespace/name` of a referenced object (`/name` when cluster-scoped): the key of the reference sets. */
export const refKey = (ns: string | undefined, name: string) => `${ns ?? ''}/${name}`;

export function byNamespaceName(a: { metadata: ObjectMeta }, b: { metadata: ObjectMeta }): number {
  const an = a.metadata.namespace ?? '';
  const bn = b.metadata.namespace ?? '';
  if (an !== bn) return an < bn ? -1 : 1;
  return a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0;
}

/** A core-group reference of the given kind (group '' or absent, kind defaulting to `defaultKind`). */
function isCore(ref: { group?: string; kind?: string }, kind: string, defaultKind: string): boolean {
  return (ref.group ?? '') === '' && (ref.kind ?? defaultKind) === kind;
}

function addCertRefs(refs: Refs, ns: string | undefined, list: { group?: string; kind?: string; name: string; namespace?: string }[] | undefined, defaultKind: string): void {
  for (const r of list ?? []) {
    if (!r?.name) continue;
    const k = refKey(r.namespace ?? ns, r.name);
    if (isCore(r, 'Secret', defaultKind)) refs.secrets.add(k);
    else if (isCore(r, 'ConfigMap', defaultKind)) refs.configMaps.add(k);
  }
}

function addListenerRefs(refs: Refs, ns: string | undefined, listeners: { tls?: { certificateRefs?: any[] } }[] | undefined): void {
  for (const l of listeners ?? []) addCertRefs(refs, ns, l?.tls?.certificateRefs, 'Secret');
}

function addBackend(refs: Refs, ns: string | undefined, ref: BackendObjectReference | undefined): void {
  if (ref?.name && isCore(ref, 'Service', 'Service')) refs.services.add(refKey(ref.namespace ?? ns, ref.name));
}

function addFilterBackends(refs: Refs, ns: string | undefined, filters: any[] | undefined): void {
  for (const f of filters ?? []) {
    addBackend(refs, ns, f?.requestMirror?.backendRef);
    addBackend(refs, ns, f?.externalAuth?.backendRef);
  }
}

/** What the Gateway API objects reference: the core objects worth keeping. */
export function referencedObjects(s: Snapshot, controllerName: string): Refs {
  const refs: Refs = { secrets: new Set(), configMaps: new Set(), services: new Set() };
  const ourClasses = new Set(s.gatewayClasses.filter((c) => c.spec?.controllerName === controllerName).map((c) => c.metadata.name));
  for (const c of s.gatewayClasses) {
    const p = c.spec?.parametersRef;
    if (p && ourClasses.has(c.metadata.name)) addCertRefs(refs, p.namespace, [p], '');
  }
  const ourGateways = new Set<string>();
  for (const g of s.gateways as Gateway[]) {
    if (!ourClasses.has(g.spec?.gatewayClassName)) continue;
    const ns = g.metadata.namespace;
    ourGateways.add(refKey(ns, g.metadata.name));
    addListenerRefs(refs, ns, g.spec.listeners);
    const params = g.spec.infrastructure?.parametersRef;
    if (params) addCertRefs(refs, ns, [params], '');
    const tls = g.spec.tls;
    addCertRefs(refs, ns, tls?.backend?.clientCertificateRef ? [tls.backend.clientCertificateRef] : [], 'Secret');
    addCertRefs(refs, ns, tls?.frontend?.default?.validation?.caCertificateRefs, 'ConfigMap');
    for (const p of tls?.frontend?.perPort ?? []) addCertRefs(refs, ns, p?.tls?.validation?.caCertificateRefs, 'ConfigMap');
  }
  for (const ls of s.listenerSets as ListenerSet[]) {
    const ns = ls.metadata.namespace;
    const parent = ls.spec?.parentRef;
    if (parent && ourGateways.has(refKey(parent.namespace ?? ns, parent.name))) addListenerRefs(refs, ns, ls.spec.listeners);
  }
  const routes: RouteObject[] = [...s.httpRoutes, ...s.grpcRoutes, ...s.tlsRoutes, ...s.tcpRoutes, ...s.udpRoutes];
  for (const r of routes) for (const k of routeServices(r)) refs.services.add(k);
  addPolicyRefs(refs, s);
  return refs;
}

const routeServiceCache = new WeakMap<object, string[]>();

/** The Services a route refers to (backends, mirrors, external auth), cached by object identity. */
export function routeServices(r: RouteObject): string[] {
  let out = routeServiceCache.get(r);
  if (out !== undefined) return out;
  const refs: Refs = { secrets: new Set(), configMaps: new Set(), services: new Set() };
  const ns = r.metadata.namespace;
  for (const rule of (r.spec?.rules ?? []) as any[]) {
    addFilterBackends(refs, ns, rule?.filters);
    for (const b of rule?.backendRefs ?? []) {
      addBackend(refs, ns, b);
      addFilterBackends(refs, ns, b?.filters);
    }
  }
  out = [...refs.services];
  routeServiceCache.set(r, out);
  return out;
}

/** What everything but routes references (GatewayClasses, Gateways, ListenerSets, BackendTLSPolicies). */
export function referencedByNonRoutes(s: Snapshot, controllerName: string): Refs {
  return referencedObjects({ ...s, httpRoutes: [], grpcRoutes: [], tlsRoutes: [], tcpRoutes: [], udpRoutes: [] }, controllerName);
}

function addPolicyRefs(refs: Refs, s: Snapshot): void {
  for (const p of s.backendTLSPolicies) {
    const ns = p.metadata.namespace;
    for (const t of p.spec?.targetRefs ?? []) if (t?.name && isCore(t, 'Service', 'Service')) refs.services.add(refKey(ns, t.name));
    addCertRefs(refs, ns, p.spec?.validation?.caCertificateRefs, 'ConfigMap');
  }
}

/** Builds the snapshot from complete caches: sorted, with unreferenced core objects left out. */
export function assembleSnapshot(caches: KindCaches, controllerName: string): Snapshot {
  const s = emptySnapshot() as unknown as Record<keyof Snapshot, any[]>;
  for (const info of KINDS) s[info.field] = [...(caches[info.kind] ?? [])].sort(byNamespaceName);
  const snap = s as unknown as Snapshot;
  const refs = referencedObjects(snap, controllerName);
  const has = (set: Set<string>) => (o: { metadata: ObjectMeta }) => set.has(refKey(o.metadata.namespace, o.metadata.name));
  snap.secrets = snap.secrets.filter(has(refs.secrets));
  snap.configMaps = snap.configMaps.filter(has(refs.configMaps));
  snap.services = snap.services.filter(has(refs.services));
  snap.endpointSlices = snap.endpointSlices.filter((e) => {
    const svc = e.metadata.labels?.['kubernetes.io/service-name'];
    return svc !== undefined && refs.services.has(refKey(e.metadata.namespace, svc));
  });
  return snap;
}

// Per-object fingerprints, cached by identity: the caches replace an object on every change, so a
// given object's fingerprint never goes stale.
const objectPrints = new WeakMap<object, string>();

/**
 * An object's translation inputs as a string: everything but status and bookkeeping metadata.
 * Status is ours (or another controller's) to write and is not an input to translation;
 * resourceVersion and managedFields move with every write, including our own status writes.
 */
export function inputPrint(obj: any): string {
  let p = objectPrints.get(obj);
  if (p === undefined) {
    const { status: _status, metadata, ...rest } = obj;
    const { resourceVersion: _rv, managedFields: _mf, ...meta } = metadata ?? {};
    p = JSON.stringify({ ...rest, metadata: meta });
    objectPrints.set(obj, p);
  }
  return p;
}

/** Equal for two snapshots that differ only in status and bookkeeping metadata. */
export function snapshotFingerprint(s: Snapshot): string {
  const parts: string[] = [];
  for (const info of KINDS) {
    parts.push(`#${info.kind}`);
    for (const o of s[info.field] as unknown as object[]) parts.push(inputPrint(o));
  }
  return parts.join('\n');
}

/**
 * The same test as comparing fingerprints, without building them: object by object, by identity
 * first (the caches keep an object until it changes), by inputPrint only where identities differ.
 * At 5,000 routes this is a pointer walk instead of joining and comparing megabytes of JSON.
 */
export function sameInputs(a: Snapshot, b: Snapshot): boolean {
  for (const info of KINDS) {
    const x = a[info.field] as unknown as object[];
    const y = b[info.field] as unknown as object[];
    if (x.length !== y.length) return false;
    if (x === y) continue; // a kind's list is shared by snapshots while the kind is unchanged
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i] && inputPrint(x[i]) !== inputPrint(y[i])) return false;
  }
  return true;
}
