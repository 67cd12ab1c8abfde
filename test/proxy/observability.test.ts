// Metrics (the registry's exposition format, and what the data plane counts) and the access log.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setLogSink } from '../../src/log.ts';
import { Registry } from '../../src/metrics/registry.ts';
import { createDataPlane } from '../../src/proxy/index.ts';
import { cluster, freePort, get, httpPort, ir, listener, match, rule, startBackend, vhost, type Backend } from './helpers.ts';

describe('metrics registry', () => {
  test('counters, gauges and histograms in the text exposition format', () => {
    const r = new Registry();
    const c = r.counter('x_total', 'Things.\nCounted.', ['kind']);
    c.labels('a"b').inc();
    c.labels('a"b').inc(2);
    const g = r.gauge('y', 'Level.');
    g.set(5);
    g.dec();
    const h = r.histogram('z_seconds', 'Time.', ['op'], [0.1, 1]);
    h.labels('get').observe(0.05);
    h.labels('get').observe(0.5);
    h.labels('get').observe(3);
    assert.equal(
      r.expose(),
      [
        '# HELP x_total Things.\\nCounted.',
        '# TYPE x_total counter',
        'x_total{kind="a\\"b"} 3',
        '# HELP y Level.',
        '# TYPE y gauge',
        'y 4',
        '# HELP z_seconds Time.',
        '# TYPE z_seconds histogram',
        'z_seconds_bucket{op="get",le="0.1"} 1',
        'z_seconds_bucket{op="get",le="1"} 2',
        'z_seconds_bucket{op="get",le="+Inf"} 3',
        'z_seconds_sum{op="get"} 3.55',
        'z_seconds_count{op="get"} 3',
        '',
      ].join('\n'),
    );
  });
  test('bad names and label counts are refused with a clear error; same shape re-registers', () => {
    const r = new Registry();
    assert.throws(() => r.counter('bad-name', 'x'), /not a valid Prometheus name/);
    const c = r.counter('ok_total', 'x', ['a']);
    assert.throws(() => c.labels('1', '2'), /expected 1 label values, got 2/);
    assert.equal(r.counter('ok_total', 'x', ['a']), c);
    assert.throws(() => r.gauge('ok_total', 'x', ['a']), /already registered/);
  });
});

describe('data plane metrics and access log', () => {
  let backend: Backend;
  const registry = new Registry();
  const dp = createDataPlane({ registry, accessLog: true });
  let port: number;
  const lines: Record<string, unknown>[] = [];

  before(async () => {
    setLogSink((line) => lines.push(JSON.parse(line)));
    backend = await startBackend('b');
    port = await freePort();
    await dp.apply(ir([httpPort(port, [listener('http', [vhost('*', [rule(match({ type: 'PathPrefix', value: '/ok' }), 'default/b:80')])])])], [cluster('default/b:80', backend)]));
  });

  after(async () => {
    await dp.drain(1000);
    await backend.close();
    setLogSink((line) => process.stderr.write(line + '\n'));
  });

  test('requests are counted by gateway, route, backend and status class, with latency', async () => {
    await get(port, '/ok/1');
    await get(port, '/ok/2');
    await get(port, '/missing');
    const text = registry.expose();
    assert.match(text, /wicket_http_requests_total\{gateway="default\/gw",route="HTTPRoute\/default\/r\d+",backend="default\/b:80",code="2xx"\} 2/);
    assert.match(text, /wicket_http_requests_total\{gateway="default\/gw",route="",backend="",code="4xx"\} 1/);
    assert.match(text, /wicket_http_request_duration_seconds_count\{gateway="default\/gw",route="HTTPRoute\/default\/r\d+"\} 2/);
    assert.match(text, /wicket_dataplane_applies_total\{result="ok"\} 1/);
    assert.match(text, /wicket_active_requests 0/);
  });

  test('series of a route that is gone are dropped on the next apply', async () => {
    const other = new Registry();
    const dp2 = createDataPlane({ registry: other, accessLog: false });
    const p2 = await freePort();
    const cfg = (route: string) =>
      ir([httpPort(p2, [listener('http', [vhost('*', [{ ...rule(match(), 'default/b:80'), route }])])])], [cluster('default/b:80', backend)]);
    await dp2.apply(cfg('HTTPRoute/default/old'));
    await get(p2, '/');
    assert.match(other.expose(), /route="HTTPRoute\/default\/old"/);
    await dp2.apply(cfg('HTTPRoute/default/new'));
    assert.doesNotMatch(other.expose(), /route="HTTPRoute\/default\/(old|new)"/, 'the old series are gone; the new route has served nothing yet');
    await get(p2, '/');
    const text = other.expose();
    assert.doesNotMatch(text, /route="HTTPRoute\/default\/old"/);
    assert.match(text, /route="HTTPRoute\/default\/new"/);
    await dp2.drain(1000);
  });

  test('one access log line per request', async () => {
    lines.length = 0;
    await get(port, '/ok/log?q=1', { host: 'Example.com' });
    const access = lines.filter((l) => l.msg === 'access');
    assert.equal(access.length, 1);
    const a = access[0]!;
    assert.equal(a.method, 'GET');
    assert.equal(a.host, 'Example.com');
    assert.equal(a.path, '/ok/log');
    assert.equal(a.status, 200);
    assert.match(String(a.route), /^HTTPRoute\/default\/r\d+\/0\/0$/);
    assert.equal(a.backend, 'default/b:80');
    assert.equal(a.listener, 'default/gw/http');
    assert.equal(typeof a.duration_ms, 'number');
  });
});
