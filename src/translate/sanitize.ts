// The translator's first guard: objects without a usable identity (metadata with a string name,
// a spec object where the kind has one) cannot be referenced or reported, so they are left out.
// Field-level problems are handled where each field is read. Returns the input itself when every
// object is fine (the common case), so nothing is copied.
import type { Snapshot } from '../resources/snapshot.ts';
import { sharedEnds } from './meta.ts';

const NO_SPEC = new Set(['namespaces', 'services', 'endpointSlices', 'secrets', 'configMaps']);

function usable(o: unknown, needsSpec: boolean): boolean {
  if (!o || typeof o !== 'object') return false;
  const obj = o as { metadata?: { name?: unknown; namespace?: unknown }; spec?: unknown };
  if (!obj.metadata || typeof obj.metadata !== 'object' || typeof obj.metadata.name !== 'string') return false;
  if (obj.metadata.namespace !== undefined && typeof obj.metadata.namespace !== 'string') return false;
  return !needsSpec || (!!obj.spec && typeof obj.spec === 'object');
}

/**
 * The last list of each field found usable throughout (a copy). Objects are never mutated, so the
 * same object at either end of the next list is known to be usable: only the ones in between are
 * checked (a change of one route among thousands checks one object, not thousands).
 */
const lastUsable = new Map<string, unknown[]>();

function allUsable(field: string, items: unknown[], needsSpec: boolean): boolean {
  const then = lastUsable.get(field) ?? [];
  const [a, b] = sharedEnds(items, then);
  for (let i = a; i < items.length - b; i++) if (!usable(items[i], needsSpec)) return false;
  if (a + b !== items.length || items.length !== then.length) lastUsable.set(field, [...items]);
  return true;
}

/**
 * The copy of `list` this module keeps (the last list of `field` found usable), when it holds
 * exactly the same objects in the same order; else undefined. route-state.ts keeps a copy of each
 * changed route list too: it shares this one (never modified, only replaced) instead of making a
 * second 5,000-entry copy per route added. Compared entry by entry (no allocation), so a list
 * changed since, or one this module never saw, is never mistaken for it.
 */
export function usableCopy<T>(field: string, list: readonly T[]): T[] | undefined {
  const copy = lastUsable.get(field) as T[] | undefined;
  if (copy === undefined || copy.length !== list.length) return undefined;
  for (let i = 0; i < list.length; i++) if (copy[i] !== list[i]) return undefined;
  return copy;
}

export function sanitizeSnapshot(snapshot: Snapshot): Snapshot {
  let out: Snapshot | null = null;
  for (const [field, list] of Object.entries(snapshot) as [keyof Snapshot, unknown[]][]) {
    const items = Array.isArray(list) ? list : [];
    const needsSpec = !NO_SPEC.has(field);
    if (items === list && allUsable(field, items, needsSpec)) continue;
    out ??= { ...snapshot };
    (out as unknown as Record<string, unknown[]>)[field] = items.filter((o) => usable(o, needsSpec));
  }
  return out ?? snapshot;
}

/** The object entries of a list from user input (holes, nulls and scalars skipped; non-list → []). */
export function objects<T>(list: readonly T[] | undefined | null): T[] {
  if (!Array.isArray(list)) return [];
  // A for loop, not every(): every() skips the holes of a sparse array.
  for (let i = 0; i < list.length; i++) {
    const x = list[i];
    if (x === null || typeof x !== 'object') return list.filter((y) => y !== null && typeof y === 'object');
  }
  return list as T[];
}

/** The string entries of a list from user input. */
export function strings(list: readonly string[] | undefined | null): string[] {
  if (!Array.isArray(list)) return [];
  for (let i = 0; i < list.length; i++) if (typeof list[i] !== 'string') return list.filter((y) => typeof y === 'string');
  return list as string[];
}
