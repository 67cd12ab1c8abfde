// Merging Prometheus expositions of several processes: same name and labels are summed, families
// keep one HELP/TYPE, histogram lines stay with their family, everything else is kept as is.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from '../../../src/metrics/registry.ts';
import { MergedRegistry, mergeExpositions } from '../../../src/proxy/workers/metrics-merge.ts';

function worker(requests: number, latencies: number[], active: number): string {
  const r = new Registry();
  r.counter('reqs_total', 'Requests.', ['route']).labels('a b').inc(requests);
  r.counter('reqs_total', 'Requests.', ['route']).labels('only-here').inc(requests === 1 ? 1 : 0);
  const h = r.histogram('lat_seconds', 'Latency.', ['route'], [0.1, 1]).labels('a b');
  for (const v of latencies) h.observe(v);
  r.gauge('active', 'Active.').set(active);
  return r.expose();
}

test('identical series are summed across processes; histograms bucket by bucket', () => {
  const merged = mergeExpositions([worker(1, [0.05], 2), worker(4, [0.5, 5], 3)]);
  assert.equal(
    merged,
    [
      '# HELP reqs_total Requests.',
      '# TYPE reqs_total counter',
      'reqs_total{route="a b"} 5',
      'reqs_total{route="only-here"} 1',
      '# HELP lat_seconds Latency.',
      '# TYPE lat_seconds histogram',
      'lat_seconds_bucket{route="a b",le="0.1"} 1',
      'lat_seconds_bucket{route="a b",le="1"} 2',
      'lat_seconds_bucket{route="a b",le="+Inf"} 3',
      'lat_seconds_sum{route="a b"} 5.55',
      'lat_seconds_count{route="a b"} 3',
      '# HELP active Active.',
      '# TYPE active gauge',
      'active 5',
      '',
    ].join('\n'),
  );
});

test('a MergedRegistry exposes its own registry merged with the workers, and registers into its own', () => {
  const own = new Registry();
  own.counter('reqs_total', 'Requests.', ['route']).labels('a b').inc(10);
  const view = new MergedRegistry(own, () => [worker(1, [], 0)]);
  view.gauge('primary_only', 'Registered through the view.').set(7);
  const text = view.expose();
  assert.match(text, /^reqs_total\{route="a b"\} 11$/m);
  assert.match(text, /^primary_only 7$/m);
  assert.match(own.expose(), /^primary_only 7$/m);
  assert.equal(mergeExpositions([]), '');
});
