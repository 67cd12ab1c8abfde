// The kubernetes provider: informers (reflectors) for every kind in the snapshot, a debounced
// snapshot emitter that waits for every initial list, the status writer, optional leader election
// and an event recorder. `wicket run --kubeconfig PATH` (or in-cluster credentials) uses it.
import { hostname } from 'node:os';
import { logger } from '../../log.ts';
import type { Provider, SnapshotUpdate } from '../api.ts';
import type { ObjectStatus } from '../../translate/api.ts';
import { EventRecorder } from './event-recorder.ts';
import { KubeClient } from './kube-client.ts';
import { KINDS } from './kinds.ts';
import type { WatchedKind } from './kinds.ts';
import { LeaderElector } from './leader-election.ts';
import { Reflector } from './reflector.ts';
import { assembleSnapshot, snapshotFingerprint } from './snapshot-assembly.ts';
import type { KindCaches } from './snapshot-assembly.ts';
import { StatusWriter } from './status-writer.ts';

export interface KubernetesProviderOptions {
  kubeconfig?: string;
  controllerName: string;
  leaderElection?: { namespace: string; name: string; identity: string };
  /** Quiet time after the last event before a snapshot is built (ms; default 10, at most 100 per burst). */
  debounceMs?: number;
  /** How often kinds whose CRD is missing are looked for again (ms, default 10 s). */
  absentRetryMs?: number;
  lease?: { leaseDurationMs?: number; renewDeadlineMs?: number; retryPeriodMs?: number };
  /**
   * How often the last statuses are compared with the server again (ms, default 30 s; 0 = never),
   * so a status someone else overwrote is put back even when no input changed.
   */
  resyncMs?: number;
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
  const maxWaitMs = Math.max(debounceMs, 100);
  const leaderElection = leaderElectionSettings(options);
  const identity = leaderElection?.identity ?? `${hostname()}-${process.pid}`;
  const reflectors = new Map<WatchedKind, Reflector>();
  let onUpdate: ((u: SnapshotUpdate) => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  let lastPrint: string | undefined;
  let stopped = false;
  // A snapshot went out whose statuses have not come back yet: a resync now would write older ones.
  let emittedSincePublish = false;
  let resyncTimer: NodeJS.Timeout | undefined;

  const emit = () => {
    timer = undefined;
    if (stopped || !onUpdate) return;
    for (const r of reflectors.values()) if (!r.synced) return; // never a partial snapshot
    const caches: KindCaches = {};
    for (const [kind, r] of reflectors) caches[kind] = r.items();
    const snapshot = assembleSnapshot(caches, options.controllerName);
    const print = snapshotFingerprint(snapshot);
    if (print === lastPrint) return;
    lastPrint = print;
    emittedSincePublish = true;
    try {
      onUpdate({ snapshot, diagnostics: [] });
    } catch (err) {
      logger.error('snapshot consumer failed', { err: err as Error });
    }
  };
  // Trailing-edge debounce: a burst of events (a relist, kubectl apply of many objects) becomes one
  // snapshot debounceMs after the last event, but never later than maxWaitMs after the first.
  let burstStart = 0;
  const schedule = () => {
    if (stopped) return;
    const now = Date.now();
    if (!timer) burstStart = now;
    else clearTimeout(timer);
    timer = setTimeout(emit, Math.max(0, Math.min(debounceMs, burstStart + maxWaitMs - now)));
  };

  for (const info of KINDS) {
    reflectors.set(info.kind, new Reflector(client, info, { onChange: schedule, absentRetryMs: options.absentRetryMs }));
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
          if (!emittedSincePublish) void writer.republish();
        }, resyncMs);
        resyncTimer.unref();
      }
    },
    publishStatus(statuses: ObjectStatus[]) {
      emittedSincePublish = false;
      return writer.publish(statuses);
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      if (resyncTimer) clearInterval(resyncTimer);
      resyncTimer = undefined;
      await Promise.all([...reflectors.values()].map((r) => r.stop()));
      await elector?.stop();
      // Our own client's pooled keep-alive connections would hold the process open for seconds.
      if (!options.client) await client.close();
    },
  };
}
