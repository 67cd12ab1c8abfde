// Gateways of our classes: class, addresses, parametersRef, backend client certificate, own
// listeners. ListenerSets are merged in by listener-sets.ts; finalizeGateway() then resolves
// conflicts and socket availability and decides the Gateway's conditions.
import type { Gateway } from '../resources/types.ts';
import { GATEWAY_GROUP } from '../resources/types.ts';
import { gatewayAddresses, socketName } from './addresses.ts';
import type { TranslateOptions } from './api.ts';
import { parseClientCertificate } from './certificates.ts';
import * as C from './conditions.ts';
import { markConflicts } from './conflicts.ts';
import { applyFrontendValidation } from './frontend-tls.ts';
import type { ClassNode, GatewayNode, ListenerNode } from './graph.ts';
import { buildListener, listenerRefsUsable } from './listeners.ts';
import type { Lookup } from './lookup.ts';
import { compareByName, keyOf } from './meta.ts';
import { referenceAllowed } from './reference-grants.ts';
import { objects } from './sanitize.ts';

export function buildGateways(lookup: Lookup, classes: Map<string, ClassNode>, options: TranslateOptions): GatewayNode[] {
  const out: GatewayNode[] = [];
  for (const obj of [...lookup.snapshot.gateways].sort(compareByName)) {
    const cls = classes.get(obj.spec?.gatewayClassName);
    if (!cls) continue;
    out.push(guardedGateway(lookup, obj, cls, options));
  }
  return out;
}

/**
 * A Gateway whose spec cannot be read (wrong types a schema check would have caught) is reported
 * as not accepted, with the reason, instead of failing the whole translation.
 */
function guardedGateway(lookup: Lookup, obj: Gateway, cls: ClassNode, options: TranslateOptions): GatewayNode {
  try {
    return buildGateway(lookup, obj, cls, options);
  } catch (err) {
    return { ...emptyGatewayNode(obj, cls), rejected: C.gatewayUnreadable((err as Error).message) };
  }
}

/** A Gateway's node before its addresses and listeners are read: not accepted, nothing attached. */
function emptyGatewayNode(obj: Gateway, cls: ClassNode): GatewayNode {
  return { obj, key: keyOf(obj), cls, addresses: [], listeners: [], listenerSets: [], accepted: false, conditions: [] };
}

function buildGateway(lookup: Lookup, obj: Gateway, cls: ClassNode, options: TranslateOptions): GatewayNode {
  const node = emptyGatewayNode(obj, cls);
  const addr = gatewayAddresses(obj, options);
  node.addresses = addr.addresses;
  if (!cls.accepted) node.rejected = C.gatewayClassNotAccepted(cls.obj.metadata.name);
  else if (addr.rejected) node.rejected = addr.rejected;
  else node.rejected = parametersProblem(lookup, obj);
  node.notProgrammed = addr.notUsable;
  checkClientCertificate(lookup, node);
  for (const l of objects(obj.spec.listeners)) node.listeners.push(buildListener(lookup, l, { kind: 'Gateway', node }, node));
  return node;
}

function parametersProblem(lookup: Lookup, gw: Gateway): C.Cond | undefined {
  const ref = gw.spec.infrastructure?.parametersRef;
  if (!ref) return undefined;
  // The only parameters object Wicket can read is a ConfigMap (it has nothing to configure yet).
  if ((ref.group ?? '') === '' && ref.kind === 'ConfigMap') {
    if (lookup.configMaps.has(`${gw.metadata.namespace ?? 'default'}/${ref.name}`)) return undefined;
    return C.gatewayInvalidParameters(`ConfigMap ${ref.name} not found`);
  }
  return C.gatewayInvalidParameters(`${ref.group ? ref.group + '/' : ''}${ref.kind} is not a parameters kind Wicket reads`);
}

function checkClientCertificate(lookup: Lookup, node: GatewayNode): void {
  const ref = node.obj.spec.tls?.backend?.clientCertificateRef;
  if (!ref) return;
  const gwNs = node.obj.metadata.namespace ?? 'default';
  const ns = ref.namespace ?? gwNs;
  const where = `spec.tls.backend.clientCertificateRef (${ns}/${ref.name})`;
  if ((ref.group ?? '') !== '' || (ref.kind ?? 'Secret') !== 'Secret') {
    node.resolvedRefs = C.gatewayInvalidClientCertificateRef(`${where}: only core Secrets are supported`);
    return;
  }
  if (!referenceAllowed(lookup, { group: GATEWAY_GROUP, kind: 'Gateway', namespace: gwNs }, { group: '', kind: 'Secret', namespace: ns, name: ref.name })) {
    node.resolvedRefs = C.gatewayRefNotPermitted(`${where}: no ReferenceGrant in ${ns} allows it`);
    return;
  }
  const secret = lookup.secrets.get(`${ns}/${ref.name}`);
  const parsed = secret ? parseClientCertificate(secret) : { ok: false as const, problem: 'Secret not found' };
  if (!parsed.ok) {
    node.resolvedRefs = C.gatewayInvalidClientCertificateRef(`${where}: ${parsed.problem}`);
    return;
  }
  node.clientCertificate = parsed.value;
  node.resolvedRefs = C.gatewayResolvedRefs();
}

