// Validation of one object against what the API server enforces for its kind and apiVersion: the
// CRD schema and CEL rules for Gateway API kinds (one file per kind beside this one), the built-in
// validation for the core kinds. Defaults are not applied to the object; rules that depend on a
// defaulted field read the default themselves.
import type { Kind } from '../types.ts';
import { backendTLSPolicySchema } from './backend-tls-policy.ts';
import { checkValue } from './check.ts';
import { endpointSliceBody, endpointSliceRules } from './endpoint-slice.ts';
import { gatewayClassSchema } from './gateway-class.ts';
import { gatewaySchema } from './gateway.ts';
import { grpcRouteSchema } from './grpc-route.ts';
import { httpRouteSchema } from './http-route.ts';
import { tcpRouteSchema, tlsRouteSchema, udpRouteSchema } from './l4-routes.ts';
import { listenerSetSchema } from './listener-set.ts';
import { metadataSchema, type NameForm } from './metadata.ts';
import { referenceGrantSchema } from './reference-grant.ts';
import { list, obj, str, type ObjectSchema, type Problem, type Rule, type Schema } from './schema.ts';
import { configMapBody, configMapRules, secretBody, secretRules } from './secret.ts';
import { serviceSpecSchema } from './service.ts';

export type { Problem } from './schema.ts';

const anything = () => obj({}, { preserveUnknownFields: true });

function object(form: NameForm, body: Record<string, Schema>, required: string[], rules: Rule[] = []): ObjectSchema {
  return obj(
    // apiVersion and kind were checked when the kind was identified; status is the API server's
    // to write and is ignored on create.
    { apiVersion: str(), kind: str(), metadata: metadataSchema(form), status: anything(), ...body },
    { required: ['metadata', ...required], rules },
  );
}

const gatewayObject = (spec: ObjectSchema) => object('dns-subdomain', { spec }, ['spec']);

/** The version part of an apiVersion (`gateway.networking.k8s.io/v1alpha2` → `v1alpha2`). */
function versionOf(apiVersion: string): string {
  return apiVersion.slice(apiVersion.lastIndexOf('/') + 1);
}

const cache = new Map<string, ObjectSchema>();

/** The schema of a whole object of `kind` at `apiVersion` (assumed served: see kinds.ts). */
export function objectSchema(kind: Kind, apiVersion: string): ObjectSchema {
  const key = `${kind} ${apiVersion}`;
  let schema = cache.get(key);
  if (!schema) {
    schema = buildObjectSchema(kind, versionOf(apiVersion));
    cache.set(key, schema);
  }
  return schema;
}

function buildObjectSchema(kind: Kind, version: string): ObjectSchema {
  const legacy = version === 'v1alpha2';
  switch (kind) {
    case 'GatewayClass':
      return gatewayObject(gatewayClassSchema());
    case 'Gateway':
      return gatewayObject(gatewaySchema());
    case 'ListenerSet':
      return gatewayObject(listenerSetSchema());
    case 'HTTPRoute':
      return gatewayObject(httpRouteSchema());
    case 'GRPCRoute':
      return gatewayObject(grpcRouteSchema());
    case 'TLSRoute':
      return gatewayObject(tlsRouteSchema(legacy));
    case 'TCPRoute':
      return gatewayObject(tcpRouteSchema(legacy));
    case 'UDPRoute':
      return gatewayObject(udpRouteSchema(legacy));
    case 'ReferenceGrant':
      return gatewayObject(referenceGrantSchema());
    case 'BackendTLSPolicy':
      return gatewayObject(backendTLSPolicySchema());
    case 'Namespace':
      return object('dns-label', { spec: obj({ finalizers: list(str()) }) }, []);
    case 'Service':
      // A DNS label since Kubernetes relaxed Service names (KEP-5311; the API server we test
      // against, v1.37, accepts "1h"); older servers wanted a DNS-1035 label.
      return object('dns-label', { spec: serviceSpecSchema() }, ['spec']);
    case 'EndpointSlice':
      return object('dns-subdomain', endpointSliceBody(), ['addressType'], endpointSliceRules);
    case 'Secret':
      return object('dns-subdomain', secretBody(), [], secretRules);
    case 'ConfigMap':
      return object('dns-subdomain', configMapBody(), [], configMapRules);
  }
}

/** Every problem of `object` (a `kind` already identified), with field paths from its root. */
export function validateObject(kind: Kind, object: Record<string, unknown>): Problem[] {
  const problems: Problem[] = [];
  checkValue(objectSchema(kind, typeof object['apiVersion'] === 'string' ? object['apiVersion'] : ''), object, '', problems);
  return problems;
}
