// The data plane's metrics, registered once per registry. A compiled rule holds its request
// counters and latency histogram, so counting a request is an array index and an add; their
// series are created on the rule's first request, because of thousands of routes few see traffic
// (eager children cost ~2.5 KB per route at 5,000 routes, and /metrics listed every one at zero).
import { labelKey, Registry, type Counter, type CounterChild, type Gauge, type Histogram, type HistogramChild } from '../metrics/registry.ts';

export interface ProxyMetrics {
  requests: Counter;
  duration: Histogram;
  upstreamErrors: Counter;
  activeConnections: Gauge;
  activeRequests: Gauge;
  applies: Counter;
}

export function proxyMetrics(registry: Registry): ProxyMetrics {
  return {
    requests: registry.counter('wicket_http_requests_total', 'HTTP requests served, by gateway, route, backend and status class.', [
      'gateway',
      'route',
      'backend',
      'code',
    ]),
    duration: registry.histogram(
      'wicket_http_request_duration_seconds',
      'Time from request head to the end of the response, by gateway and route.',
      ['gateway', 'route'],
    ),
    upstreamErrors: registry.counter('wicket_upstream_errors_total', 'Failed upstream attempts, by backend and error code.', [
      'backend',
      'code',
    ]),
    activeConnections: registry.gauge('wicket_active_connections', 'Open client connections, by port.', ['port']),
    activeRequests: registry.gauge('wicket_active_requests', 'Requests in flight.'),
    applies: registry.counter('wicket_dataplane_applies_total', 'Configurations applied to the data plane, by result.', ['result']),
  };
}

const CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'];

/**
 * The request series one compiled configuration uses, whether or not they have been created yet,
 * by label key (see `labelKey`): `duration` of (gateway, route), and `requests` of (gateway,
 * route, backend), which stands for the series of every status class (one key per rule rather
 * than five: compile caches keep these sets). After an apply, series of routes and backends that
 * are gone are dropped (`sweepSeries`, or `remove` with a key's values), so route churn does not
 * grow /metrics forever. Assumes one data plane per registry.
 */
export class SeriesInUse {
  readonly requests = new Set<string>();
  readonly duration = new Set<string>();
}

export function sweepSeries(m: ProxyMetrics, used: SeriesInUse): void {
  m.requests.retainOnly(used.requests, 3);
  m.duration.retainOnly(used.duration);
}

/** Request counters of one (gateway, route, backend) by status class, each made on first use. */
export class StatusCounters {
  private readonly m: ProxyMetrics;
  private readonly gateway: string;
  private readonly route: string;
  private readonly backend: string;
  private readonly byClass: (CounterChild | undefined)[] = [undefined, undefined, undefined, undefined, undefined];
  constructor(m: ProxyMetrics, gateway: string, route: string, backend: string, used?: SeriesInUse) {
    used?.requests.add(labelKey([gateway, route, backend]));
    this.m = m;
    this.gateway = gateway;
    this.route = route;
    this.backend = backend;
  }
  count(status: number): void {
    let i = ((status / 100) | 0) - 1;
    if (i < 0 || i > 4) i = 4;
    (this.byClass[i] ??= this.m.requests.labels(this.gateway, this.route, this.backend, CLASSES[i]!)).inc();
  }
}

/** The latency histogram of one (gateway, route); its series appears with the first request. */
export function durationChild(m: ProxyMetrics, gateway: string, route: string, used?: SeriesInUse): HistogramChild {
  used?.duration.add(labelKey([gateway, route]));
  return m.duration.deferred(gateway, route);
}
