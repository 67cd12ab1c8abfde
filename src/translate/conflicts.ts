// Listener conflicts within one Gateway (its own listeners, then its ListenerSets' listeners in
// merge order). Listeners on one port must be distinct: HTTP with HTTP by hostname; HTTPS and
// TLS together by hostname (SNI); TCP alone; UDP alone (UDP never collides with TCP-family
// listeners: different sockets). Among one owner's listeners no winner is picked — all the
// indistinct ones are Conflicted. A ListenerSet listener loses to any listener of the Gateway or
// of an older ListenerSet that it conflicts with.
import * as C from './conditions.ts';
import type { ListenerNode } from './graph.ts';
import { hostnameMatches } from './hostnames.ts';

type Conflict = { reason: 'HostnameConflict' | 'ProtocolConflict' };

function pairConflict(a: ListenerNode, b: ListenerNode): Conflict | null {
  const pa = a.protocol!;
  const pb = b.protocol!;
  if ((pa === 'UDP') !== (pb === 'UDP')) return null;
  if (pa === 'UDP' || pa === 'TCP' || pb === 'TCP') return { reason: 'ProtocolConflict' };
  if ((pa === 'HTTP') !== (pb === 'HTTP')) return { reason: 'ProtocolConflict' };
  return (a.hostname ?? '') === (b.hostname ?? '') ? { reason: 'HostnameConflict' } : null;
}

function sameOwner(a: ListenerNode, b: ListenerNode): boolean {
  return a.owner.node === b.owner.node;
}

/**
 * Marks conflictedCond (and OverlappingTLSConfig) on listeners, given in merge order. A listener
 * first meets the earlier listeners of other owners: if it conflicts with one, it loses alone and
 * is out (it no longer conflicts with anything after it). Otherwise listeners of the same owner
 * that conflict all lose together: no winner is picked among them.
 */
export function markConflicts(listeners: readonly ListenerNode[]): void {
  const byPort = new Map<number, ListenerNode[]>();
  for (const l of listeners) {
    if (l.protocol === null || l.acceptedCond) continue;
    const list = byPort.get(l.spec.port);
    if (list) list.push(l);
    else byPort.set(l.spec.port, [l]);
  }
  for (const group of byPort.values()) {
    const out = new Set<ListenerNode>();
    for (let j = 1; j < group.length; j++) {
      const b = group[j]!;
      for (let i = 0; i < j; i++) {
        const a = group[i]!;
        if (out.has(a) || sameOwner(a, b)) continue;
        const c = pairConflict(a, b);
        if (!c) continue;
        mark(b, a, c);
        out.add(b);
        break;
      }
      if (out.has(b)) continue;
      for (let i = 0; i < j; i++) {
        const a = group[i]!;
        if (out.has(a) || !sameOwner(a, b)) continue;
        const c = pairConflict(a, b);
        if (!c) continue;
        mark(a, b, c);
        mark(b, a, c);
      }
    }
    markOverlappingTLS(group);
  }
}

function mark(l: ListenerNode, other: ListenerNode, c: Conflict): void {
  if (l.conflictedCond) return;
  const msg = `${c.reason === 'HostnameConflict' ? 'Same port and hostname' : 'Incompatible protocol on the same port'} as listener ${other.name} (port ${l.spec.port})`;
  l.conflictedCond = c.reason === 'HostnameConflict' ? C.listenerHostnameConflict(msg) : C.listenerProtocolConflict(msg);
}

/** HTTPS/TLS-terminate listeners on one port whose hostnames overlap through a wildcard. */
function markOverlappingTLS(group: readonly ListenerNode[]): void {
  const tls = group.filter((l) => !l.conflictedCond && (l.protocol === 'HTTPS' || (l.protocol === 'TLS' && l.tlsMode === 'Terminate')));
  for (const a of tls) {
    const others: string[] = [];
    for (const b of tls) {
      if (a === b || !a.hostname || !b.hostname) continue;
      if (hostnameMatches(a.hostname, b.hostname) || hostnameMatches(b.hostname, a.hostname)) others.push(b.name);
    }
    if (others.length > 0) a.overlappingCond = C.listenerOverlappingHostnames(others);
  }
}
