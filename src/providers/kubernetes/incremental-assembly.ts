// assembleSnapshot() (snapshot-assembly.ts) at the cost of what changed: the provider emits a
// snapshot on every watch event, and re-sorting every kind's cache and walking every route for the
// Services it references is O(n log n) per event at thousands of routes. This keeps each kind's
// sorted list from the last snapshot and patches it by the keys the reflector reports changed
// (a kind with no change keeps the very same list), and counts route → Service references so that
// a route change updates only its own. The result equals assembleSnapshot() on the same caches
// (test/kubernetes/incremental-assembly.test.ts).
import { emptySnapshot, type Snapshot } from '../../resources/snapshot.ts';
import type { ObjectMeta, RouteObject } from '../../resources/types.ts';
import { KINDS, type WatchedKind } from './kinds.ts';
import { byNamespaceName, refKey, referencedByNonRoutes, routeServices } from './snapshot-assembly.ts';

/** One kind's cache as the assembler reads it. */
export interface KindSource {
  /** Keys (`namespace/name`, or `name`) changed since the last call, or 'all' (first list, relist). */
  changes: ReadonlySet<string> | 'all';
  items(): readonly any[];
  /** The cached object under a key, undefined once deleted. */
  get(key: string): any;
}

const ROUTE_KINDS = new Set<WatchedKind>(['HTTPRoute', 'GRPCRoute', 'TLSRoute', 'TCPRoute', 'UDPRoute']);
/** Kinds kept only when referenced, and where the reference is looked up. */
const FILTERED = new Set<WatchedKind>(['Secret', 'ConfigMap', 'Service', 'EndpointSlice']);

export class SnapshotAssembler {
  readonly #controllerName: string;
  /** Each kind's objects sorted by namespace and name, as in the last snapshot (never mutated once out). */
  readonly #sorted = new Map<WatchedKind, any[]>();
  /** How many routes refer to each Service (`namespace/name`). */
  readonly #routeServices = new Map<string, number>();
  /** Services whose route reference count went to or from zero since the filtered lists were made. */
  #servicesMoved = true;
  #otherRefs = '';
  #filtered = new Map<WatchedKind, any[]>();

  constructor(controllerName: string) {
    this.#controllerName = controllerName;
  }

