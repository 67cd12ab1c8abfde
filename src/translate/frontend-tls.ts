// Gateway spec.tls.frontend: client certificate validation on HTTPS listeners. The entry in
// perPort for the listener's port wins over `default`. CA bundles come from ConfigMaps (`ca.crt`);
// a reference into another namespace needs a ReferenceGrant from the Gateway. Some refs invalid →
// ResolvedRefs=False; all invalid → also Accepted=False NoValidCACertificate.
import type { TLSConfig } from '../resources/types.ts';
import { GATEWAY_GROUP } from '../resources/types.ts';
import { parseCABundle } from './certificates.ts';
import * as C from './conditions.ts';
import type { GatewayNode, ListenerNode } from './graph.ts';
import type { Lookup } from './lookup.ts';
import { referenceAllowed } from './reference-grants.ts';
import { objects } from './sanitize.ts';

export function applyFrontendValidation(lookup: Lookup, gw: GatewayNode): void {
  const frontend = gw.obj.spec.tls?.frontend;
  if (!frontend) return;
  let insecure = false;
  for (const l of gw.listeners) {
    if (l.protocol !== 'HTTPS' || l.acceptedCond) continue;
    const cfg: TLSConfig | undefined = objects(frontend.perPort).find((p) => p.port === l.spec.port)?.tls ?? frontend.default;
    const v = cfg?.validation;
    if (!v) continue;
    const mode = v.mode ?? 'AllowValidOnly';
    if (mode === 'AllowInsecureFallback') insecure = true;
    resolveCAs(lookup, gw, l, objects(v.caCertificateRefs), mode);
  }
  if (insecure) {
    gw.insecureFrontend = C.gatewayInsecureFrontendValidation();
  }
}

function resolveCAs(
  lookup: Lookup,
  gw: GatewayNode,
  l: ListenerNode,
  refs: NonNullable<TLSConfig['validation']>['caCertificateRefs'],
  mode: 'AllowValidOnly' | 'AllowInsecureFallback',
): void {
  const gwNs = gw.obj.metadata.namespace ?? 'default';
  const pems: string[] = [];
  let problem: C.Cond | undefined;
  for (const [i, ref] of refs.entries()) {
    const ns = ref.namespace ?? gwNs;
    const where = `spec.tls.frontend caCertificateRefs[${i}] (${ns}/${ref.name})`;
    let p: C.Cond | undefined;
    if ((ref.group ?? '') !== '' || ref.kind !== 'ConfigMap') {
      p = C.listenerInvalidCACertificateKind(`${where}: ${ref.group ? ref.group + '/' : ''}${ref.kind} is not supported (ConfigMap is)`);
    } else if (!referenceAllowed(lookup, { group: GATEWAY_GROUP, kind: 'Gateway', namespace: gwNs }, { group: '', kind: 'ConfigMap', namespace: ns, name: ref.name })) {
      p = C.listenerRefNotPermitted(`${where}: no ReferenceGrant in ${ns} allows it`);
    } else {
      const cm = lookup.configMaps.get(`${ns}/${ref.name}`);
      const parsed = cm ? parseCABundle(cm) : { ok: false as const, problem: 'ConfigMap not found' };
      if (parsed.ok) pems.push(parsed.value.trim());
      else p = C.listenerInvalidCACertificateRef(`${where}: ${parsed.problem}`);
    }
    problem ??= p;
  }
  if (problem) {
    const r = l.resolvedRefsCond;
    if (!r || r.status === 'True' || r.reason === 'InvalidRouteKinds') l.resolvedRefsCond = problem;
  }
  if (pems.length === 0) {
    l.acceptedCond = C.listenerNoValidCACertificate(`No usable CA certificate for client validation${problem ? `: ${problem.message}` : ''}`);
    return;
  }
  l.clientValidation = { caPem: pems.join('\n') + '\n', mode };
}
