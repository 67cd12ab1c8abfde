// Input diagnostics → /status entries. An object left out of the snapshot because it does not parse
// or validate must still be visible in /status, with an `Accepted=False reason=Invalid` condition
// carrying the problem; an object that keeps serving its last good version (file mode) gets that
// condition on top of the status computed for the served version, so the user sees both.
import { ErrorCodes } from '../errors.ts';
import { formatDiagnostic, type Diagnostic } from '../resources/diagnostic.ts';
import { isKnownKind, KINDS } from '../resources/kinds.ts';
import type { Snapshot } from '../resources/snapshot.ts';
import { SNAPSHOT_FIELD } from '../resources/snapshot.ts';
import type { Condition } from '../resources/types.ts';
import type { ObjectStatus } from '../translate/api.ts';
import { compareStatuses } from '../translate/status.ts';

/**
 * apiVersion for an object whose manifest could not be read far enough to know it: the preferred
 * (storage) version of its kind. Only Gateway API kinds get a /status entry.
 */
function defaultApiVersion(kind: string): string | undefined {
  const preferred = isKnownKind(kind) ? KINDS[kind].apiVersions[0] : undefined;
  return preferred?.startsWith('gateway.networking.k8s.io/') ? preferred : undefined;
}

export function mergeInvalidStatuses(statuses: ObjectStatus[], diagnostics: Diagnostic[], snapshot: Snapshot): ObjectStatus[] {
  const byObject = new Map<string, Diagnostic[]>();
  for (const d of diagnostics) {
    if (!d.kind || !d.name || !defaultApiVersion(d.kind)) continue;
    // A second copy of an object is ignored while the first one serves: logged, not an Invalid object.
    if (d.code === ErrorCodes.DUPLICATE_OBJECT) continue;
    const key = `${d.kind}/${d.namespace ?? ''}/${d.name}`;
    byObject.set(key, [...(byObject.get(key) ?? []), d]);
  }
  if (byObject.size === 0) return statuses;

  const out = statuses.map((s) => {
    const key = `${s.kind}/${s.metadata.namespace ?? ''}/${s.metadata.name}`;
    const diags = byObject.get(key);
    if (!diags) return s;
    byObject.delete(key);
    const cond = invalidCondition(diags, s.metadata.generation, true);
    const conditions = ((s.status['conditions'] as Condition[] | undefined) ?? []).filter((c) => c.type !== 'Accepted');
    return { ...s, status: { ...s.status, conditions: [cond, ...conditions] } };
  });

  for (const [, diags] of byObject) {
    const d = diags[0]!;
    const served = findObject(snapshot, d.kind!, d.namespace, d.name!);
    const generation = served?.metadata.generation ?? 1;
    out.push({
      apiVersion: served?.apiVersion ?? defaultApiVersion(d.kind!)!,
      kind: d.kind!,
      metadata: { name: d.name!, ...(d.namespace ? { namespace: d.namespace } : {}), generation },
      status: { conditions: [invalidCondition(diags, generation, served !== undefined)] },
    });
  }
  return out.sort(compareStatuses);
}

function invalidCondition(diags: Diagnostic[], generation: number, servingLastGood: boolean): Condition {
  const problems = diags.map((d) => formatDiagnostic({ ...d, kind: undefined })).join('; ');
  return {
    type: 'Accepted',
    status: 'False',
    reason: 'Invalid',
    message: servingLastGood ? `${problems} (the last valid version keeps serving)` : problems,
    observedGeneration: generation,
  };
}

function findObject(s: Snapshot, kind: string, namespace: string | undefined, name: string) {
  const field = SNAPSHOT_FIELD[kind as keyof typeof SNAPSHOT_FIELD];
  if (!field) return undefined;
  return (s[field] as { apiVersion: string; metadata: { name: string; namespace?: string; generation?: number } }[]).find(
    (o) => o.metadata.name === name && (o.metadata.namespace ?? '') === (namespace ?? ''),
  );
}
