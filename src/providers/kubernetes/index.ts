// The kubernetes provider: informers (reflectors) for every kind in the snapshot, a snapshot
// emitter that waits for every initial list and then acts on the leading edge of each burst of
// changes, the status writer (never awaited by the runtime), optional leader election and an
// event recorder. `wicket run --kubeconfig PATH` (or in-cluster credentials) uses it.
import { hostname } from 'node:os';
import { enabled, logger } from '../../log.ts';
import type { Provider, SnapshotUpdate } from '../api.ts';
import type { ObjectStatus } from '../../translate/api.ts';
import { EventRecorder } from './event-recorder.ts';
import { KubeClient } from './kube-client.ts';
import { KINDS } from './kinds.ts';
import type { WatchedKind } from './kinds.ts';
import { LeaderElector } from './leader-election.ts';
import { Reflector } from './reflector.ts';
import type { Snapshot } from '../../resources/snapshot.ts';
import { inputPrint, sameInputs } from './snapshot-assembly.ts';
import { SnapshotAssembler, type KindSource } from './incremental-assembly.ts';
import { StatusWriter } from './status-writer.ts';

export interface KubernetesProviderOptions {
  kubeconfig?: string;
  controllerName: string;
  leaderElection?: { namespace: string; name: string; identity: string };
  /**
   * A change is emitted at once; further changes within this many ms are coalesced into one
   * snapshot at the end of the window (ms; default 10).
   */
  debounceMs?: number;
  /** How often kinds whose CRD is missing are looked for again (ms, default 10 s). */
  absentRetryMs?: number;
  lease?: { leaseDurationMs?: number; renewDeadlineMs?: number; retryPeriodMs?: number };
  /**
   * How often the last statuses are compared with the server again (ms, default 30 s; 0 = never),
   * so a status someone else overwrote is put back even when no input changed.
   */
  resyncMs?: number;
  /** Status writes in flight at once (default: the StatusWriter's). */
  statusConcurrency?: number;
  /** Emit Kubernetes Events for status transitions (default true). */
  events?: boolean;
  /** Use this client instead of loading `kubeconfig`. */
  client?: KubeClient;
}

export interface KubernetesProvider extends Provider {
  /** True when this replica may write status (always, without leader election). */
  readonly isLeader: boolean;
  /** For tests and diagnostics. */
  readonly reflectors: ReadonlyMap<WatchedKind, Reflector>;
  readonly statusWriter: StatusWriter;
  readonly events: EventRecorder | undefined;
  /**
   * Resolves once every status given to publishStatus (which returns at once) has been written,
   * or found unchanged, or skipped for not leading.
   */
  statusWritten(): Promise<void>;
}

/** The default Lease name for a controller name: wicket.dev/gateway-controller → wicket-dev-gateway-controller. */
export function leaseNameFor(controllerName: string): string {
  return controllerName.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63) || 'wicket';
}

/**
 * Leader election settings: as given, or — running in a cluster (no kubeconfig) with POD_NAMESPACE
 * set through the downward API, as deploy/deployment.yaml does — a Lease in the Pod's namespace
 * named after the controller name, held under the Pod's name.
 */
function leaderElectionSettings(options: KubernetesProviderOptions): KubernetesProviderOptions['leaderElection'] {
  if (options.leaderElection) return options.leaderElection;
  const ns = process.env.POD_NAMESPACE;
  if (options.kubeconfig !== undefined || options.client || !ns) return undefined;
  return { namespace: ns, name: leaseNameFor(options.controllerName), identity: process.env.POD_NAME || `${hostname()}-${process.pid}` };
}

