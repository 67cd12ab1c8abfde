// Listener validation on its own (conflicts between listeners live in conflicts.ts): protocol,
// hostname, TLS mode and certificateRefs, and allowedRoutes kinds → supportedKinds.
import type { Listener, RouteGroupKind } from '../resources/types.ts';
import { GATEWAY_GROUP } from '../resources/types.ts';
import { parseTLSSecret } from './certificates.ts';
import * as C from './conditions.ts';
import type { GatewayNode, ListenerNode, ListenerOwner } from './graph.ts';
import { validHostname } from './hostnames.ts';
import type { Lookup } from './lookup.ts';
import { referenceAllowed } from './reference-grants.ts';
import { objects } from './sanitize.ts';

type Protocol = NonNullable<ListenerNode['protocol']>;
const PROTOCOLS: readonly Protocol[] = ['HTTP', 'HTTPS', 'TLS', 'TCP', 'UDP'];

/** Route kinds each protocol can carry, in the order reported when allowedRoutes.kinds is unset. */
const KINDS_FOR: Record<Protocol, string[]> = {
  HTTP: ['HTTPRoute', 'GRPCRoute'],
  HTTPS: ['HTTPRoute', 'GRPCRoute'],
  TLS: ['TLSRoute'],
  TCP: ['TCPRoute'],
  UDP: ['UDPRoute'],
};

export function buildListener(
  lookup: Lookup,
  spec: Listener,
  owner: ListenerOwner,
  gateway: GatewayNode,
): ListenerNode {
  const ownerObj = owner.node.obj;
  const namespace = ownerObj.metadata.namespace ?? 'default';
  const node: ListenerNode = {
    spec,
    owner,
    gateway,
    name: `${namespace}/${ownerObj.metadata.name}/${spec.name}`,
    namespace,
    protocol: null,
    hostname: spec.hostname ? String(spec.hostname).toLowerCase() : undefined,
    supportedKinds: [],
    certificates: [],
    attached: [],
    programmed: false,
  };
  const protocol = PROTOCOLS.find((p) => p === spec.protocol);
  if (!protocol) {
    node.acceptedCond = C.listenerUnsupportedProtocol(String(spec.protocol));
    node.resolvedRefsCond = C.listenerResolvedRefs();
    return node;
  }
  node.protocol = protocol;
  if (protocol === 'TCP' || protocol === 'UDP') node.hostname = undefined; // not used for matching

  const kinds = supportedKinds(spec, protocol);
  node.supportedKinds = kinds.valid;
  const problems: C.Cond[] = [];
  if (kinds.invalid.length > 0) problems.push(C.listenerInvalidRouteKinds(kinds.invalid));

  if (node.hostname !== undefined && !validHostname(node.hostname)) {
    node.acceptedCond = C.listenerUnsupportedValue(`hostname ${JSON.stringify(spec.hostname)} is not a valid DNS name or wildcard`);
  } else if (!(spec.port >= 1 && spec.port <= 65535)) {
    node.acceptedCond = C.listenerUnsupportedValue(`port ${spec.port} is out of range 1-65535`);
  }

  const tlsProblem = checkTLS(lookup, spec, protocol, owner, namespace, node);
  if (tlsProblem?.type === 'Accepted') node.acceptedCond ??= tlsProblem;
  else if (tlsProblem) {
    node.certProblem = tlsProblem;
    problems.unshift(tlsProblem);
  }
  node.resolvedRefsCond = problems[0] ?? C.listenerResolvedRefs();
  return node;
}

function supportedKinds(spec: Listener, protocol: Protocol): { valid: RouteGroupKind[]; invalid: string[] } {
  const allowed = KINDS_FOR[protocol];
  const given = spec.allowedRoutes?.kinds;
  if (!given || given.length === 0) {
    return { valid: allowed.map((kind) => ({ group: GATEWAY_GROUP, kind })), invalid: [] };
  }
  const valid: RouteGroupKind[] = [];
  const invalid: string[] = [];
  for (const k of objects(given)) {
    const group = k.group ?? GATEWAY_GROUP;
    if (group === GATEWAY_GROUP && allowed.includes(k.kind)) {
      if (!valid.some((v) => v.kind === k.kind)) valid.push({ group, kind: k.kind });
    } else {
      invalid.push(group === GATEWAY_GROUP ? k.kind : `${group}/${k.kind}`);
    }
  }
  return { valid, invalid };
}

/** Checks the listener's tls block; fills node.certificates and node.tlsMode. */
function checkTLS(
  lookup: Lookup,
  spec: Listener,
  protocol: Protocol,
  owner: ListenerOwner,
  namespace: string,
  node: ListenerNode,
): C.Cond | undefined {
  const tls = spec.tls;
  if (protocol === 'HTTP' || protocol === 'TCP' || protocol === 'UDP') {
    return tls ? C.listenerUnsupportedValue(`tls must not be set on ${protocol} listeners`) : undefined;
  }
  const mode = tls?.mode ?? 'Terminate';
  node.tlsMode = mode;
  if (mode === 'Passthrough') {
    if (protocol === 'HTTPS') return C.listenerUnsupportedValue('tls.mode Passthrough is not allowed on an HTTPS listener');
    return undefined;
  }
  const refs = objects(tls?.certificateRefs);
  if (refs.length === 0) return C.listenerInvalidCertificateRef('tls.certificateRefs is empty: a Terminate listener needs a certificate');
  let problem: C.Cond | undefined;
  for (const [i, ref] of refs.entries()) {
    const group = ref.group ?? '';
    const kind = ref.kind ?? 'Secret';
    const ns = ref.namespace ?? namespace;
    const where = `tls.certificateRefs[${i}] (${ns}/${ref.name})`;
    let p: C.Cond | undefined;
    if (group !== '' || kind !== 'Secret') {
      p = C.listenerInvalidCertificateRef(`${where}: ${group ? group + '/' : ''}${kind} is not a supported kind (core Secret is)`);
    } else if (
      !referenceAllowed(
        lookup,
        { group: GATEWAY_GROUP, kind: owner.kind, namespace },
        { group: '', kind: 'Secret', namespace: ns, name: ref.name },
      )
    ) {
      p = C.listenerRefNotPermitted(`${where}: no ReferenceGrant in ${ns} allows ${owner.kind}s in ${namespace} to use it`);
    } else {
      const secret = lookup.secrets.get(`${ns}/${ref.name}`);
      if (!secret) p = C.listenerInvalidCertificateRef(`${where}: Secret not found`);
      else {
        const parsed = parseTLSSecret(secret);
        if (parsed.ok) node.certificates.push(parsed.value);
        else p = C.listenerInvalidCertificateRef(`${where}: ${parsed.problem}`);
      }
    }
    problem ??= p;
  }
  return problem;
}

/**
 * True when the listener's references resolve well enough to serve: its certificates. (Invalid
 * route kinds only narrow supportedKinds; a partly invalid client CA list still validates with
 * the CAs that resolve.)
 */
export function listenerRefsUsable(l: ListenerNode): boolean {
  return !l.certProblem;
}
