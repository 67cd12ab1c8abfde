// The kinds Wicket reads, with the apiVersions under which each is accepted and its scope. The
// Gateway API versions are those the experimental-channel CRDs of v1.6 mark `served: true`.
import { ErrorCodes } from '../errors.ts';
import type { Diagnostic } from './diagnostic.ts';
import type { Kind } from './types.ts';

export interface KindInfo {
  kind: Kind;
  /** Every apiVersion accepted for this kind, the preferred one first. */
  apiVersions: readonly string[];
  namespaced: boolean;
}

const GW = 'gateway.networking.k8s.io';

function info(kind: Kind, apiVersions: string[], namespaced = true): KindInfo {
  return { kind, apiVersions, namespaced };
}

export const KINDS: Readonly<Record<Kind, KindInfo>> = {
  GatewayClass: info('GatewayClass', [`${GW}/v1`, `${GW}/v1beta1`], false),
  Gateway: info('Gateway', [`${GW}/v1`, `${GW}/v1beta1`]),
  ListenerSet: info('ListenerSet', [`${GW}/v1`]),
  HTTPRoute: info('HTTPRoute', [`${GW}/v1`, `${GW}/v1beta1`]),
  GRPCRoute: info('GRPCRoute', [`${GW}/v1`]),
  TLSRoute: info('TLSRoute', [`${GW}/v1`, `${GW}/v1alpha2`, `${GW}/v1alpha3`]),
  TCPRoute: info('TCPRoute', [`${GW}/v1`, `${GW}/v1alpha2`]),
  UDPRoute: info('UDPRoute', [`${GW}/v1`, `${GW}/v1alpha2`]),
  ReferenceGrant: info('ReferenceGrant', [`${GW}/v1`, `${GW}/v1beta1`]),
  BackendTLSPolicy: info('BackendTLSPolicy', [`${GW}/v1`, `${GW}/v1alpha3`]),
  Namespace: info('Namespace', ['v1'], false),
  Service: info('Service', ['v1']),
  Secret: info('Secret', ['v1']),
  ConfigMap: info('ConfigMap', ['v1']),
  EndpointSlice: info('EndpointSlice', ['discovery.k8s.io/v1']),
};

export function isKnownKind(kind: unknown): kind is Kind {
  return typeof kind === 'string' && Object.hasOwn(KINDS, kind);
}

/**
 * The kind's description when `apiVersion`/`kind` name one Wicket reads; otherwise a diagnostic
 * (without position: the caller adds it) naming what is accepted.
 */
export function identifyKind(apiVersion: unknown, kind: unknown): KindInfo | Omit<Diagnostic, 'file' | 'line'> {
  if (typeof kind !== 'string' || kind === '') {
    return { code: ErrorCodes.UNKNOWN_KIND, field: 'kind', message: 'is required' };
  }
  if (!isKnownKind(kind)) {
    return {
      code: ErrorCodes.UNKNOWN_KIND,
      kind,
      field: 'kind',
      message: `unknown kind ${JSON.stringify(kind)}: Wicket reads ${Object.keys(KINDS).join(', ')}`,
    };
  }
  const known = KINDS[kind];
  if (typeof apiVersion !== 'string' || !known.apiVersions.includes(apiVersion)) {
    const what = typeof apiVersion === 'string' && apiVersion !== '' ? `${JSON.stringify(apiVersion)} is not served for ${kind}` : 'is required';
    return {
      code: ErrorCodes.UNKNOWN_KIND,
      kind,
      field: 'apiVersion',
      message: `${what} (accepted: ${known.apiVersions.join(', ')})`,
    };
  }
  return known;
}
