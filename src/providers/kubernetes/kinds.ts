// The kinds the kubernetes provider watches: where each lives in the API and which snapshot field
// holds it. Versions are tried in order; the first one the server serves wins, so clusters with an
// older Gateway API release (v1alpha2 TCPRoute, v1beta1 ReferenceGrant) still work.
import type { Snapshot } from '../../resources/snapshot.ts';
import { SNAPSHOT_FIELD } from '../../resources/snapshot.ts';

export type WatchedKind = keyof typeof SNAPSHOT_FIELD;

export interface KindInfo {
  kind: WatchedKind;
  /** '' for the core group. */
  group: string;
  versions: readonly string[];
  plural: string;
  namespaced: boolean;
  field: keyof Snapshot;
  /** Wicket writes this kind's status subresource. */
  hasStatus: boolean;
  /** A kind that is optional in a cluster (a CRD may not be installed). */
  optional: boolean;
  /** Server-side filter for list and watch, for kinds with bulky objects we never read. */
  fieldSelector?: string;
}

const GW = 'gateway.networking.k8s.io';

function gw(kind: WatchedKind, plural: string, versions: string[], namespaced = true): KindInfo {
  return { kind, group: GW, versions, plural, namespaced, field: SNAPSHOT_FIELD[kind], hasStatus: kind !== 'ReferenceGrant', optional: true };
}

function core(kind: WatchedKind, group: string, version: string, plural: string, namespaced = true): KindInfo {
  return { kind, group, versions: [version], plural, namespaced, field: SNAPSHOT_FIELD[kind], hasStatus: false, optional: false };
}

export const KINDS: readonly KindInfo[] = [
  gw('GatewayClass', 'gatewayclasses', ['v1', 'v1beta1'], false),
  gw('Gateway', 'gateways', ['v1', 'v1beta1']),
  gw('ListenerSet', 'listenersets', ['v1']),
  gw('HTTPRoute', 'httproutes', ['v1', 'v1beta1']),
  gw('GRPCRoute', 'grpcroutes', ['v1']),
  gw('TLSRoute', 'tlsroutes', ['v1', 'v1alpha3', 'v1alpha2']),
  gw('TCPRoute', 'tcproutes', ['v1', 'v1alpha2']),
  gw('UDPRoute', 'udproutes', ['v1', 'v1alpha2']),
  gw('ReferenceGrant', 'referencegrants', ['v1', 'v1beta1']),
  gw('BackendTLSPolicy', 'backendtlspolicies', ['v1', 'v1alpha3']),
  core('Namespace', '', 'v1', 'namespaces', false),
  core('Service', '', 'v1', 'services'),
  core('EndpointSlice', 'discovery.k8s.io', 'v1', 'endpointslices'),
  // Helm keeps every release in a Secret (often hundreds of kB each); no Gateway references one.
  { ...core('Secret', '', 'v1', 'secrets'), fieldSelector: 'type!=helm.sh/release.v1' },
  core('ConfigMap', '', 'v1', 'configmaps'),
];

export function kindInfo(kind: string): KindInfo | undefined {
  return KINDS.find((k) => k.kind === kind);
}

/** `/api/v1` or `/apis/<group>/<version>`. */
export function groupVersionPath(group: string, version: string): string {
  return group === '' ? `/api/${version}` : `/apis/${group}/${version}`;
}

export function apiVersionOf(group: string, version: string): string {
  return group === '' ? version : `${group}/${version}`;
}

/** Path of the collection across all namespaces (for list and watch). */
export function collectionPath(info: KindInfo, version: string): string {
  return `${groupVersionPath(info.group, version)}/${info.plural}`;
}

/** Path of one object. */
export function objectPath(info: KindInfo, version: string, name: string, namespace?: string): string {
  const ns = info.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${groupVersionPath(info.group, version)}${ns}/${info.plural}/${encodeURIComponent(name)}`;
}
