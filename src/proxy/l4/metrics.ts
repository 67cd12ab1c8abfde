// Layer-4 metrics: connections (UDP: sessions) by port, listener, route and backend; bytes each
// way; rejections with their reason. They go into a Prometheus-style registry when one is given
// (structurally typed, so src/metrics' Registry fits without this file importing it), otherwise
// into a small in-memory registry whose values tests and /config-style dumps can read.

import type { RejectReason } from './balancer.ts';

export interface CounterLike {
  inc(n?: number): void;
}
export interface GaugeLike {
  inc(n?: number): void;
  dec(n?: number): void;
}
export interface RegistryLike {
  counter(name: string, help: string, labelNames: readonly string[]): { labels(...values: string[]): CounterLike };
  gauge(name: string, help: string, labelNames: readonly string[]): { labels(...values: string[]): GaugeLike };
}

/** Why a connection (or UDP datagram) was refused. */
export type L4RejectReason =
  | RejectReason
  | 'no-listener' // SNI matched no listener on the port
  | 'no-terminator' // an HTTPS listener was chosen but no HTTP engine is attached
  | 'bad-client-hello'
  | 'hello-timeout'
  | 'connect-failed' // the chosen endpoint could not be reached
  | 'no-certificate' // a Terminate listener without a usable certificate
  | 'tls-handshake' // a terminated handshake failed (or timed out)
  | 'closing' // the server is draining
  | 'session-limit'; // UDP session table full

/** Identifies where a connection went; '' for parts not known (yet). */
export interface ConnLabels {
  port: string;
  listener: string;
  route: string;
  backend: string;
}

const CONN_LABELS = ['port', 'listener', 'route', 'backend'] as const;
const REJECT_LABELS = ['port', 'listener', 'route', 'backend', 'reason'] as const;

/** One connection's (or session's) counters, looked up once and kept. */
export interface ConnMetrics {
  opened(): void;
  closed(bytesIn: number, bytesOut: number): void;
  /** UDP: one datagram each way, counted as it passes. */
  datagramIn(bytes: number): void;
  datagramOut(bytes: number): void;
}

export class L4Metrics {
  private readonly connections;
  private readonly active;
  private readonly bytesIn;
  private readonly bytesOut;
  private readonly datagramsIn;
  private readonly datagramsOut;
  private readonly rejected;

  constructor(registry: RegistryLike = new MemoryRegistry()) {
    this.connections = registry.counter('wicket_l4_connections_total', 'Layer-4 connections (UDP: sessions) forwarded to a backend.', CONN_LABELS);
    this.active = registry.gauge('wicket_l4_active_connections', 'Layer-4 connections (UDP: sessions) open now.', CONN_LABELS);
    this.bytesIn = registry.counter('wicket_l4_received_bytes_total', 'Bytes received from clients on layer-4 connections (counted when a connection closes).', CONN_LABELS);
    this.bytesOut = registry.counter('wicket_l4_sent_bytes_total', 'Bytes sent to clients on layer-4 connections (counted when a connection closes).', CONN_LABELS);
    this.datagramsIn = registry.counter('wicket_l4_received_datagrams_total', 'UDP datagrams received from clients.', CONN_LABELS);
    this.datagramsOut = registry.counter('wicket_l4_sent_datagrams_total', 'UDP datagrams relayed back to clients.', CONN_LABELS);
    this.rejected = registry.counter('wicket_l4_rejected_total', 'Layer-4 connections (UDP: datagrams) refused, by reason.', REJECT_LABELS);
  }

  reject(l: ConnLabels, reason: L4RejectReason): void {
    this.rejected.labels(l.port, l.listener, l.route, l.backend, reason).inc();
  }

  conn(l: ConnLabels): ConnMetrics {
    const v = [l.port, l.listener, l.route, l.backend];
    const connections = this.connections.labels(...v);
    const active = this.active.labels(...v);
    const bytesIn = this.bytesIn.labels(...v);
    const bytesOut = this.bytesOut.labels(...v);
    const datagramsIn = this.datagramsIn.labels(...v);
    const datagramsOut = this.datagramsOut.labels(...v);
    return {
      opened() {
        connections.inc();
        active.inc();
      },
      closed(bin, bout) {
        active.dec();
        if (bin > 0) bytesIn.inc(bin);
        if (bout > 0) bytesOut.inc(bout);
      },
      datagramIn(bytes) {
        datagramsIn.inc();
        bytesIn.inc(bytes);
      },
      datagramOut(bytes) {
        datagramsOut.inc();
        bytesOut.inc(bytes);
      },
    };
  }
}

class MemoryMetric {
  readonly values = new Map<string, { labels: Record<string, string>; value: number }>();
  private readonly labelNames: readonly string[];
  constructor(labelNames: readonly string[]) {
    this.labelNames = labelNames;
  }
  labels(...values: string[]): GaugeLike {
    const key = values.join('\u0000');
    let entry = this.values.get(key);
    if (entry === undefined) {
      const labels: Record<string, string> = {};
      this.labelNames.forEach((n, i) => (labels[n] = values[i] ?? ''));
      entry = { labels, value: 0 };
      this.values.set(key, entry);
    }
    const e = entry;
    return {
      inc: (n = 1) => void (e.value += n),
      dec: (n = 1) => void (e.value -= n),
    };
  }
}

/** The fallback registry: plain numbers, readable with `sum()`. */
export class MemoryRegistry implements RegistryLike {
  private readonly metrics = new Map<string, MemoryMetric>();

  counter(name: string, _help: string, labelNames: readonly string[]): MemoryMetric {
    return this.get(name, labelNames);
  }
  gauge(name: string, _help: string, labelNames: readonly string[]): MemoryMetric {
    return this.get(name, labelNames);
  }
  private get(name: string, labelNames: readonly string[]): MemoryMetric {
    let m = this.metrics.get(name);
    if (m === undefined) {
      m = new MemoryMetric(labelNames);
      this.metrics.set(name, m);
    }
    return m;
  }

  /** Sum of a metric over the label sets that match every label given in `where`. */
  sum(name: string, where: Record<string, string> = {}): number {
    const m = this.metrics.get(name);
    if (m === undefined) return 0;
    let total = 0;
    for (const { labels, value } of m.values.values()) {
      if (Object.entries(where).every(([k, v]) => labels[k] === v)) total += value;
    }
    return total;
  }

  /** Everything, as plain data: `{ metric: [{ labels, value }] }`. */
  dump(): Record<string, { labels: Record<string, string>; value: number }[]> {
    const out: Record<string, { labels: Record<string, string>; value: number }[]> = {};
    for (const [name, m] of this.metrics) out[name] = [...m.values.values()].map((e) => ({ labels: { ...e.labels }, value: e.value }));
    return out;
  }
}
