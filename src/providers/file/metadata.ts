// Object metadata in file mode (DESIGN.md, external contract): creationTimestamp and generation come
// from the manifest when it gives them; otherwise the timestamp is when the object was first read
// (kept across reloads) and generation starts at 1 and grows by one whenever the spec changes.
// "Spec" for kinds without a `spec` field (Secret, EndpointSlice, …) is everything but metadata and
// status, so a changed Secret or EndpointSlice also counts as a new generation.
import type { AnyObject } from '../../resources/types.ts';
import { jsonEqual } from '../../runtime/json-equal.ts';

interface Tracked {
  firstSeen: string;
  generation: number;
  /**
   * The spec (see specOf) of the version last seen. A reference into the served object rather than
   * a serialisation of it: it costs nothing while the object serves (a sorted-key JSON string of
   * every spec was ~300 bytes a route), and a new version is compared with it up to key order.
   */
  spec: unknown;
  /** The last stamp() call that saw the object: those not seen by the latest are forgotten. */
  round: number;
}

/**
 * `Kind/namespace/name`. Built by join(), which makes one flat string: a template literal makes a
 * tree of string pieces that stays bigger once used as a map key (85 vs 165 bytes a key with its
 * map entry, measured), and a key is kept per served object by the provider and the tracker.
 */
export function objectKey(o: { kind: string; metadata: { namespace?: string; name: string } }): string {
  return [o.kind, o.metadata.namespace ?? '', o.metadata.name].join('/');
}

export class MetadataTracker {
  readonly #seen = new Map<string, Tracked>();
  /**
   * The stamped copy last returned for each parsed object instance. The provider hands back the
   * same instances for files that did not change, so a reload stamps (and hashes the spec of) only
   * the objects it actually re-parsed, and unchanged objects keep their identity in the snapshot
   * (which lets the translator reuse its per-object work).
   */
  #stamped = new WeakMap<AnyObject, { key: string; out: AnyObject; tracked: Tracked; generation: number }>();
  readonly #now: () => Date;
  #round = 0;

  constructor(now: () => Date = () => new Date()) {
    this.#now = now;
  }

  /**
   * Returns copies of the objects with creationTimestamp and generation filled. Objects that are no
   * longer present are forgotten, so one deleted and created again starts over like in a cluster.
   */
  stamp(objects: AnyObject[]): AnyObject[] {
    const round = ++this.#round;
    // One timestamp per read: objects that appear together tie, and ties break by namespace/name
    // (as the spec says) rather than by how many milliseconds the read happened to take.
    const now = { value: undefined as string | undefined };
    const out = objects.map((o) => this.#stampOne(o, round, now));
    for (const [key, t] of this.#seen) if (t.round !== round) this.#seen.delete(key);
    return out;
  }

  /**
   * stamp() for part of the objects (those of files read again): the stamped copies returned
   * before for the others stay valid, since their files did not change. `gone`: keys of objects no
   * longer served by any file, forgotten as stamp() forgets what it is not given. Costs what
   * changed, where stamp() visits every object.
   */
  stampSome(objects: AnyObject[], gone: Iterable<string>): AnyObject[] {
    const round = ++this.#round;
    const now = { value: undefined as string | undefined };
    const out = objects.map((o) => this.#stampOne(o, round, now));
    for (const key of gone) this.#seen.delete(key);
    return out;
  }

  /** One object of a stamp() or stampSome() call (`now`: the call's one timestamp, taken when first needed). */
  #stampOne(o: AnyObject, round: number, now: { value: string | undefined }): AnyObject {
    const cached = this.#stamped.get(o);
    // Same instance, still tracked as the same object at the same generation: nothing to redo
    // (not even its key: this runs for every object on every reload).
    if (cached && this.#seen.get(cached.key) === cached.tracked && cached.tracked.generation === cached.generation && cached.tracked.round !== round) {
      cached.tracked.round = round;
      return cached.out;
    }
    const key = objectKey(o);
    const spec = specOf(o);
    let t = this.#seen.get(key);
    if (!t) {
      t = { firstSeen: (now.value ??= this.#now().toISOString()), generation: 1, spec, round };
      this.#seen.set(key, t);
    } else {
      if (!jsonEqual(t.spec, spec)) t.generation += 1;
      // The new version's own spec, so the one before can be freed.
      t.spec = spec;
    }
    t.round = round;
    const metadata = {
      ...o.metadata,
      creationTimestamp: o.metadata.creationTimestamp ?? t.firstSeen,
      generation: o.metadata.generation ?? t.generation,
    };
    const stamped = { ...o, metadata } as AnyObject;
    this.#stamped.set(o, { key, out: stamped, tracked: t, generation: t.generation });
    return stamped;
  }
}

function specOf(o: AnyObject): unknown {
  if ('spec' in o) return o.spec;
  const { metadata: _m, status: _s, ...rest } = o as AnyObject & { status?: unknown };
  return rest;
}
