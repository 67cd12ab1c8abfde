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

export class TransitionTimes {
  #seen = new Map<string, Seen>();
  /**
   * Per object, the status it had last time (as given), the copy returned for it and its conditions'
   * entries: an object whose status did not change gets that copy back without walking it, so a
   * change to one route does not redo the bookkeeping of every object.
   */
  #last = new Map<string, { input: ObjectStatus; out: ObjectStatus; seen: [string, Seen][] }>();
  readonly #now: () => Date;

  constructor(now: () => Date = () => new Date()) {
    this.#now = now;
  }

  /** Returns copies of the statuses with lastTransitionTime set on each condition. */
  fill(statuses: ObjectStatus[]): ObjectStatus[] {
    const now = this.#now().toISOString();
    const next = new Map<string, Seen>();
    const last = new Map<string, { input: ObjectStatus; out: ObjectStatus; seen: [string, Seen][] }>();
    const out = statuses.map((s) => {
      const base = `${s.apiVersion}|${s.kind}|${s.metadata.namespace ?? ''}|${s.metadata.name}`;
      const before = this.#last.get(base);
      // Compared in place rather than serialised: most objects' statuses are unchanged.
      if (before !== undefined && !last.has(base) && jsonEqual(before.input, s)) {
        for (const [k, v] of before.seen) next.set(k, v);
        last.set(base, before);
        return before.out;
      }
      const seen: [string, Seen][] = [];
      const filled = { ...s, status: walk(s.status, base, (key, cond) => {
        const prev = this.#seen.get(key);
        const status = String(cond['status']);
        const time = prev && prev.status === status ? prev.time : now;
        const entry = { status, time };
        next.set(key, entry);
        seen.push([key, entry]);
        return { ...cond, lastTransitionTime: time };
      }) as Record<string, unknown> };
      if (!last.has(base)) last.set(base, { input: s, out: filled, seen });
      return filled;
    });
    this.#seen = next;
    this.#last = last;
    return out;
  }
}

type Cond = Record<string, unknown>;

function walk(v: unknown, path: string, onCondition: (key: string, c: Cond) => Cond): unknown {
  if (Array.isArray(v)) return v.map((e, i) => walk(e, `${path}[${entryId(e, i)}]`, onCondition));
  if (v === null || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const [k, child] of Object.entries(v as Record<string, unknown>)) {
    if (k === 'conditions' && Array.isArray(child)) {
      out[k] = child.map((c) =>
        c && typeof c === 'object' && 'type' in c ? onCondition(`${path}.conditions[${String((c as Cond)['type'])}]`, c as Cond) : c,
      );
    } else {
      out[k] = walk(child, `${path}.${k}`, onCondition);
    }
  }
  return out;
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
