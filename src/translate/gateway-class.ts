// GatewayClass acceptance: only classes whose controllerName is ours get a status. A class with
// a parametersRef is rejected (Wicket reads no parameters kinds), as the spec asks for a
// reference it cannot use.
import type { Snapshot } from '../resources/snapshot.ts';
import { classAccepted, classInvalidParameters } from './conditions.ts';
import type { ClassNode } from './graph.ts';
import { compareByName } from './meta.ts';

export function buildClasses(snapshot: Snapshot, controllerName: string): Map<string, ClassNode> {
  const out = new Map<string, ClassNode>();
  for (const obj of [...snapshot.gatewayClasses].sort(compareByName)) {
    if (obj.spec?.controllerName !== controllerName) continue;
    const ref = obj.spec.parametersRef;
    const accepted = !ref;
    const conditions = [
      ref
        ? classInvalidParameters(`${ref.group || 'core'}/${ref.kind} ${ref.name} is not a parameters kind Wicket reads`)
        : classAccepted(),
    ];
    out.set(obj.metadata.name, { obj, accepted, conditions });
  }
  return out;
}
