// Writes computed statuses to the status subresource. For each object: merge with the server's
// status (status-merge.ts), skip when equal, PUT with the object's resourceVersion (optimistic
// concurrency), and on 409 re-read the object and merge again. Objects deleted meanwhile (404) are
// skipped. Calls coalesce: a publish arriving while one runs interrupts it after the writes in
// flight, and only the newest set is written next, changed statuses first. An object whose
// computed status and cached object (identity and resourceVersion) are those last found in sync
// is skipped without merging. Up to 32 writes are in flight. Routes that no longer name any of
// our parents get our entries removed. A publish that changes one route at 5,000 costs pointer and
// map checks per object, no lookups or passes over the cache (see #writeAll). A Gateway or
// ListenerSet whose only change is its listeners' attachedRoutes is written at most once per
// holdCountsMs (routes added in a row would otherwise cost a Gateway write each).
import { logger } from '../../log.ts';
import type { ObjectStatus } from '../../translate/api.ts';
import type { KubeClient } from './kube-client.ts';
import { statusMessage } from './kube-client.ts';
import type { KindInfo } from './kinds.ts';
import { kindInfo, objectPath } from './kinds.ts';
import { jsonEqual, mergeStatus, withoutOurEntries } from './status-merge.ts';
import type { EventSpec } from './status-events.ts';
import { statusEvents } from './status-events.ts';
import { kubeTime } from './time.ts';

export interface ObjectSource {
  /** The cached object and the API version its cache uses, or undefined when unknown/deleted. */
  lookup(kind: string, name: string, namespace?: string): { obj: any; version: string } | undefined;
  /** Every cached object of a kind (for cleanup of stale route entries). */
  all(kind: string): { obj: any; version: string }[];
}

export interface StatusWriterOptions {
  controllerName: string;
  source: ObjectSource;
  canWrite: () => boolean;
  onEvent?: (obj: any, apiVersion: string, ev: EventSpec) => void;
  now?: () => Date;
  /**
   * Writes in flight at once (default 32). Each status write costs the API server several ms of
   * CPU; with 8 in flight, 1,000 route statuses took 12 s on a loaded 2-core machine, with 32
   * about 7 s (API server CPU per write unchanged): the writes overlap instead of queueing.
   */
  concurrency?: number;
  maxConflictRetries?: number;
  /**
   * A Gateway or ListenerSet whose status differs from what we last wrote only in listeners'
   * attachedRoutes is written at most once per this many ms (default 500; 0 = at once): the first
   * change after a quiet spell is written at once, the counts that follow within the window in one
   * write at its end. Routes added one after another otherwise cost a Gateway status write each,
   * about as much API server CPU as the route's own create (bench/scenarios/convergence-k8s-apicost.ts).
   */
  holdCountsMs?: number;
  /**
   * The owner calls forget() for every cached object the source replaces or drops (the provider
   * does, from its reflectors): then an object found in sync stays so while its status and the
   * cached object's resourceVersion do, without a lookup per object per publish. Without this,
   * every object is looked up in the source to see whether it was replaced.
   */
  replacementsReported?: boolean;
}

/**
 * `Kind/namespace/name`. Not cached per object: a publish finds an unchanged status's record by
 * identity (#recordOf) without a key, so keys are built only for new statuses, replaced cached
 * objects, and the stale-entry pass (a resync, a route dropped). A WeakMap cache held an entry for
 * every status and every cached object (~10,000 at 5,000 routes), each an ephemeron that every
 * full collection must trace, in its pause too.
 */