export function createKubernetesProvider(options: KubernetesProviderOptions): KubernetesProvider {
  const client = options.client ?? KubeClient.load(options.kubeconfig);
  const debounceMs = options.debounceMs ?? 10;
  const leaderElection = leaderElectionSettings(options);
  const identity = leaderElection?.identity ?? `${hostname()}-${process.pid}`;
  const reflectors = new Map<WatchedKind, Reflector>();
  let onUpdate: ((u: SnapshotUpdate) => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  let immediate: NodeJS.Immediate | undefined;
  let lastSnapshot: Snapshot | undefined;
  const assembler = new SnapshotAssembler(options.controllerName);
  let stopped = false;
  // A snapshot went out whose statuses have not come back yet: a resync now would write older ones.
  let emittedSincePublish = false;
  let resyncTimer: NodeJS.Timeout | undefined;

  const emit = () => {
    if (stopped || !onUpdate) return;
    for (const r of reflectors.values()) if (!r.synced) return; // never a partial snapshot
    // What changed since the last snapshot, kind by kind: assembling costs that, not every object.
    const sources = new Map<WatchedKind, KindSource>();
    for (const [kind, r] of reflectors) sources.set(kind, { changes: r.takeChanges(), items: () => r.items(), get: (k) => r.getByKey(k) });
    const snapshot = assembler.assemble(sources);
    if (lastSnapshot && sameInputs(snapshot, lastSnapshot)) return;
    lastSnapshot = snapshot;
    emittedSincePublish = true;
    // The time a change reached the runtime (bench/scenarios/convergence-k8s-trace.ts reads it).
    if (enabled('debug')) logger.debug('snapshot emitted', { httpRoutes: snapshot.httpRoutes.length });
    try {
      onUpdate({ snapshot, diagnostics: [] });
    } catch (err) {
      logger.error('snapshot consumer failed', { err: err as Error });
    }
  };
  // Leading edge, then at most one snapshot per debounceMs: the first change after a quiet spell is
  // emitted at once (after the events already read from the same chunk, setImmediate), and the
  // changes that follow within debounceMs are coalesced into one snapshot at the window's end. A
  // burst (a relist, kubectl apply of many objects) thus costs one snapshot per window, and a
  // lone change costs no waiting at all.
  let dirty = false;
  const flush = () => {
    immediate = undefined;
    timer = undefined;
    if (stopped || !dirty) return;
    dirty = false;
    emit();
    timer = setTimeout(flush, debounceMs);
  };
  const schedule = () => {
    if (stopped) return;
    dirty = true;
    if (!timer && !immediate) immediate = setImmediate(flush);
  };

  for (const info of KINDS) {
    reflectors.set(info.kind, new Reflector(client, info, {
      onChange: schedule,
      // Our own status writes come back as updates: they need no new snapshot.
      sameInputs: (a, b) => inputPrint(a) === inputPrint(b),
      // The status writer trusts what it found in sync with an object until the object leaves the
      // cache (it is told here), instead of looking up every object on every publish.
      onReplaced: (before) => writer.forget(info.kind, before),
      absentRetryMs: options.absentRetryMs,
    }));
  }

  const source = {
    lookup(kind: string, name: string, namespace?: string) {
      const r = reflectors.get(kind as WatchedKind);
      const obj = r?.get(name, namespace);
      return obj && r?.version ? { obj, version: r.version } : undefined;
    },
    all(kind: string) {
      const r = reflectors.get(kind as WatchedKind);
      return r?.version ? r.items().map((obj) => ({ obj, version: r.version! })) : [];
    },
  };

  let elector: LeaderElector | undefined;
  const events = options.events === false ? undefined : new EventRecorder(client, { controllerName: options.controllerName, instance: identity });
  const writer = new StatusWriter(client, {
    controllerName: options.controllerName,
    source,
    canWrite: () => !stopped && (elector ? elector.isLeader : true),
    concurrency: options.statusConcurrency,
    replacementsReported: true,
    onEvent: (obj, apiVersion, ev) => {
      void events?.record(
        { apiVersion, kind: obj.kind, name: obj.metadata.name, namespace: obj.metadata.namespace, uid: obj.metadata.uid },
        ev,
      );
    },
  });
  if (leaderElection) {
    elector = new LeaderElector(client, {
      ...leaderElection,
      ...options.lease,
      // A new leader writes the full current status: the previous one may have died mid-write.
      onStartedLeading: () => void writer.republish(),
    });
  }

  return {
    get isLeader() {
      return elector ? elector.isLeader : true;
    },
    reflectors,
    statusWriter: writer,
    events,
    async start(cb) {
      onUpdate = cb;
      stopped = false;
      for (const r of reflectors.values()) r.start();
      elector?.start();
      const resyncMs = options.resyncMs ?? 30_000;
      if (resyncMs > 0) {
        resyncTimer = setInterval(() => {
          // Objects whose cached copy moved since found in sync, and our stale entries: a status
          // someone overwrote comes back through the watch, so 5,000 others need no comparing.
          if (!emittedSincePublish) void writer.republish({ recheck: false });
        }, resyncMs);
        resyncTimer.unref();
      }
    },
    publishStatus(statuses: ObjectStatus[]) {
      emittedSincePublish = false;
      // Not awaited: the runtime handles the next snapshot while these are written (a newer set
      // queued meanwhile replaces this one), so status writes never delay serving a change.
      void writer.publish(statuses);
      return Promise.resolve();
    },
    statusWritten() {
      return writer.idle();
    },
    async stop() {
      stopped = true;
      onUpdate = undefined;
      if (timer) clearTimeout(timer);
      if (immediate) clearImmediate(immediate);
      timer = undefined;
      immediate = undefined;
      if (resyncTimer) clearInterval(resyncTimer);
      resyncTimer = undefined;
      await Promise.all([...reflectors.values()].map((r) => r.stop()));
      // Writes in flight finish (nothing new starts once stopped) before the connections close.
      await writer.idle();
      await elector?.stop();
      // Our own client's pooled keep-alive connections would hold the process open for seconds.
      if (!options.client) await client.close();
    },
  };
}