  assemble(sources: ReadonlyMap<WatchedKind, KindSource>): Snapshot {
    const s = emptySnapshot() as unknown as Record<keyof Snapshot, any[]>;
    const changedKinds = new Set<WatchedKind>();
    for (const info of KINDS) {
      const src = sources.get(info.kind);
      const before = this.#sorted.get(info.kind) ?? [];
      let list = before;
      const changes = src?.changes;
      if (src !== undefined && changes === 'all') {
        list = [...src.items()].sort(byNamespaceName);
      } else if (src !== undefined && changes !== undefined && changes !== 'all' && changes.size === 1) {
        // The usual event (one object added, changed or deleted): one exact-size copy of the list,
        // where a copy patched in place by splice() grows its store again (~100 KB an add at 5,000).
        for (const k of changes) list = this.#patched(info.kind, before, k, src.get(k));
      } else if (src !== undefined && changes !== undefined && changes !== 'all' && changes.size > 0) {
        list = before.slice();
        for (const k of changes) this.#patch(info.kind, list, k, src.get(k));
      } else if (src === undefined && before.length > 0) {
        list = [];
      }
      if (list !== before) {
        changedKinds.add(info.kind);
        if (ROUTE_KINDS.has(info.kind) && (src === undefined || src.changes === 'all')) {
          for (const r of before) this.#countRoute(r, -1);
          for (const r of list) this.#countRoute(r, 1);
        }
        this.#sorted.set(info.kind, list);
      }
      s[info.field] = list;
    }
    const snap = s as unknown as Snapshot;
    // Everything but routes references little and is read in full; routes are counted as they change.
    const other = referencedByNonRoutes(snap, this.#controllerName);
    const otherKey = JSON.stringify([[...other.secrets], [...other.configMaps], [...other.services]]);
    const refsMoved = otherKey !== this.#otherRefs || this.#servicesMoved;
    this.#otherRefs = otherKey;
    this.#servicesMoved = false;
    const service = (ns: string | undefined, name: string) => this.#routeServices.has(refKey(ns, name)) || other.services.has(refKey(ns, name));
    const keep: Record<string, (o: { metadata: ObjectMeta }) => boolean> = {
      Secret: (o) => other.secrets.has(refKey(o.metadata.namespace, o.metadata.name)),
      ConfigMap: (o) => other.configMaps.has(refKey(o.metadata.namespace, o.metadata.name)),
      Service: (o) => service(o.metadata.namespace, o.metadata.name),
      EndpointSlice: (o) => {
        const svc = o.metadata.labels?.['kubernetes.io/service-name'];
        return svc !== undefined && service(o.metadata.namespace, svc);
      },
    };
    for (const info of KINDS) {
      if (!FILTERED.has(info.kind)) continue;
      let out = this.#filtered.get(info.kind);
      if (out === undefined || refsMoved || changedKinds.has(info.kind)) {
        out = s[info.field].filter(keep[info.kind]!);
        this.#filtered.set(info.kind, out);
      }
      s[info.field] = out;
    }
    return snap;
  }

  /**
   * A new sorted list: `list` with the object now under `k` (or its absence) put in, keeping route
   * counts; the same as a copy given to #patch, made by one exact-size copy (toSpliced / with).
   */
  #patched(kind: WatchedKind, list: readonly any[], k: string, obj: any): any[] {
    const lo = position(list, k);
    const found = isAt(list, lo, k);
    const route = ROUTE_KINDS.has(kind);
    if (found && route) this.#countRoute(list[lo], -1);
    if (route && obj !== undefined) this.#countRoute(obj, 1);
    if (found) return obj === undefined ? list.toSpliced(lo, 1) : list.with(lo, obj);
    return obj === undefined ? list.slice() : list.toSpliced(lo, 0, obj);
  }

  /** Puts the object now under `k` (or its absence) into a sorted list, keeping route counts. */
  #patch(kind: WatchedKind, list: any[], k: string, obj: any): void {
    const lo = position(list, k);
    const found = isAt(list, lo, k);
    const route = ROUTE_KINDS.has(kind);
    if (found) {
      if (route) this.#countRoute(list[lo], -1);
      if (obj === undefined) list.splice(lo, 1);
      else list[lo] = obj;
    } else if (obj !== undefined) {
      list.splice(lo, 0, obj);
    }
    if (route && obj !== undefined) this.#countRoute(obj, 1);
  }

  #countRoute(r: RouteObject, delta: number): void {
    for (const k of routeServices(r)) {
      const n = (this.#routeServices.get(k) ?? 0) + delta;
      if (n > 0) this.#routeServices.set(k, n);
      else this.#routeServices.delete(k);
      if (n === 0 || n === delta) this.#servicesMoved = true;
    }
  }
}

/** `namespace/name` (or `name`) of a key, split as the cache makes it. */
function splitKey(k: string): [ns: string, name: string] {
  const slash = k.indexOf('/');
  return slash === -1 ? ['', k] : [k.slice(0, slash), k.slice(slash + 1)];
}

/** Where the object under `k` is, or would go, in a list sorted by namespace and name. */
function position(list: readonly any[], k: string): number {
  const [ns, name] = splitKey(k);
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const m = list[mid].metadata;
    const mns = m.namespace ?? '';
    if (mns < ns || (mns === ns && m.name < name)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Whether the object at `lo` is the one under `k`. */
function isAt(list: readonly any[], lo: number, k: string): boolean {
  const [ns, name] = splitKey(k);
  return lo < list.length && (list[lo].metadata.namespace ?? '') === ns && list[lo].metadata.name === name;
}