function keyOf(kind: string, o: { metadata: { name: string; namespace?: string } }): string {
  return `${kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
}

const CLEANUP_KINDS = ['HTTPRoute', 'GRPCRoute', 'TLSRoute', 'TCPRoute', 'UDPRoute', 'BackendTLSPolicy'];

export interface WriteCounters {
  written: number;
  unchanged: number;
  conflicts: number;
  notFound: number;
  failed: number;
}

/** What the writer keeps per object (`Kind/namespace/name`) between sets. */
interface ObjectRecord {
  readonly key: string;
  /** The last set that named the object (sets are numbered): sets are compared by counting. */
  named: number;
  /** The computed status of the last set that named it: a different one is news. */
  handed: ObjectStatus | undefined;
  /**
   * The computed status last found in sync, or written, and the cached object it was found in
   * sync with (or the one our write replaced): while both are the very same objects and the
   * cached object's resourceVersion has not moved, a publish skips the object without merging
   * or comparing. The runtime hands back the same ObjectStatus for an object whose status did not
   * change, so a change to one route costs one comparison instead of 5,000.
   */
  settled: Settled | undefined;
  /** Pruned from the writer's records (a status object may still point at it). */
  dropped: boolean;
  /** The computed status last written, and when (performance.now()): see holdCountsMs. */
  written?: ObjectStatus;
  writtenAt?: number;
}

/**
 * Whether two computed statuses of one Gateway or ListenerSet differ in nothing but their
 * listeners' attachedRoutes (same generation, same listeners in the same order, same conditions).
 */
function onlyCountsDiffer(a: ObjectStatus, b: ObjectStatus): boolean {
  if (a.metadata.generation !== b.metadata.generation) return false;
  const la = a.status['listeners'] as { name?: string }[] | undefined;
  const lb = b.status['listeners'] as { name?: string }[] | undefined;
  if (!Array.isArray(la) || !Array.isArray(lb) || la.length !== lb.length) return false;
  for (let i = 0; i < la.length; i++) if (la[i]?.name !== lb[i]?.name) return false;
  const uncounted = (s: Record<string, unknown>, l: object[]) => ({ ...s, listeners: l.map((x) => ({ ...x, attachedRoutes: 0 })) });
  return jsonEqual(uncounted(a.status, la), uncounted(b.status, lb));
}

/** A computed status found in sync with a cached object (see ObjectRecord.settled). */
interface Settled {
  st: ObjectStatus;
  obj: any;
  rv: string | undefined;
  /** The resourceVersion our write made, when the status was written rather than found in sync. */
  wrote?: string | undefined;
}

export class StatusWriter {
  readonly #client: KubeClient;
  readonly #o: Required<Omit<StatusWriterOptions, 'onEvent'>> & StatusWriterOptions;
  #latest: ObjectStatus[] | undefined;
  /** Sets handed to #writeAll so far; a set's number stamps the objects it names. */
  #round = 0;
  /** The last set #writeAll wrote through (every job ran), and how many objects it named. */
  #complete: { round: number; objects: number } | undefined;
  readonly #records = new Map<string, ObjectRecord>();
  /**
   * Each computed status's record: statuses come back by identity set after set, so the record of
   * an unchanged one is found without building or hashing its key.
   */
  readonly #recordOf = new WeakMap<ObjectStatus, ObjectRecord>();
  /** force: compare every object again; sweep: look through the cache for our stale entries. */
  #pending: { statuses: ObjectStatus[]; force: boolean; sweep: boolean; waiters: (() => void)[] } | undefined;
  /** Set while the drain loop runs (synchronously: a loop with nothing to await ends at once). */
  #running = false;
  /** The last drain loop started. */
  #loop: Promise<void> = Promise.resolve();
  /**
   * What the server stored after our last write of an object, where it differs from what we wrote
   * (the server normalised it): skip the object while both stay so. Where the server stored what we
   * wrote, the next compare finds it equal by itself, and nothing is kept: two JSON strings for
   * every object written were ~5 MB at 5,000 routes, marked by every full collection.
   */
  readonly #memo = new Map<string, { desired: string; stored: string }>();
  /**
   * The object as our last write left it, until the cache catches up: without it the next publish
   * would compare against the cache's older copy, write again with its stale resourceVersion, and
   * pay a 409 and a re-read to learn that nothing needed writing.
   */
  readonly #afterWrite = new Map<string, { overwrote: string | undefined; obj: any }>();
  readonly counters: WriteCounters = { written: 0, unchanged: 0, conflicts: 0, notFound: 0, failed: 0 };
  /** Set while a count-only change waits for its window's end (see holdCountsMs). */
  #holdTimer: NodeJS.Timeout | undefined;
  /** Resolves once the publish at the end of the window is done. */
  #held: Promise<void> = Promise.resolve();

  constructor(client: KubeClient, opts: StatusWriterOptions) {
    this.#client = client;
    this.#o = { ...opts, now: opts.now ?? (() => new Date()), concurrency: opts.concurrency ?? 32, maxConflictRetries: opts.maxConflictRetries ?? 8, replacementsReported: opts.replacementsReported ?? false, holdCountsMs: opts.holdCountsMs ?? 500 };
  }

  /** The source replaced or dropped this cached object: what was found in sync with it is void. */
  forget(kind: string, obj: { metadata: { name: string; namespace?: string } }): void {
    const rec = this.#records.get(keyOf(kind, obj));
    if (rec !== undefined) rec.settled = undefined;
  }

  #recordFor(st: ObjectStatus): ObjectRecord {
    let rec = this.#recordOf.get(st);
    if (rec === undefined || rec.dropped) {
      const key = keyOf(st.kind, st);
      rec = this.#records.get(key);
      if (rec === undefined) {
        rec = { key, named: 0, handed: undefined, settled: undefined, dropped: false };
        this.#records.set(key, rec);
      }
      this.#recordOf.set(st, rec);
    }
    return rec;
  }

  /** Whether an object found in sync (or written by us) still is, as far as the cache can tell. */
  #stillSettled(st: ObjectStatus, settled: Settled, key: string): boolean {
    // The cache updates an object's status in place (its identity is kept): the version tells.
    let rv: string | undefined;
    if (this.#o.replacementsReported) {
      rv = settled.obj.metadata?.resourceVersion;
    } else {
      const now = this.#o.source.lookup(st.kind, st.metadata.name, st.metadata.namespace)?.obj;
      if (now === undefined || settled.obj !== now) return false;
      rv = now.metadata?.resourceVersion;
    }
    if (rv === settled.rv) return true;
    // The cache now shows the very version our write made (its watch event came back, the status
    // taken in place): still in sync. Without this, every object we wrote was merged and compared
    // once more on the next publish — after the start-up flush, 5,000 of them on the first route
    // added (~70 ms and ~10 MB of garbage, seen with bench/scenarios/convergence-k8s-trace.ts).
    if (settled.wrote !== undefined && rv === settled.wrote) {
      settled.rv = rv;
      settled.wrote = undefined;
      // The cache has caught up with our write: the copy kept for it until then is of no more use
      // (a compare would have dropped it; kept, it held ~1 KB an object after a start-up flush).
      this.#afterWrite.delete(key);
      return true;
    }
    return false;
  }

  /** Writes these statuses (when allowed); resolves once they, or a newer set, are written. */
  publish(statuses: ObjectStatus[]): Promise<void> {
    return this.#enqueue(statuses, false, false);
  }

  /**
   * Writes the last statuses given again where they differ from the server's. By default every
   * object is compared again (a replica that just became leader). With `recheck: false` (the
   * periodic resync that puts back a status someone else overwrote) only objects whose cached
   * copy moved since we found it in sync are compared — a write by anyone reaches the cache
   * through the watch and moves its resourceVersion — plus the pass over the cache for our stale
   * entries; at 5,000 routes that is a few ms instead of 5,000 merges and comparisons.
   */
  republish(opts: { recheck?: boolean } = {}): Promise<void> {
    return this.#latest ? this.#enqueue(this.#latest, opts.recheck ?? true, true) : Promise.resolve();
  }

  /** Resolves once nothing is queued, held or being written. */
  async idle(): Promise<void> {
    for (let i = 0; i < 100 && (this.#running || this.#pending || this.#holdTimer); i++) {
      if (this.#running || this.#pending) await this.#loop;
      else await this.#held;
    }
  }

  /**
   * Whether this changed status waits (see holdCountsMs): a Gateway or ListenerSet whose status
   * differs from the one last written only in attachedRoutes, written less than the window ago.
   * The latest set is published again at the window's end.
   */
  #holds(st: ObjectStatus, rec: ObjectRecord): boolean {
    if (st.kind !== 'Gateway' && st.kind !== 'ListenerSet') return false;
    const hold = this.#o.holdCountsMs;
    if (hold <= 0 || rec.written === undefined || rec.writtenAt === undefined) return false;
    const wait = rec.writtenAt + hold - performance.now();
    if (wait <= 0 || !onlyCountsDiffer(rec.written, st)) return false;
    if (this.#holdTimer === undefined) {
      let done!: () => void;
      this.#held = new Promise<void>((r) => (done = r));
      this.#holdTimer = setTimeout(() => {
        this.#holdTimer = undefined;
        const latest = this.#latest;
        (latest ? this.#enqueue(latest, false, false) : Promise.resolve()).then(done, done);
      }, Math.ceil(wait));
    }
    return true;
  }

  #enqueue(statuses: ObjectStatus[], force: boolean, sweep: boolean): Promise<void> {
    this.#latest = statuses;
    return new Promise((resolve) => {
      if (this.#pending) {
        this.#pending.statuses = statuses;
        this.#pending.force ||= force;
        this.#pending.sweep ||= sweep;
        this.#pending.waiters.push(resolve);
      } else {
        this.#pending = { statuses, force, sweep, waiters: [resolve] };
      }
      this.#drain();
    });
  }

  #drain(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = (async () => {
      try {
        // Let the event loop serve first: publish() is called right after a configuration is
        // applied, with requests for it waiting.
        await new Promise((r) => setImmediate(r));
        while (this.#pending) {
          const set = this.#pending;
          this.#pending = undefined;
          let superseded = false;
          if (this.#o.canWrite()) {
            try {
              superseded = await this.#writeAll(set.statuses, set.force, set.sweep);
            } catch (err) {
              logger.error('status write failed', { err: err as Error });
            }
          }
          if (superseded && this.#pending) {
            // A newer set arrived mid-way: it takes over (what this one wrote is settled and is
            // skipped), and these callers are answered when it is done.
            const next: { force: boolean; sweep: boolean; waiters: (() => void)[] } = this.#pending;
            next.force ||= set.force;
            next.sweep ||= set.sweep;
            next.waiters.push(...set.waiters);
            continue;
          }
          for (const w of set.waiters) w();
        }
      } finally {
        this.#running = false;
      }
    })();
  }

  /** Writes one set; true when it stopped early because a newer set is waiting. */
  async #writeAll(statuses: ObjectStatus[], force: boolean, sweep: boolean): Promise<boolean> {
    // Changed statuses go first, then those merely not yet confirmed (the rest of a large first
    // write that a newer set interrupted): a route added during a start-up flush of 5,000
    // statuses is not queued behind it.
    const jobs: (() => Promise<void>)[] = [];
    const backlog: (() => Promise<void>)[] = [];
    // Whether this set names every object the last complete set named (the usual case: a route
    // added or changed, not removed): then no object lost its status, and the pass looking for our
    // stale entries in the cache and the pruning of per-object records are left out. Counted with
    // one stamp per object (its record's `named`), so a route added at 5,000 builds no set of keys.
    const round = ++this.#round;
    const complete = force || sweep ? undefined : this.#complete;
    this.#complete = undefined; // set again below once every job of this set ran
    let objects = 0;
    let kept = 0;
    let skipped = 0;
    // Indexed, and the write job made by #job(): a for-of iteration result, and a closure context
    // that a job closure made in this loop would need, cost ~90 bytes per object per set (450 KB
    // a route added at 5,000 routes, sampled), nearly all of it for the thousands skipped.
    for (let i = 0; i < statuses.length; i++) {
      const st = statuses[i]!;
      const rec = this.#recordFor(st);
      if (rec.named !== round) {
        objects++;
        if (complete !== undefined && rec.named === complete.round) kept++;
        rec.named = round;
      }
      const settled = rec.settled;
      if (!force && settled !== undefined && settled.st === st && this.#stillSettled(st, settled, rec.key)) {
        skipped++;
        continue;
      }
      const info = kindInfo(st.kind);
      if (!info?.hasStatus) continue;
      if (!force && this.#holds(st, rec)) continue;
      (rec.handed === st ? backlog : jobs).push(this.#job(info, st, rec));
      rec.handed = st;
    }
    const noneDropped = complete !== undefined && kept === complete.objects;
    this.counters.unchanged += skipped;
    let next = 0;
    // Jobs that find nothing to write finish without I/O: a resync comparing 5,000 statuses would
    // hold the event loop (and so the data plane) for its whole length. Yield every few ms — all
    // workers at once, on one shared pause: a worker that yields alone leaves the others running
    // on microtasks, and the loop waited for all 32 to take their turn (140–230 ms stalls with a
    // route added meanwhile, seen with bench/scenarios/convergence-k8s-trace.ts).
    let slice = performance.now();
    let pause: Promise<void> | undefined;
    const worker = async () => {
      while (next < jobs.length && this.#o.canWrite() && !this.#pending) {
        await jobs[next++]!();
        if (pause === undefined && performance.now() - slice > 4) {
          pause = new Promise<void>((r) => setImmediate(r)).then(() => {
            pause = undefined;
            slice = performance.now();
          });
        }
        if (pause !== undefined) await pause;
      }
    };
    const t0 = performance.now();
    const before = { ...this.counters };
    const workers: Promise<void>[] = [];
    const spawn = () => {
      while (workers.length < Math.min(this.#o.concurrency, jobs.length)) workers.push(worker());
    };
    // The changed statuses' writes are sent first; the O(objects) bookkeeping below runs while
    // they are in flight (workers take the jobs appended meanwhile).
    spawn();
    if (!noneDropped) {
      for (const kind of CLEANUP_KINDS) {
        const info = kindInfo(kind)!;
        for (const { obj } of this.#o.source.all(kind)) {
          if (this.#records.get(keyOf(kind, obj))?.named === round || !withoutOurEntries(kind, obj.status, this.#o.controllerName)) continue;
          jobs.push(() => this.#writeOne(info, obj.metadata.name, obj.metadata.namespace, (cur) => withoutOurEntries(kind, cur, this.#o.controllerName) ?? cur));
        }
      }
    }
    jobs.push(...backlog);
    if (!noneDropped) {
      for (const map of [this.#memo, this.#afterWrite]) for (const k of map.keys()) if (this.#records.get(k)?.named !== round) map.delete(k);
      for (const [k, rec] of this.#records) {
        if (rec.named === round) continue;
        rec.dropped = true;
        this.#records.delete(k);
      }
    }
    spawn();
    await Promise.all(workers);
    logger.debug('statuses published', {
      objects: jobs.length + skipped,
      compared: jobs.length,
      written: this.counters.written - before.written,
      conflicts: this.counters.conflicts - before.conflicts,
      ms: Math.round(performance.now() - t0),
      // Objects whose stored status differs from what we wrote (the server normalised it).
      normalised: this.#memo.size,
      ...(next < jobs.length ? { supersededAfter: next } : {}),
    });
    // Every job ran (none left for a newer set): the next set may skip the stale-entry pass.
    if (next >= jobs.length) this.#complete = { round, objects };
    return next < jobs.length && this.#pending !== undefined;
  }

  /** The write of one computed status, merged with the server's at the time it runs. */
  #job(info: KindInfo, st: ObjectStatus, rec: ObjectRecord): () => Promise<void> {
    return () => this.#writeOne(info, st.metadata.name, st.metadata.namespace, (cur) =>
      mergeStatus(st.kind, cur, st.status, this.#o.controllerName, st.metadata.generation, kubeTime(this.#o.now())), st.metadata.generation, { st, rec });
  }

  /**
   * One object: `desiredFor(currentStatus)` gives the status to write. `generation` is the one the
   * status was computed for; a cached object already at a newer generation is skipped (a newer
   * snapshot, and so a newer status, is on its way).
   */
  async #writeOne(info: KindInfo, name: string, namespace: string | undefined, desiredFor: (cur: any) => any, generation?: number, of?: { st: ObjectStatus; rec: ObjectRecord }): Promise<void> {
    const cached = this.#o.source.lookup(info.kind, name, namespace);
    if (!cached) return;
    let obj = cached.obj;
    // The cache may update the object's status and resourceVersion in place while we wait.
    const cachedRv: string | undefined = obj.metadata?.resourceVersion;
    const version = cached.version;
    const path = objectPath(info, version, name, namespace);
    const memoKey = `${info.kind}/${namespace ?? ''}/${name}`;
    const mine = this.#afterWrite.get(memoKey);
    if (mine && mine.overwrote === obj.metadata?.resourceVersion) obj = mine.obj;
    else this.#afterWrite.delete(memoKey);
    // The object as the cache (or our last write over the cached one) has it: a verdict about it
    // holds until the cache changes. Not so for a copy re-read after a conflict.
    const asCached = obj;
    for (let attempt = 0; attempt <= this.#o.maxConflictRetries; attempt++) {
      if (generation !== undefined && (obj.metadata?.generation ?? 0) > generation) return;
      const desired = desiredFor(obj.status);
      const memo = this.#memo.get(memoKey);
      if (jsonEqual(desired, obj.status ?? {}) || (memo && memo.desired === JSON.stringify(desired) && memo.stored === JSON.stringify(obj.status ?? {}))) {
        this.counters.unchanged++;
        // In sync with the object the cache holds (not with a re-read after a conflict).
        if (of && obj === asCached) of.rec.settled = { st: of.st, obj: cached.obj, rv: cachedRv, wrote: undefined };
        return;
      }
      if (!this.#o.canWrite()) return;
      const statusBefore = obj.status;
      let res;
      try {
        res = await this.#client.request('PUT', `${path}/status`, { body: { ...obj, status: desired } });
      } catch (err) {
        this.counters.failed++;
        logger.warn('status write failed', { kind: info.kind, namespace, name, err: err as Error });
        return;
      }
      if (res.status === 200) {
        this.counters.written++;
        if (of) {
          of.rec.written = of.st;
          of.rec.writtenAt = performance.now();
        }
        const stored = res.body?.status ?? {};
        if (jsonEqual(desired, stored)) this.#memo.delete(memoKey);
        else this.#memo.set(memoKey, { desired: JSON.stringify(desired), stored: JSON.stringify(stored) });
        if (res.body?.metadata) {
          delete res.body.metadata.managedFields;
          this.#afterWrite.set(memoKey, { overwrote: cachedRv, obj: res.body });
        }
        // Until the cache shows our write (a new object there), the write stands for it; unless the
        // cache replaced the object while we wrote (then no forget() would come for this record).
        if (of && this.#o.source.lookup(info.kind, name, namespace)?.obj === cached.obj) of.rec.settled = { st: of.st, obj: cached.obj, rv: cachedRv, wrote: res.body?.metadata?.resourceVersion };
        for (const ev of statusEvents(info.kind, statusBefore, desired, this.#o.controllerName)) this.#o.onEvent?.(res.body ?? obj, obj.apiVersion, ev);
        return;
      }
      if (res.status === 404) {
        this.counters.notFound++;
        return;
      }
      if (res.status !== 409) {
        this.counters.failed++;
        logger.warn('status write rejected', { kind: info.kind, namespace, name, error: statusMessage(res) });
        return;
      }
      // Conflict: someone wrote the object since we read it. Re-read and merge again.
      this.counters.conflicts++;
      const fresh = await this.#client.request('GET', path).catch(() => undefined);
      if (!fresh || fresh.status === 404) {
        if (fresh) this.counters.notFound++;
        return;
      }
      if (fresh.status !== 200) {
        this.counters.failed++;
        logger.warn('status re-read failed', { kind: info.kind, namespace, name, error: statusMessage(fresh) });
        return;
      }
      obj = fresh.body;
    }
    this.counters.failed++;
    logger.warn('status write gave up after repeated conflicts', { kind: info.kind, namespace, name });
  }
}
