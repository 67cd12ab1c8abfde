// ReferenceGrant checks. A grant lives in the target namespace and allows references from
// (group, kind, namespace) to (group, kind[, name]). Same-namespace references need no grant.
import type { Lookup } from './lookup.ts';
import { objects } from './sanitize.ts';

export interface RefFrom {
  group: string;
  kind: string;
  namespace: string;
}

export interface RefTo {
  group: string;
  kind: string;
  namespace: string;
  name: string;
}

export function referenceAllowed(lookup: Lookup, from: RefFrom, to: RefTo): boolean {
  if (from.namespace === to.namespace) return true;
  for (const grant of lookup.grantsByNamespace.get(to.namespace) ?? []) {
    const fromOk = objects(grant.spec.from).some(
      (f) => (f.group ?? '') === from.group && f.kind === from.kind && f.namespace === from.namespace,
    );
    if (!fromOk) continue;
    const toOk = objects(grant.spec.to).some(
      (t) => (t.group ?? '') === to.group && t.kind === to.kind && (!t.name || t.name === to.name),
    );
    if (toOk) return true;
  }
  return false;
}
