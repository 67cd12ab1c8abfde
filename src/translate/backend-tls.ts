// BackendTLSPolicy: which policy applies to a Service port, whether it is valid, and the
// UpstreamTLS it yields. A policy with sectionName (the Service port name) beats one without;
// among policies with the same target the oldest wins and the others are Conflicted.
import type { UpstreamTLS } from '../ir/types.ts';
import type { BackendTLSPolicy } from '../resources/types.ts';
import { parseCABundle } from './certificates.ts';
import * as C from './conditions.ts';
import type { PolicyNode } from './graph.ts';
import type { Lookup } from './lookup.ts';
import { keyOf, sortByAge } from './meta.ts';
import { objects } from './sanitize.ts';

export interface PolicyIndex {
  /** Winning policy per `namespace/service#sectionName` (sectionName empty = whole Service). */
  byTarget: Map<string, PolicyNode>;
  /** Every policy targeting a Service (`namespace/name`), winners and losers: all get ancestors. */
  byService: Map<string, PolicyNode[]>;
  nodes: Map<BackendTLSPolicy, PolicyNode>;
  tls: Map<PolicyNode, UpstreamTLS | null>;
}

export function buildPolicyIndex(lookup: Lookup): PolicyIndex {
  const byTarget = new Map<string, PolicyNode>();
  const byService = new Map<string, PolicyNode[]>();
  const nodes = new Map<BackendTLSPolicy, PolicyNode>();
  const tls = new Map<PolicyNode, UpstreamTLS | null>();
  for (const obj of sortByAge(lookup.snapshot.backendTLSPolicies)) {
    const ns = obj.metadata.namespace ?? 'default';
    const node: PolicyNode = { obj, key: keyOf(obj), accepted: C.policyAccepted(), resolvedRefs: C.policyResolvedRefs(), ancestors: new Map() };
    nodes.set(obj, node);
    const verdict = validate(lookup, obj);
    tls.set(node, verdict.tls);
    if (verdict.accepted) node.accepted = verdict.accepted;
    if (verdict.resolvedRefs) node.resolvedRefs = verdict.resolvedRefs;
    for (const t of objects(obj.spec?.targetRefs)) {
      if ((t.group ?? '') !== '' || t.kind !== 'Service') continue;
      const svc = `${ns}/${t.name}`;
      const list = byService.get(svc) ?? [];
      if (!list.includes(node)) byService.set(svc, [...list, node]);
      const k = `${svc}#${t.sectionName ?? ''}`;
      const winner = byTarget.get(k);
      if (!winner) byTarget.set(k, node);
      else if (winner !== node && node.accepted.reason !== 'Conflicted') node.accepted = C.policyConflicted(winner.key);
    }
  }
  return { byTarget, byService, nodes, tls };
}

function validate(lookup: Lookup, p: BackendTLSPolicy): { tls: UpstreamTLS | null; accepted?: C.Cond; resolvedRefs?: C.Cond } {
  const v = p.spec?.validation;
  const ns = p.metadata.namespace ?? 'default';
  if (!v?.hostname) return { tls: null, accepted: C.policyInvalid('validation.hostname is required') };
  const sans = objects(v.subjectAltNames).map((s) => ({ type: s.type, value: (s.type === 'URI' ? s.uri : s.hostname) ?? '' }));
  const base: UpstreamTLS = { serverName: v.hostname, ...(sans.length > 0 ? { subjectAltNames: sans } : {}) };
  if (v.wellKnownCACertificates) {
    if (v.wellKnownCACertificates !== 'System') {
      return { tls: null, accepted: C.policyInvalid(`wellKnownCACertificates ${v.wellKnownCACertificates} is not supported (System is)`) };
    }
    return { tls: { ...base, wellKnown: 'System' } };
  }
  const refs = objects(v.caCertificateRefs);
  if (refs.length === 0) return { tls: null, accepted: C.policyInvalid('validation needs caCertificateRefs or wellKnownCACertificates') };
  const pems: string[] = [];
  for (const [i, ref] of refs.entries()) {
    const where = `validation.caCertificateRefs[${i}] (${ref.name})`;
    if ((ref.group ?? '') !== '' || ref.kind !== 'ConfigMap') {
      return {
        tls: null,
        accepted: C.policyNoValidCACertificate(`${where}: no usable CA certificate`),
        resolvedRefs: C.policyInvalidKind(`${where}: kind ${ref.group ? ref.group + '/' : ''}${ref.kind} is not supported (ConfigMap is)`),
      };
    }
    const cm = lookup.configMaps.get(`${ns}/${ref.name}`);
    const parsed = cm ? parseCABundle(cm) : { ok: false as const, problem: 'ConfigMap not found' };
    if (!parsed.ok) {
      return {
        tls: null,
        accepted: C.policyNoValidCACertificate(`${where}: no usable CA certificate`),
        resolvedRefs: C.policyInvalidCACertificateRef(`${where}: ${parsed.problem}`),
      };
    }
    pems.push(parsed.value.trim());
  }
  return { tls: { ...base, caPem: pems.join('\n') + '\n' } };
}

/** The policy that applies to a Service port (by port name), if any. */
export function policyFor(index: PolicyIndex, serviceKey: string, portName: string | undefined): PolicyNode | undefined {
  return (portName ? index.byTarget.get(`${serviceKey}#${portName}`) : undefined) ?? index.byTarget.get(`${serviceKey}#`);
}
