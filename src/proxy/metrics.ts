// The data plane's metrics, registered once per registry. Children for known label sets are
// created when a configuration is compiled, so counting a request is an array index and an add.
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
 * The request series one compiled configuration uses. After an apply, series of routes and
 * backends that are gone are dropped (`sweepSeries`), so route churn does not grow /metrics
 * forever. Assumes one data plane per registry.
 */
export class SeriesInUse {
  readonly requests = new Set<string>();
  readonly duration = new Set<string>();
}

export function sweepSeries(m: ProxyMetrics, used: SeriesInUse): void {
  m.requests.retainOnly(used.requests);
  m.duration.retainOnly(used.duration);
}

/** Request counters of one (gateway, route, backend) by status class, created up front. */
export class StatusCounters {
  private readonly byClass: CounterChild[];
  constructor(m: ProxyMetrics, gateway: string, route: string, backend: string, used?: SeriesInUse) {
    this.byClass = CLASSES.map((c) => {
      used?.requests.add(labelKey([gateway, route, backend, c]));
      return m.requests.labels(gateway, route, backend, c);
    });
  }
  count(status: number): void {
    let i = ((status / 100) | 0) - 1;
    if (i < 0 || i > 4) i = 4;
    this.byClass[i]!.inc();
  }
}

export function durationChild(m: ProxyMetrics, gateway: string, route: string, used?: SeriesInUse): HistogramChild {
  used?.duration.add(labelKey([gateway, route]));
  return m.duration.labels(gateway, route);
}
