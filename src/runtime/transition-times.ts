// Fills `lastTransitionTime` on every condition in computed statuses. The translator is pure and has
// no clock, so the runtime remembers, for each condition, its last status and when that status was
// first seen: the time moves only when the status changes (True → False …), as the Kubernetes API
// conventions ask. Conditions are identified by object, by where they sit in the status (list
// entries by their name or parentRef, not by index, so reordering does not count as a transition)
// and by type.
import type { ObjectStatus } from '../translate/api.ts';
import { jsonEqual } from './json-equal.ts';

interface Seen {
  status: string;
  time: string;
}

/** What fill() returned for one object, and from what. */
interface Filled {
  base: string;
  input: ObjectStatus;
  out: ObjectStatus;
  /** The last fill() that reported the object: records not reported by the latest are dropped. */
  round: number;
  /** Still the object's record in #last (not replaced by a newer one, not dropped). */
  live: boolean;
}

export class TransitionTimes {
  /**
   * Per object (apiVersion|kind|namespace|name): what it was given and returned last time. The
   * times of its conditions are read back from `out` when its status changes, so nothing else is
   * kept per condition (a table of every condition by a long place key was ~1 KB a route).
   */
  #last = new Map<string, Filled>();
  /**
   * The same records by the status object given: the translator hands back the same object for a
   * status that did not change, so most objects are recognised without building a key or
   * comparing anything, and a change of one route does not redo the bookkeeping of every object.
   */
  #byInput = new WeakMap<ObjectStatus, Filled>();
  #round = 0;
  readonly #now: () => Date;

  constructor(now: () => Date = () => new Date()) {
    this.#now = now;
  }

  /**
   * Returns copies of the statuses with lastTransitionTime set on each condition. A copy shares
   * with its input every part that holds no condition (parentRefs and the like).
   */
  fill(statuses: ObjectStatus[]): ObjectStatus[] {
    const round = ++this.#round;
    this.#nowIso = undefined;
    this.#shared = undefined;
    // Records of #last reported by this call: when that is all of them, none is dropped, and the
    // pass over every record below is skipped (a change of one route at 5,000 routes).
    let reported = 0;
    // An indexed loop with the work for a status not seen before in a method of its own: a map()
    // callback holding the closures below gave each of 5,000 calls a context (~200 KB a route add).
    const out = new Array<ObjectStatus>(statuses.length);
    for (let i = 0; i < statuses.length; i++) {
      const s = statuses[i]!;
      const known = this.#byInput.get(s);
      if (known !== undefined && known.round !== round && known.live) {
        known.round = round;
        reported++;
        out[i] = known.out;
        continue;
      }
      const r = this.#fillOne(s, round);
      if (r.reported) reported++;
      out[i] = r.out;
    }
    if (reported !== this.#last.size) {
      for (const [base, record] of this.#last) {
        if (record.round === round) continue;
        record.live = false;
        this.#last.delete(base);
      }
    }
    this.#shared = undefined; // its tables are of this call only
    return out;
  }

  /** The current time of this fill(), read once when first needed. */
  #nowIso: string | undefined;
  /** This fill()'s shared conditions, made when first needed. */
  #shared: SharedConditions | undefined;

