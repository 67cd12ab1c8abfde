// The control loop: provider → translate → dataPlane.apply → provider.publishStatus.
//
// - Updates are handled one at a time; a burst of snapshots collapses to the newest one.
// - An IR equal to the one in force is not applied again.
// - Sockets the data plane could not bind are fed back into translate (`unavailableSockets`) so the
//   listeners on them report PortUnavailable; the feedback loop is bounded.
// - Status is published only after the data plane serves the configuration it describes, and off
//   the path of the next change: it is computed once changes have been quiet for a moment (bounded,
//   see STATUS_QUIET_MS), and a status overtaken by a newer configuration is skipped for it.
// - On any error the last good configuration keeps serving; input never stops the process.
import type { DataPlane } from '../proxy/api.ts';
import type { IR } from '../ir/types.ts';
import type { Provider, SnapshotUpdate } from '../providers/api.ts';
import { formatDiagnostic, type Diagnostic } from '../resources/diagnostic.ts';
import type { Snapshot } from '../resources/snapshot.ts';
import type { ObjectStatus, TranslateOptions, TranslateResult } from '../translate/api.ts';
import { enabled, logger } from '../log.ts';
import type { Registry } from '../metrics/registry.ts';
import { ConfigMetrics } from './config-metrics.ts';
import { mergeInvalidStatuses } from './invalid-status.ts';
import { socketIsFree, toUnavailableSockets } from './sockets.ts';
import { jsonEqual } from './json-equal.ts';
import { TransitionTimes } from './transition-times.ts';
import { ourAddressInputs, type AddressPool } from './address-pool.ts';
import { applySteadyHeapGrowth } from './heap-growth.ts';
import { applyHelperNice } from './helper-threads.ts';

export type TranslateFn = (snapshot: Snapshot, options: TranslateOptions) => TranslateResult;

export interface RuntimeOptions {
  provider: Provider;
  dataPlane: DataPlane;
  translate: TranslateFn;
  translateOptions: TranslateOptions;
  registry: Registry;
  /** Assigns Gateways addresses from `--address-pool` (kubernetes mode / conformance). */
  addressPool?: AddressPool;
  now?: () => Date;
  /**
   * While some socket cannot be bound, the last snapshot is handled again after this long, so a
   * port that frees up is taken without waiting for an unrelated change (default 5 s).
   */
  bindRetryMs?: number;
}

/**
 * Status waits until configuration changes have been quiet this long (ms), so that computing it
 * does not delay serving the next change of a burst, but never more than STATUS_MAX_DELAY_MS after
 * the first configuration it has not reported, so a steady stream of changes still gets status.
 */
const STATUS_QUIET_MS = 20;
const STATUS_MAX_DELAY_MS = 500;

interface StatusJob {
  result: TranslateResult;
  update: SnapshotUpdate;
  /** Computed once, when first needed (by /status or when published). */
  statuses?: ObjectStatus[];
}

/** Bound on translate → apply → translate rounds caused by sockets that fail to bind. */
const MAX_SOCKET_ROUNDS = 3;

export class Runtime {
  readonly #o: RuntimeOptions;
  readonly #metrics: ConfigMetrics;
  readonly #times: TransitionTimes;
  #pending: SnapshotUpdate | undefined;
  #working: Promise<void> | undefined;
  #applied: IR | undefined;
  #appliedFailures: Record<string, string> = {};
  #statuses: ObjectStatus[] = [];
  #ready = false;
  #generation = 0;
  #loggedDiagnostics = new Set<string>();
  #stopped = false;
  #readyWaiters: (() => void)[] = [];
  #lastUpdate: SnapshotUpdate | undefined;
  #retryTimer: NodeJS.Timeout | undefined;
  /** The newest served configuration whose status is still to be computed and published. */
  #statusJob: StatusJob | undefined;
  #statusTimer: NodeJS.Timeout | undefined;
  /** When the oldest configuration whose status is not yet published was served. */
  #statusSince = 0;
  #statusRunning: Promise<void> | undefined;

  constructor(options: RuntimeOptions) {
    this.#o = options;
    this.#metrics = new ConfigMetrics(options.registry);
    this.#times = new TransitionTimes(options.now);
  }

  /** Starts the provider; resolves once it is watching (the first snapshot may still be in flight). */
  async start(): Promise<void> {
    await this.#o.provider.start((u) => this.#enqueue(u));
  }

