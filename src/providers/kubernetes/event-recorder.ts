// Writes events.k8s.io/v1 Events. Identical events (same object, reason and note) within the
// dedup window become one Event whose series count grows, as client-go does; a token bucket caps
// the write rate so a storm of transitions cannot flood the API server. Best effort: failures are
// logged and dropped, never retried.
import { randomBytes } from 'node:crypto';
import { logger } from '../../log.ts';
import type { KubeClient } from './kube-client.ts';
import { statusMessage } from './kube-client.ts';
import type { EventSpec } from './status-events.ts';
import { microTime } from './time.ts';

export interface Regarding {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
  uid?: string;
}

export interface EventRecorderOptions {
  controllerName: string;
  instance: string;
  burst?: number;
  /** Tokens added per second. */
  refillPerSecond?: number;
  dedupWindowMs?: number;
  now?: () => number;
}

interface Seen {
  name: string;
  namespace: string;
  count: number;
  first: number;
  last: number;
}

export class EventRecorder {
  readonly #client: KubeClient;
  readonly #opts: Required<EventRecorderOptions>;
  #tokens: number;
  #refilledAt: number;
  readonly #seen = new Map<string, Seen>();
  /** Events written or updated, and dropped by the rate limit (for tests and metrics). */
  written = 0;
  dropped = 0;

  constructor(client: KubeClient, opts: EventRecorderOptions) {
    this.#client = client;
    this.#opts = {
      ...opts,
      burst: opts.burst ?? 50,
      refillPerSecond: opts.refillPerSecond ?? 2,
      dedupWindowMs: opts.dedupWindowMs ?? 10 * 60_000,
      now: opts.now ?? Date.now,
    };
    this.#tokens = this.#opts.burst;
    this.#refilledAt = this.#opts.now();
  }

  #take(): boolean {
    const now = this.#opts.now();
    this.#tokens = Math.min(this.#opts.burst, this.#tokens + ((now - this.#refilledAt) / 1000) * this.#opts.refillPerSecond);
    this.#refilledAt = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  async record(regarding: Regarding, ev: EventSpec): Promise<void> {
    if (!this.#take()) {
      this.dropped++;
      return;
    }
    const now = this.#opts.now();
    for (const [k, s] of this.#seen) if (now - s.last > this.#opts.dedupWindowMs) this.#seen.delete(k);
    const key = `${regarding.uid ?? ''}|${regarding.kind}|${regarding.namespace ?? ''}|${regarding.name}|${ev.type}|${ev.reason}|${ev.note}`;
    const seen = this.#seen.get(key);
    try {
      if (seen) {
        seen.count++;
        seen.last = now;
        const res = await this.#client.request('PATCH', `/apis/events.k8s.io/v1/namespaces/${seen.namespace}/events/${seen.name}`, {
          contentType: 'application/merge-patch+json',
          body: { series: { count: seen.count, lastObservedTime: microTime(new Date(now)) } },
        });
        if (res.status === 200) {
          this.written++;
          return;
        }
        // The Event expired or was deleted: write a fresh one.
        this.#seen.delete(key);
      }
      const namespace = regarding.namespace || 'default';
      const name = `${regarding.name}.${randomBytes(8).toString('hex')}`;
      const res = await this.#client.request('POST', `/apis/events.k8s.io/v1/namespaces/${namespace}/events`, {
        body: {
          apiVersion: 'events.k8s.io/v1',
          kind: 'Event',
          metadata: { name, namespace },
          eventTime: microTime(new Date(now)),
          reportingController: this.#opts.controllerName,
          reportingInstance: this.#opts.instance,
          action: 'Reconcile',
          reason: ev.reason,
          note: ev.note,
          type: ev.type,
          regarding,
        },
      });
      if (res.status !== 201 && res.status !== 200) {
        logger.warn('kubernetes event not written', { kind: regarding.kind, name: regarding.name, reason: ev.reason, error: statusMessage(res) });
        return;
      }
      this.written++;
      this.#seen.set(key, { name, namespace, count: 1, first: now, last: now });
    } catch (err) {
      logger.warn('kubernetes event not written', { kind: regarding.kind, name: regarding.name, reason: ev.reason, err: err as Error });
    }
  }
}
