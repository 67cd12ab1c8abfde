// One kind's list+watch cache (a reflector, in client-go's words). It lists, then watches from the
// list's resourceVersion; on a dropped watch it re-watches from the last version it saw; on 410 Gone
// it relists. The cache is only ever replaced by a completed list, so a restarting API server never
// makes objects disappear in between. A kind whose CRD is not installed is "absent": an empty list
// that still counts as synced, retried periodically until the CRD appears.
import { logger } from '../../log.ts';
import type { KubeClient } from './kube-client.ts';
import { statusMessage } from './kube-client.ts';
import type { KindInfo } from './kinds.ts';
import { apiVersionOf, collectionPath } from './kinds.ts';

export type ReflectorState = 'unsynced' | 'synced' | 'absent';

export interface ReflectorOptions {
  /** Called after every change to the cache (and after the first sync). */
  onChange: () => void;
  /**
   * True when an update changes nothing the snapshot's consumers read but status and bookkeeping
   * metadata (our own status writes echoed back): the cached object takes the new status and
   * resourceVersion in place, keeping its identity, and onChange is not called. Default: never.
   */
  sameInputs?: (before: any, after: any) => boolean;
  /**
   * Called with a cached object that leaves the cache: replaced by another object (an update that
   * is not status-only, a relist's copy) or deleted. Not called for status-only updates, which
   * change the cached object in place (its resourceVersion moves). The status writer drops what it
   * knew about the object, so it need not look every object up to notice a replacement.
   */
  onReplaced?: (before: any) => void;
  /** How often to look again for a kind whose CRD is missing (ms). */
  absentRetryMs?: number;
  /** Upper bound of the exponential back-off after errors (ms). */
  maxBackoffMs?: number;
}

const PAGE_SIZE = '500';

function keyOf(obj: any): string {
  const ns = obj?.metadata?.namespace;
  return ns ? `${ns}/${obj.metadata.name}` : obj.metadata.name;
}

export class Reflector {
  readonly info: KindInfo;
  state: ReflectorState = 'unsynced';
  /** The served version in use, once found. */
  version: string | undefined;
  /** Number of completed lists (tests watch it to see a relist happen). */
  lists = 0;
  readonly #client: KubeClient;
  readonly #opts: Required<Omit<ReflectorOptions, 'sameInputs' | 'onReplaced'>> & Pick<ReflectorOptions, 'sameInputs' | 'onReplaced'>;
  #store = new Map<string, any>();
  /** Keys changed since takeChanges() last ran; null: everything may have (a list replaced the store). */
  #changes: Set<string> | null = null;
  #resourceVersion = '';
  #stopped = false;
  #failures = 0;
  #watch: AbortController | undefined;
  /** Ends the current watch wait at once (stop() while a watch is still connecting). */
  #endWatch: (() => void) | undefined;
  /** Aborted by stop(): ends an in-flight list at once. */
  #abort = new AbortController();
  #sleepTimer: NodeJS.Timeout | undefined;
  #wake: (() => void) | undefined;
  #loop: Promise<void> | undefined;

  constructor(client: KubeClient, info: KindInfo, opts: ReflectorOptions) {
    this.#client = client;
    this.info = info;
    this.#opts = { onChange: opts.onChange, sameInputs: opts.sameInputs, onReplaced: opts.onReplaced, absentRetryMs: opts.absentRetryMs ?? 10_000, maxBackoffMs: opts.maxBackoffMs ?? 5_000 };
  }

  get synced(): boolean {
    return this.state !== 'unsynced';
  }

  /** The cached objects (shared; callers must not mutate them). */
  items(): any[] {
    return [...this.#store.values()];
  }

  /** The cached object under a store key (`namespace/name` or `name`). */
  getByKey(key: string): any {
    return this.#store.get(key);
  }

  /** The keys whose objects changed (set, replaced, deleted) since the last call, or 'all'. */
  takeChanges(): ReadonlySet<string> | 'all' {
    const c = this.#changes;
    this.#changes = new Set();
    return c ?? 'all';
  }

  get(name: string, namespace?: string): any {
    return this.#store.get(namespace && this.info.namespaced ? `${namespace}/${name}` : name);
  }

  start(): void {
    if (this.#loop) return;
    this.#stopped = false;
    this.#abort = new AbortController();
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#abort.abort();
    this.#watch?.abort();
    this.#endWatch?.();
    this.#wakeUp();
    await this.#loop;
    this.#loop = undefined;
  }

  /** Cuts a sleep short: used on stop, and by the provider to retry absent kinds on demand. */
  #wakeUp(): void {
    if (this.#sleepTimer) clearTimeout(this.#sleepTimer);
    this.#sleepTimer = undefined;
    const w = this.#wake;
    this.#wake = undefined;
    w?.();
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.#wake = resolve;
      this.#sleepTimer = setTimeout(() => this.#wakeUp(), ms);
    });
  }