  /** True once the first configuration is serving (/readyz). */
  get ready(): boolean {
    return this.#ready;
  }

  /** Resolves when the first configuration is serving. */
  whenReady(): Promise<void> {
    if (this.#ready) return Promise.resolve();
    return new Promise((r) => this.#readyWaiters.push(r));
  }

  /** The IR in force (/config). */
  config(): IR | undefined {
    return this.#applied;
  }

  /**
   * The statuses of the configuration in force (/status): computed now if that configuration's
   * status is still waiting to be published, so /status never lags behind what is served.
   */
  statuses(): ObjectStatus[] {
    const job = this.#statusJob;
    if (job) this.#statusesOf(job);
    return this.#statuses;
  }

  /** Resolves once every update received so far has been handled and its status published. */
  async idle(): Promise<void> {
    for (let i = 0; i < 100 && (this.#working || this.#statusTimer || this.#statusRunning); i++) {
      if (this.#working) await this.#working;
      else if (this.#statusRunning) await this.#statusRunning;
      else await new Promise((r) => setTimeout(r, STATUS_QUIET_MS));
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    await this.#o.provider.stop();
    await this.idle();
    if (this.#statusTimer) clearTimeout(this.#statusTimer);
  }

  #enqueue(update: SnapshotUpdate): void {
    if (this.#stopped) return;
    this.#lastUpdate = update;
    this.#pending = update;
    if (!this.#working) this.#working = this.#drainQueue();
  }

  async #drainQueue(): Promise<void> {
    try {
      while (this.#pending && !this.#stopped) {
        const u = this.#pending;
        this.#pending = undefined;
        await this.#handle(u);
      }
    } finally {
      this.#working = undefined;
      this.#scheduleStatus();
    }
  }

  async #handle(update: SnapshotUpdate): Promise<void> {
    this.#logDiagnostics(update.diagnostics);
    this.#metrics.invalidObjects.set(update.diagnostics.length);
    const started = performance.now();
    let result: TranslateResult | undefined;
    try {
      const base: TranslateOptions = { ...this.#o.translateOptions };
      if (this.#o.addressPool) base.assignedAddresses = this.#o.addressPool.assign(ourAddressInputs(update.snapshot, base.controllerName));
      let unavailable: Record<string, string> = {};
      // process.cpuUsage() is a system call (getrusage), ~0.1 ms each on a loaded VM: only for the log.
      const timed = enabled('debug');
      for (let round = 0; round < MAX_SOCKET_ROUNDS; round++) {
        const t0 = performance.now();
        const c0 = timed ? process.cpuUsage() : undefined;
        result = this.#o.translate(update.snapshot, { ...base, unavailableSockets: unavailable });
        const t1 = performance.now();
        const c1 = timed ? process.cpuUsage() : undefined;
        const failed = await this.#apply(result.ir);
        if (c0 && c1) {
          // CPU time too (this process, all threads: GC helpers included): load on the machine
          // stretches the wall-clock figures, not these.
          const c2 = process.cpuUsage();
          logger.debug('translated and applied', { round, translateMs: ms(t1 - t0), applyMs: ms(performance.now() - t1), translateCpuMs: cpuMs(c0, c1), applyCpuMs: cpuMs(c1, c2) });
        }
        const fresh = Object.keys(failed).filter((k) => !(k in unavailable));
        if (fresh.length === 0) break;
        logger.warn('sockets could not be bound; their listeners report PortUnavailable', { sockets: failed });
        unavailable = { ...unavailable, ...failed };
      }
      this.#scheduleBindRetry(Object.keys(unavailable));
    } catch (err) {
      this.#metrics.failed.inc();
      logger.error('configuration update failed; the previous configuration keeps serving', { err: err as Error, stack: (err as Error)?.stack });
      return;
    }
    this.#metrics.lastApplySeconds.set((performance.now() - started) / 1000);
    if (!this.#ready) {
      this.#ready = true;
      for (const w of this.#readyWaiters.splice(0)) w();
      logger.info('first configuration serving', { ports: this.#applied?.ports.map((p) => p.name) ?? [] });
      applySteadyHeapGrowth();
      applyHelperNice();
    }
    this.#statusJob = { result: result!, update };
    this.#scheduleStatus();
  }

  #scheduleStatus(): void {
    if (this.#statusRunning || !this.#statusJob) return;
    const now = performance.now();
    if (!this.#statusTimer) this.#statusSince = now;
    else clearTimeout(this.#statusTimer);
    const wait = Math.max(0, Math.min(STATUS_QUIET_MS, this.#statusSince + STATUS_MAX_DELAY_MS - now));
    this.#statusTimer = setTimeout(() => {
      this.#statusTimer = undefined;
      // A newer update is being handled: it schedules the status again when it is served.
      if (this.#working) {
        this.#scheduleStatus();
        return;
      }
      const job = this.#statusJob;
      this.#statusJob = undefined;
      if (!job) return;
      this.#statusRunning = this.#publish(job).finally(() => {
        this.#statusRunning = undefined;
        this.#scheduleStatus();
      });
    }, wait);
  }

  async #publish(job: StatusJob): Promise<void> {
    const statuses = this.#statusesOf(job);
    if (!statuses) return;
    try {
      await this.#o.provider.publishStatus(statuses);
    } catch (err) {
      logger.error('publishing status failed', { err: err as Error });
    }
  }

  /** The job's statuses with transition times filled, computed once; they become /status's. */
  #statusesOf(job: StatusJob): ObjectStatus[] | undefined {
    if (!job.statuses) {
      try {
        job.statuses = this.#times.fill(mergeInvalidStatuses(job.result.statuses, job.update.diagnostics, job.update.snapshot));
      } catch (err) {
        logger.error('computing status failed', { err: err as Error, stack: (err as Error)?.stack });
        return undefined;
      }
      this.#statuses = job.statuses;
    }
    return job.statuses;
  }

  /**
   * While sockets are unavailable, check now and then whether they have freed up (by binding them
   * for a moment); when one has, handle the last snapshot again so its listeners get it.
   */
  #scheduleBindRetry(unavailable: string[]): void {
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    if (unavailable.length === 0 || this.#stopped) return;
    this.#retryTimer = setTimeout(async () => {
      this.#retryTimer = undefined;
      const free = [];
      for (const s of unavailable) if (await socketIsFree(s)) free.push(s);
      if (this.#stopped || this.#retryTimer || this.#working) return; // a newer update took over
      if (free.length > 0 && this.#lastUpdate) {
        logger.info('sockets became available; binding them', { sockets: free });
        this.#enqueue(this.#lastUpdate);
      } else {
        this.#scheduleBindRetry(unavailable);
      }
    }, this.#o.bindRetryMs ?? 5000);
    this.#retryTimer.unref();
  }

  /** Applies an IR unless it is the one in force; returns the failed sockets in translate's terms. */
  async #apply(ir: IR): Promise<Record<string, string>> {
    // The translator shares unchanged parts between results, so this compare is mostly identity.
    if (this.#applied !== undefined && jsonEqual(ir, this.#applied)) return this.#appliedFailures;
    const res = await this.#o.dataPlane.apply(ir);
    this.#applied = ir;
    this.#appliedFailures = toUnavailableSockets(ir, res.failedSockets ?? {});
    this.#generation += 1;
    this.#metrics.applied.inc();
    this.#metrics.generation.set(this.#generation);
    logger.info('configuration applied', {
      generation: this.#generation,
      ports: ir.ports.map((p) => p.name),
      clusters: Object.keys(ir.clusters).length,
      ...(Object.keys(res.failedSockets ?? {}).length > 0 ? { failedSockets: res.failedSockets } : {}),
    });
    return this.#appliedFailures;
  }

  /** Logs each diagnostic once, when it first appears, rather than on every reload. */
  #logDiagnostics(diagnostics: Diagnostic[]): void {
    const now = new Set<string>();
    for (const d of diagnostics) {
      const line = formatDiagnostic(d);
      now.add(line);
      if (!this.#loggedDiagnostics.has(line)) {
        logger.warn('invalid input', { code: d.code, diagnostic: line, file: d.file, line: d.line, kind: d.kind, namespace: d.namespace, name: d.name, field: d.field });
      }
    }
    this.#loggedDiagnostics = now;
  }
}

function cpuMs(a: NodeJS.CpuUsage, b: NodeJS.CpuUsage): number {
  return ms((b.user - a.user + b.system - a.system) / 1000);
}

function ms(v: number): number {
  return Math.round(v * 100) / 100;
}
