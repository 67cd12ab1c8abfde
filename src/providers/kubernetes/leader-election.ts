// Leader election on a coordination.k8s.io/v1 Lease, with client-go's semantics: a candidate takes
// the lease when it is free or when its holder has not renewed it for leaseDuration as observed on
// our own clock (no clock sync between replicas assumed); the leader renews every retryPeriod and
// steps down when it could not renew within renewDeadline; stop() releases the lease so another
// replica takes over at once. Every replica serves traffic; only the leader writes status.
import { logger } from '../../log.ts';
import type { KubeClient } from './kube-client.ts';
import { statusMessage } from './kube-client.ts';
import { microTime } from './time.ts';

export interface LeaderElectionOptions {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  onStartedLeading?: () => void;
  onStoppedLeading?: () => void;
}

interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

const JITTER = 1.2;

export class LeaderElector {
  readonly #client: KubeClient;
  readonly #o: Required<Omit<LeaderElectionOptions, 'onStartedLeading' | 'onStoppedLeading'>> & LeaderElectionOptions;
  #leader = false;
  #stopped = false;
  #observed: LeaseSpec | undefined;
  #observedAt = 0;
  #timer: NodeJS.Timeout | undefined;
  #wake: (() => void) | undefined;
  #loop: Promise<void> | undefined;

  constructor(client: KubeClient, opts: LeaderElectionOptions) {
    this.#client = client;
    this.#o = {
      ...opts,
      leaseDurationMs: opts.leaseDurationMs ?? 15_000,
      renewDeadlineMs: opts.renewDeadlineMs ?? 10_000,
      retryPeriodMs: opts.retryPeriodMs ?? 2_000,
    };
  }

  get isLeader(): boolean {
    return this.#leader;
  }

  get #path(): string {
    return `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(this.#o.namespace)}/leases/${encodeURIComponent(this.#o.name)}`;
  }

  start(): void {
    if (this.#loop) return;
    this.#stopped = false;
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#wake?.();
    await this.#loop;
    this.#loop = undefined;
    if (this.#leader) {
      await this.#release();
      this.#setLeader(false);
    }
  }

  #sleep(ms: number): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    return new Promise((resolve) => {
      this.#wake = () => {
        this.#wake = undefined;
        resolve();
      };
      this.#timer = setTimeout(() => this.#wake?.(), ms);
    });
  }

  #setLeader(v: boolean): void {
    if (this.#leader === v) return;
    this.#leader = v;
    logger.info(v ? 'became leader' : 'stopped leading', { lease: `${this.#o.namespace}/${this.#o.name}`, identity: this.#o.identity });
    try {
      (v ? this.#o.onStartedLeading : this.#o.onStoppedLeading)?.();
    } catch (err) {
      logger.error('leader election callback failed', { err: err as Error });
    }
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      if (!this.#leader) {
        if (await this.#tryAcquireOrRenew()) this.#setLeader(true);
        else await this.#sleep(this.#o.retryPeriodMs * (1 + Math.random() * JITTER));
        continue;
      }
      // Leader: renew every retryPeriod; give up after renewDeadline without a successful renew.
      await this.#sleep(this.#o.retryPeriodMs);
      if (this.#stopped) break;
      const deadline = Date.now() + this.#o.renewDeadlineMs;
      let renewed = false;
      while (!this.#stopped && Date.now() < deadline) {
        if (await this.#tryAcquireOrRenew()) {
          renewed = true;
          break;
        }
        if (this.#holderIsOther()) break;
        await this.#sleep(Math.min(this.#o.retryPeriodMs, Math.max(0, deadline - Date.now())));
      }
      if (!renewed && !this.#stopped) this.#setLeader(false);
    }
  }

  #holderIsOther(): boolean {
    const h = this.#observed?.holderIdentity;
    return !!h && h !== this.#o.identity;
  }

  async #tryAcquireOrRenew(): Promise<boolean> {
    const now = new Date();
    const fresh: LeaseSpec = {
      holderIdentity: this.#o.identity,
      leaseDurationSeconds: Math.ceil(this.#o.leaseDurationMs / 1000),
      acquireTime: microTime(now),
      renewTime: microTime(now),
      leaseTransitions: 0,
    };
    try {
      const got = await this.#client.request('GET', this.#path, { timeoutMs: this.#o.renewDeadlineMs });
      if (got.status === 404) {
        const res = await this.#client.request('POST', `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(this.#o.namespace)}/leases`, {
          body: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: this.#o.name, namespace: this.#o.namespace }, spec: fresh },
          timeoutMs: this.#o.renewDeadlineMs,
        });
        if (res.status !== 201) return false;
        this.#observe(fresh, now.getTime());
        return true;
      }
      if (got.status !== 200) {
        logger.warn('lease read failed', { error: statusMessage(got) });
        return false;
      }
      const lease = got.body;
      const spec: LeaseSpec = lease.spec ?? {};
      if (JSON.stringify(spec) !== JSON.stringify(this.#observed)) this.#observe(spec, now.getTime());
      const held = !!spec.holderIdentity && spec.holderIdentity !== this.#o.identity;
      const durationMs = (spec.leaseDurationSeconds ?? 0) * 1000;
      if (held && this.#observedAt + durationMs > now.getTime()) return false;
      const ours = spec.holderIdentity === this.#o.identity;
      const next: LeaseSpec = {
        ...fresh,
        acquireTime: ours && spec.acquireTime ? spec.acquireTime : fresh.acquireTime,
        leaseTransitions: ours ? (spec.leaseTransitions ?? 0) : (spec.leaseTransitions ?? 0) + 1,
      };
      const res = await this.#client.request('PUT', this.#path, { body: { ...lease, spec: next }, timeoutMs: this.#o.renewDeadlineMs });
      if (res.status !== 200) return false; // 409: someone else wrote it first
      this.#observe(next, now.getTime());
      return true;
    } catch (err) {
      logger.debug('lease request failed', { err: err as Error });
      return false;
    }
  }

  #observe(spec: LeaseSpec, at: number): void {
    this.#observed = spec;
    this.#observedAt = at;
  }

  async #release(): Promise<void> {
    try {
      const got = await this.#client.request('GET', this.#path, { timeoutMs: 5_000 });
      if (got.status !== 200 || got.body?.spec?.holderIdentity !== this.#o.identity) return;
      const now = microTime(new Date());
      const spec: LeaseSpec = { holderIdentity: '', leaseDurationSeconds: 1, acquireTime: now, renewTime: now, leaseTransitions: got.body.spec.leaseTransitions ?? 0 };
      await this.#client.request('PUT', this.#path, { body: { ...got.body, spec }, timeoutMs: 5_000 });
    } catch (err) {
      logger.warn('lease release failed', { err: err as Error });
    }
  }
}
