// Pure: which Kubernetes Events a status change deserves. Only transitions are reported — a
// Gateway becoming (un)programmed, a listener turning invalid, a route accepted or rejected by one
// of our parents, a GatewayClass accepted or not — so a steady state produces no events.
import type { Condition } from '../../resources/types.ts';

export interface EventSpec {
  type: 'Normal' | 'Warning';
  reason: string;
  note: string;
}

function cond(list: readonly Condition[] | undefined, type: string): Condition | undefined {
  return list?.find((c) => c.type === type);
}

function changed(before: Condition | undefined, after: Condition | undefined): boolean {
  return !!after && (!before || before.status !== after.status || before.reason !== after.reason);
}

function refName(ref: any): string {
  return `${ref?.kind ?? 'Gateway'} ${ref?.namespace ? ref.namespace + '/' : ''}${ref?.name ?? '?'}${ref?.sectionName ? '/' + ref.sectionName : ''}`;
}

export function statusEvents(kind: string, before: any, after: any, controllerName: string): EventSpec[] {
  const out: EventSpec[] = [];
  if (kind === 'GatewayClass') {
    const b = cond(before?.conditions, 'Accepted');
    const a = cond(after?.conditions, 'Accepted');
    if (changed(b, a)) {
      out.push(a!.status === 'True'
        ? { type: 'Normal', reason: 'Accepted', note: 'GatewayClass accepted' }
        : { type: 'Warning', reason: a!.reason || 'NotAccepted', note: a!.message || 'GatewayClass not accepted' });
    }
  } else if (kind === 'Gateway') {
    const b = cond(before?.conditions, 'Programmed');
    const a = cond(after?.conditions, 'Programmed');
    if (changed(b, a)) {
      const addrs = ((after?.addresses ?? []) as { value: string }[]).map((x) => x.value).join(', ');
      out.push(a!.status === 'True'
        ? { type: 'Normal', reason: 'Programmed', note: `Gateway programmed${addrs ? ' at ' + addrs : ''}` }
        : { type: 'Warning', reason: a!.reason || 'NotProgrammed', note: a!.message || 'Gateway not programmed' });
    }
    for (const l of (after?.listeners ?? []) as { name: string; conditions?: Condition[] }[]) {
      const prev = ((before?.listeners ?? []) as { name: string; conditions?: Condition[] }[]).find((p) => p.name === l.name);
      for (const type of ['Accepted', 'ResolvedRefs', 'Programmed']) {
        const a = cond(l.conditions, type);
        const b = cond(prev?.conditions, type);
        if (a?.status === 'False' && changed(b, a)) {
          out.push({ type: 'Warning', reason: 'ListenerInvalid', note: `listener ${l.name}: ${type}=False ${a.reason}: ${a.message}` });
          break;
        }
      }
    }
  } else if (kind.endsWith('Route')) {
    for (const p of (after?.parents ?? []) as any[]) {
      if (p.controllerName !== controllerName) continue;
      const prev = ((before?.parents ?? []) as any[]).find(
        (q) => q.controllerName === controllerName && JSON.stringify(q.parentRef) === JSON.stringify(p.parentRef),
      );
      const a = cond(p.conditions, 'Accepted');
      const b = cond(prev?.conditions, 'Accepted');
      if (changed(b, a)) {
        out.push(a!.status === 'True'
          ? { type: 'Normal', reason: 'Accepted', note: `accepted by ${refName(p.parentRef)}` }
          : { type: 'Warning', reason: 'Rejected', note: `rejected by ${refName(p.parentRef)}: ${a!.reason}: ${a!.message}` });
      }
    }
  }
  for (const e of out) if (e.note.length > 1000) e.note = e.note.slice(0, 997) + '...';
  return out;
}