  /** A status not handed over before (by identity): its filled copy, and whether a record of #last now stands for it this round. */
  #fillOne(s: ObjectStatus, round: number): { out: ObjectStatus; reported: boolean } {
    // join() makes one flat string (a template literal a tree of pieces: ~80 bytes more a key kept).
    const base = [s.apiVersion, s.kind, s.metadata.namespace ?? '', s.metadata.name].join('|');
    const before = this.#last.get(base);
    // Compared in place rather than serialised: most objects' statuses are unchanged.
    if (before !== undefined && before.round !== round && jsonEqual(before.input, s)) {
      before.round = round;
      before.input = s;
      this.#byInput.set(s, before);
      return { out: before.out, reported: true };
    }
    // The conditions as last reported for this object (this call's first report, for an object
    // reported twice), by place and type: a time is kept while its condition's status is.
    const seen = new Map<string, Seen>();
    if (before !== undefined) {
      walk(before.out.status, '', (key, cond) => {
        seen.set(key, { status: String(cond['status']), time: String(cond['lastTransitionTime']) });
        return cond;
      });
    }
    const shared = (this.#shared ??= new SharedConditions());
    const filled = { ...s, status: walk(s.status, '', (key, cond) => {
      const prev = seen.get(key);
      const status = String(cond['status']);
      const time = prev && prev.status === status ? prev.time : (this.#nowIso ??= this.#now().toISOString());
      return shared.condition({ ...cond, lastTransitionTime: time });
    }, shared.list) as Record<string, unknown> };
    // An object reported twice in one call: the first report is the one remembered.
    if (before !== undefined && before.round === round) return { out: filled, reported: false };
    const record: Filled = { base, input: s, out: filled, round, live: true };
    if (before !== undefined) before.live = false;
    this.#last.set(base, record);
    this.#byInput.set(s, record);
    return { out: filled, reported: true };
  }
}

type Cond = Record<string, unknown>;

/**
 * Equal filled conditions (and equal lists of them) made in one fill() are one object: thousands
 * of routes read in together carry the same Accepted and ResolvedRefs conditions with the same
 * time, so at the bench's 5,000 routes this keeps a few objects instead of 15,000. Statuses are
 * never changed in place once made (the translator already shares unchanged ones by identity).
 */
class SharedConditions {
  readonly #byJson = new Map<string, Cond>();
  readonly #ids = new Map<Cond, number>();
  readonly #lists = new Map<string, unknown[]>();

  condition = (c: Cond): Cond => {
    const key = JSON.stringify(c);
    const known = this.#byJson.get(key);
    if (known !== undefined) return known;
    this.#byJson.set(key, c);
    this.#ids.set(c, this.#ids.size);
    return c;
  };

  list = (conditions: unknown[]): unknown[] => {
    let key = '';
    for (const c of conditions) {
      const id = this.#ids.get(c as Cond);
      if (id === undefined) return conditions; // an entry that is not a condition: kept as it is
      key += `${id},`;
    }
    const known = this.#lists.get(key);
    if (known !== undefined) return known;
    this.#lists.set(key, conditions);
    return conditions;
  };
}

/**
 * `v` with each condition replaced by onCondition's answer; containers with no condition below
 * them are returned as they are (shared, not copied).
 */
function walk(v: unknown, path: string, onCondition: (key: string, c: Cond) => Cond, onList: (l: unknown[]) => unknown[] = (l) => l): unknown {
  if (Array.isArray(v)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < v.length; i++) {
      const e: unknown = v[i];
      const w = walk(e, `${path}[${entryId(e, i)}]`, onCondition, onList);
      if (w !== e) (copy ??= v.slice())[i] = w;
    }
    return copy ?? v;
  }
  if (v === null || typeof v !== 'object') return v;
  let copy: Record<string, unknown> | undefined;
  for (const [k, child] of Object.entries(v as Record<string, unknown>)) {
    let w: unknown;
    if (k === 'conditions' && Array.isArray(child)) {
      w = onList(
        child.map((c) =>
          c && typeof c === 'object' && 'type' in c ? onCondition(`${path}.conditions[${String((c as Cond)['type'])}]`, c as Cond) : c,
        ),
      );
    } else if (child !== null && typeof child === 'object') {
      w = walk(child, `${path}.${k}`, onCondition, onList);
    } else {
      continue;
    }
    if (w !== child) (copy ??= { ...(v as Record<string, unknown>) })[k] = w;
  }
  return copy ?? v;
}

function entryId(e: unknown, index: number): string {
  if (e && typeof e === 'object') {
    const o = e as Record<string, unknown>;
    if (typeof o['name'] === 'string') return o['name'];
    if (o['parentRef']) return JSON.stringify(o['parentRef']) + (o['controllerName'] ?? '');
    if (o['ancestorRef']) return JSON.stringify(o['ancestorRef']) + (o['controllerName'] ?? '');
  }
  return String(index);
}