  #backoffMs(): number {
    const base = Math.min(this.#opts.maxBackoffMs, 200 * 2 ** Math.min(this.#failures, 10));
    this.#failures++;
    return base / 2 + Math.random() * (base / 2);
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      try {
        if (!this.#resourceVersion) {
          const found = await this.#relist();
          if (this.#stopped) break;
          if (!found) {
            await this.#sleep(this.#opts.absentRetryMs);
            continue;
          }
        }
        const outcome = await this.#watchOnce();
        if (outcome === 'gone') this.#resourceVersion = '';
        else if (outcome === 'error') await this.#sleep(this.#backoffMs());
      } catch (err) {
        if (this.#stopped) break;
        logger.warn('kubernetes list failed; retrying', { kind: this.info.kind, err: err as Error });
        await this.#sleep(this.#backoffMs());
      }
    }
  }

  /** Lists every page; returns false when no candidate version is served (CRD not installed). */
  async #relist(): Promise<boolean> {
    const candidates = this.version ? [this.version, ...this.info.versions.filter((v) => v !== this.version)] : this.info.versions;
    let forbidden: string | undefined;
    for (const version of candidates) {
      const listed = await this.#listAll(version);
      if (listed === 'missing') continue;
      if (typeof listed === 'string') {
        forbidden = listed;
        break;
      }
      if (this.version !== version) logger.info('kubernetes kind found', { kind: this.info.kind, version });
      this.version = version;
      this.#replace(listed.items);
      this.#resourceVersion = listed.resourceVersion;
      this.#failures = 0;
      this.lists++;
      return true;
    }
    if (this.state !== 'absent') {
      if (forbidden) logger.warn('kubernetes kind not readable (RBAC); treating as empty', { kind: this.info.kind, error: forbidden, retryMs: this.#opts.absentRetryMs });
      else logger.info('kubernetes kind not served; treating as empty', { kind: this.info.kind, retryMs: this.#opts.absentRetryMs });
    }
    this.version = undefined;
    this.#dropAll(new Map());
    this.#store = new Map();
    this.#changes = null;
    this.#resourceVersion = '';
    this.state = 'absent';
    this.#opts.onChange();
    return false;
  }

  /**
   * Every page of one version's list: the items and the list's resourceVersion; 'missing' when the
   * version is not served; the error text when an optional kind may not be read (403), so a
   * ClusterRole without, say, listenersets degrades to "no ListenerSets" instead of no snapshot.
   * Other errors throw (the caller backs off and retries).
   */
  async #listAll(version: string): Promise<{ items: any[]; resourceVersion: string } | 'missing' | string> {
    const items: any[] = [];
    let cont: string | undefined;
    for (;;) {
      const res = await this.#client.request('GET', collectionPath(this.info, version), { query: { limit: PAGE_SIZE, continue: cont, fieldSelector: this.info.fieldSelector }, signal: this.#abort.signal });
      if (res.status === 404) return 'missing';
      if (res.status === 403 && this.info.optional) return statusMessage(res);
      if (res.status === 410 && cont) {
        // The continue token expired mid-list: start the list over.
        items.length = 0;
        cont = undefined;
        continue;
      }
      if (res.status !== 200) throw new Error(`list ${this.info.kind}: ${statusMessage(res)}`);
      for (const item of res.body.items ?? []) items.push(this.#normalise(item, version));
      cont = res.body.metadata?.continue || undefined;
      if (!cont) return { items, resourceVersion: res.body.metadata?.resourceVersion ?? '' };
      if (this.#stopped) throw new Error('stopped');
    }
  }

  #replace(items: any[]): void {
    const next = new Map<string, any>();
    for (const item of items) {
      const key = keyOf(item);
      const before = this.#store.get(key);
      // A relist (after 410 Gone) keeps the identity of objects whose inputs did not change, as
      // the watch does: the translator's per-object caches survive it.
      if (before !== undefined && this.#opts.sameInputs?.(before, item)) next.set(key, this.#takeStatus(before, item));
      else next.set(key, item);
    }
    this.#dropAll(next);
    this.#store = next;
    this.#changes = null;
    this.state = 'synced';
    // The provider compares snapshots, so a relist that changed nothing emits nothing.
    this.#opts.onChange();
  }

  /** Reports every cached object that `next` (the store to be) does not hold as it is. */
  #dropAll(next: Map<string, any>): void {
    const report = this.#opts.onReplaced;
    if (report) for (const [key, before] of this.#store) if (next.get(key) !== before) report(before);
  }

  /** Moves status and resourceVersion, all that differs, from `after` into `before`; returns `before`. */
  #takeStatus(before: any, after: any): any {
    before.metadata.resourceVersion = after.metadata.resourceVersion;
    if (after.status === undefined) delete before.status;
    else before.status = after.status;
    return before;
  }

  /** List items carry no apiVersion/kind; managedFields are bulky and of no use to us. */
  #normalise(obj: any, version: string): any {
    obj.apiVersion = apiVersionOf(this.info.group, version);
    obj.kind = this.info.kind;
    if (obj.metadata) delete obj.metadata.managedFields;
    return obj;
  }

  #watchOnce(): Promise<'gone' | 'ended' | 'error'> {
    const version = this.version!;
    return new Promise<'gone' | 'ended' | 'error'>((settle) => {
      let gone = false;
      const resolve = (v: 'gone' | 'ended' | 'error') => {
        this.#endWatch = undefined;
        settle(v);
      };
      this.#endWatch = () => resolve('ended');
      const onEvent = (type: string, obj: any) => {
        if (type === 'ERROR') {
          if (obj?.code === 410) gone = true;
          else logger.warn('kubernetes watch error event', { kind: this.info.kind, message: obj?.message });
          return;
        }
        if (!obj?.metadata) return;
        if (obj.metadata.resourceVersion) this.#resourceVersion = obj.metadata.resourceVersion;
        this.#failures = 0;
        if (type === 'ADDED' || type === 'MODIFIED') {
          const key = keyOf(obj);
          const before = this.#store.get(key);
          const after = this.#normalise(obj, version);
          if (before !== undefined && this.#opts.sameInputs?.(before, after)) {
            // Only status and bookkeeping moved (our own status writes, echoed back): the cached
            // object takes them in place and keeps its identity, so the translator's per-object
            // caches stay valid, and no snapshot is due.
            this.#takeStatus(before, after);
          } else {
            if (before !== undefined) this.#opts.onReplaced?.(before);
            this.#store.set(key, after);
            this.#changes?.add(key);
            this.#opts.onChange();
          }
        } else if (type === 'DELETED') {
          const key = keyOf(obj);
          const before = this.#store.get(key);
          if (before !== undefined) this.#opts.onReplaced?.(before);
          if (this.#store.delete(key)) {
            this.#changes?.add(key);
            this.#opts.onChange();
          }
        }
        // BOOKMARK: only the resourceVersion moves.
      };
      const onDone = (err?: any) => {
        this.#watch = undefined;
        if (gone || err?.statusCode === 410) return resolve('gone');
        if (err?.statusCode === 404) {
          // The CRD went away: relist, which finds it absent and empties the cache.
          this.#resourceVersion = '';
          return resolve('ended');
        }
        if (!err || err.name === 'TimeoutError' || err.name === 'AbortError') return resolve('ended');
        if (!this.#stopped) logger.debug('kubernetes watch ended with error', { kind: this.info.kind, err });
        resolve('error');
      };
      // The server ends a watch after timeoutSeconds; keep it below the client's 30 s idle timeout
      // so quiet kinds re-watch cleanly instead of timing out.
      const timeoutSeconds = String(20 + Math.floor(Math.random() * 8));
      this.#client
        .watch(
          collectionPath(this.info, version),
          { resourceVersion: this.#resourceVersion, allowWatchBookmarks: 'true', timeoutSeconds, fieldSelector: this.info.fieldSelector },
          onEvent,
          onDone,
        )
        .then((ctl) => {
          if (this.#stopped) ctl.abort();
          else this.#watch = ctl;
        }, onDone);
    });
  }
}
