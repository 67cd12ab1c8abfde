// Writes computed statuses to the status subresource. For each object: merge with the server's
// status (status-merge.ts), skip when equal, PUT with the object's resourceVersion (optimistic
// concurrency), and on 409 re-read the object and merge again. Objects deleted meanwhile (404) are
// skipped. Calls coalesce: a publish arriving while one runs waits, and only the newest set is
// written next. Routes that no longer name any of our parents get our entries removed.
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
  concurrency?: number;
  maxConflictRetries?: number;
}

const CLEANUP_KINDS = ['HTTPRoute', 'GRPCRoute', 'TLSRoute', 'TCPRoute', 'UDPRoute', 'BackendTLSPolicy'];

export interface WriteCounters {
  written: number;
  unchanged: number;
  conflicts: number;
  notFound: number;
  failed: number;
}

export class StatusWriter {
  readonly #client: KubeClient;
  readonly #o: Required<Omit<StatusWriterOptions, 'onEvent'>> & StatusWriterOptions;
  #latest: ObjectStatus[] | undefined;
  #pending: { statuses: ObjectStatus[]; waiters: (() => void)[] } | undefined;
  #running = false;
  /** What the server stored after our last write of each object: skip it if nothing moved since. */
  readonly #memo = new Map<string, { desired: string; stored: string }>();
  /**
   * The object as our last write left it, until the cache catches up: without it the next publish
   * would compare against the cache's older copy, write again with its stale resourceVersion, and
   * pay a 409 and a re-read to learn that nothing needed writing.
   */
  readonly #afterWrite = new Map<string, { overwrote: string; obj: any }>();
  readonly counters: WriteCounters = { written: 0, unchanged: 0, conflicts: 0, notFound: 0, failed: 0 };

  constructor(client: KubeClient, opts: StatusWriterOptions) {
    this.#client = client;
    this.#o = { ...opts, now: opts.now ?? (() => new Date()), concurrency: opts.concurrency ?? 8, maxConflictRetries: opts.maxConflictRetries ?? 8 };
  }

  /** Writes these statuses (when allowed); resolves once they, or a newer set, are written. */
  publish(statuses: ObjectStatus[]): Promise<void> {
    this.#latest = statuses;
    return new Promise((resolve) => {
      if (this.#pending) {
        this.#pending.statuses = statuses;
        this.#pending.waiters.push(resolve);
      } else {
        this.#pending = { statuses, waiters: [resolve] };
      }
      void this.#drain();
    });
  }

  /** Rewrites the last statuses given (a replica that just became leader). */
  republish(): Promise<void> {
    return this.#latest ? this.publish(this.#latest) : Promise.resolve();
  }

  async #drain(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    try {
      while (this.#pending) {
        const { statuses, waiters } = this.#pending;
        this.#pending = undefined;
        if (this.#o.canWrite()) {
          try {
            await this.#writeAll(statuses);
          } catch (err) {
            logger.error('status write failed', { err: err as Error });
          }
        }
        for (const w of waiters) w();
      }
    } finally {
      this.#running = false;
    }
  }

  async #writeAll(statuses: ObjectStatus[]): Promise<void> {
    const jobs: (() => Promise<void>)[] = [];
    const covered = new Set<string>();
    for (const st of statuses) {
      covered.add(`${st.kind}/${st.metadata.namespace ?? ''}/${st.metadata.name}`);
      const info = kindInfo(st.kind);
      if (!info?.hasStatus) continue;
      jobs.push(() => this.#writeOne(info, st.metadata.name, st.metadata.namespace, (cur) =>
        mergeStatus(st.kind, cur, st.status, this.#o.controllerName, st.metadata.generation, kubeTime(this.#o.now())), st.metadata.generation));
    }
    for (const kind of CLEANUP_KINDS) {
      const info = kindInfo(kind)!;
      for (const { obj } of this.#o.source.all(kind)) {
        const k = `${kind}/${obj.metadata.namespace ?? ''}/${obj.metadata.name}`;
        if (covered.has(k) || !withoutOurEntries(kind, obj.status, this.#o.controllerName)) continue;
        jobs.push(() => this.#writeOne(info, obj.metadata.name, obj.metadata.namespace, (cur) => withoutOurEntries(kind, cur, this.#o.controllerName) ?? cur));
      }
    }
    for (const k of [...this.#memo.keys()]) if (!covered.has(k)) this.#memo.delete(k);
    for (const k of [...this.#afterWrite.keys()]) if (!covered.has(k)) this.#afterWrite.delete(k);
    let next = 0;
    const worker = async () => {
      while (next < jobs.length && this.#o.canWrite()) await jobs[next++]!();
    };
    const t0 = performance.now();
    const before = { ...this.counters };
    await Promise.all(Array.from({ length: Math.min(this.#o.concurrency, jobs.length) }, worker));
    logger.debug('statuses published', {
      objects: jobs.length,
      written: this.counters.written - before.written,
      conflicts: this.counters.conflicts - before.conflicts,
      ms: Math.round(performance.now() - t0),
    });
  }

  /**
   * One object: `desiredFor(currentStatus)` gives the status to write. `generation` is the one the
   * status was computed for; a cached object already at a newer generation is skipped (a newer
   * snapshot, and so a newer status, is on its way).
   */
  async #writeOne(info: KindInfo, name: string, namespace: string | undefined, desiredFor: (cur: any) => any, generation?: number): Promise<void> {
    const cached = this.#o.source.lookup(info.kind, name, namespace);
    if (!cached) return;
    let obj = cached.obj;
    const version = cached.version;
    const path = objectPath(info, version, name, namespace);
    const memoKey = `${info.kind}/${namespace ?? ''}/${name}`;
    const mine = this.#afterWrite.get(memoKey);
    if (mine && mine.overwrote === obj.metadata?.resourceVersion) obj = mine.obj;
    else this.#afterWrite.delete(memoKey);
    for (let attempt = 0; attempt <= this.#o.maxConflictRetries; attempt++) {
      if (generation !== undefined && (obj.metadata?.generation ?? 0) > generation) return;
      const desired = desiredFor(obj.status);
      const memo = this.#memo.get(memoKey);
      if (jsonEqual(desired, obj.status ?? {}) || (memo && memo.desired === JSON.stringify(desired) && memo.stored === JSON.stringify(obj.status ?? {}))) {
        this.counters.unchanged++;
        return;
      }
      if (!this.#o.canWrite()) return;
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
        this.#memo.set(memoKey, { desired: JSON.stringify(desired), stored: JSON.stringify(res.body?.status ?? {}) });
        if (res.body?.metadata) {
          delete res.body.metadata.managedFields;
          this.#afterWrite.set(memoKey, { overwrote: cached.obj.metadata?.resourceVersion, obj: res.body });
        }
        for (const ev of statusEvents(info.kind, obj.status, desired, this.#o.controllerName)) this.#o.onEvent?.(res.body ?? obj, obj.apiVersion, ev);
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