const transportOf = (l: ListenerNode) => (l.protocol === 'UDP' ? 'udp' : 'tcp');

/**
 * Sockets a listener binds: one per Gateway address, `address:port/tcp|udp` (IPv6 in brackets;
 * options.unavailableSockets is read in both spellings).
 */
export function listenerSockets(l: ListenerNode): string[] {
  return l.gateway.addresses.map((a) => socketName(a, l.spec.port, transportOf(l)));
}

const SOCKET_KIND: Record<string, string> = { HTTP: 'http', HTTPS: 'tls', TLS: 'tls', TCP: 'tcp', UDP: 'udp' };

/**
 * Sockets claimed so far across Gateways (socket → the claiming listener). Gateways are finalized
 * oldest first, so an older Gateway keeps a socket a newer one wants for another kind of traffic.
 */
export type SocketClaims = Map<string, ListenerNode>;

/** Conflicts, socket availability, listener programming and the Gateway's own conditions. */
export function finalizeGateway(lookup: Lookup, node: GatewayNode, options: TranslateOptions, claims: SocketClaims = new Map()): void {
  applyFrontendValidation(lookup, node);
  markConflicts(node.listeners);
  const unavailable = options.unavailableSockets ?? {};
  for (const l of node.listeners) {
    if (l.protocol === null || l.acceptedCond || l.conflictedCond) continue;
    const sockets = listenerSockets(l);
    const bad = l.gateway.addresses
      .map((a) => [socketName(a, l.spec.port, transportOf(l)), `${a}:${l.spec.port}/${transportOf(l)}`] as const)
      .find(([bracketed, plain]) => unavailable[bracketed] !== undefined || unavailable[plain] !== undefined);
    if (bad) {
      l.acceptedCond = C.listenerPortUnavailable(bad[0], unavailable[bad[0]] ?? unavailable[bad[1]]!);
      continue;
    }
    // Another Gateway on the same socket must carry the same kind of traffic (HTTP with HTTP,
    // HTTPS/TLS with HTTPS/TLS); TCP and UDP sockets cannot be shared at all.
    const taken = sockets.map((s) => [s, claims.get(s)] as const).find(
      ([, other]) => other && other.gateway !== node && (SOCKET_KIND[other.protocol!] !== SOCKET_KIND[l.protocol!] || l.protocol === 'TCP' || l.protocol === 'UDP'),
    );
    if (taken) {
      l.acceptedCond = C.listenerPortUnavailable(taken[0], `already used by listener ${taken[1]!.name}`);
      continue;
    }
    if (!node.rejected && !node.notProgrammed && listenerRefsUsable(l)) for (const s of sockets) if (!claims.has(s)) claims.set(s, l);
  }
  const ownInvalid: string[] = [];
  let ownValid = 0;
  for (const l of node.listeners) {
    const usable = !l.acceptedCond && !l.conflictedCond && listenerRefsUsable(l);
    l.programmed = usable && !node.rejected && !node.notProgrammed;
    if (l.owner.kind !== 'Gateway') continue;
    if (usable) ownValid++;
    else ownInvalid.push(l.spec.name);
  }
  const accepted = node.rejected
    ? node.rejected
    : ownValid === 0 && ownInvalid.length > 0
      ? C.gatewayNoValidListeners(ownInvalid)
      : ownInvalid.length > 0
        ? C.gatewaySomeListenersInvalid(ownInvalid)
        : C.gatewayAccepted();
  node.accepted = accepted.status === 'True';
  if (!node.accepted) for (const l of node.listeners) l.programmed = false;
  const programmed = !node.accepted
    ? C.gatewayNotProgrammedInvalid('Gateway is not accepted')
    : (node.notProgrammed ?? C.gatewayProgrammed(node.addresses));
  node.conditions = [accepted, programmed];
  if (node.resolvedRefs) node.conditions.push(node.resolvedRefs);
  if (node.insecureFrontend) node.conditions.push(node.insecureFrontend);
}
