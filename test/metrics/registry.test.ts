// Deferred children: a series a caller holds appears in the exposition only once it is updated,
// counts continue when a series exists already, and children made before either was used add up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from '../../src/metrics/registry.ts';

test('a deferred counter child is exposed from its first update on', () => {
  const r = new Registry();
  const c = r.counter('t_requests_total', 'requests', ['route']);
  const child = c.deferred('a');
  assert.doesNotMatch(r.expose(), /route="a"/);
  child.inc();
  child.inc(2);
  assert.match(r.expose(), /^t_requests_total\{route="a"\} 3$/m);
});

test('deferred returns the existing child when the series exists', () => {
  const r = new Registry();
  const c = r.counter('t_total', 'x', ['k']);
  const eager = c.labels('v');
  eager.inc();
  assert.equal(c.deferred('v'), eager);
  c.deferred('v').inc();
  assert.match(r.expose(), /^t_total\{k="v"\} 2$/m);
});

test('two deferred children of one label set are added up, each counted once', () => {
  const r = new Registry();
  const c = r.counter('t_total', 'x', ['k']);
  const a = c.deferred('v');
  const b = c.deferred('v');
  assert.notEqual(a, b);
  a.inc();
  b.inc(5);
  b.inc();
  a.inc();
  const lines = r.expose().split('\n').filter((l) => l.startsWith('t_total{'));
  assert.deepEqual(lines, ['t_total{k="v"} 8']);
  // A later deferred() hands out the series' own child.
  assert.equal(c.deferred('v'), a);
});

test('a deferred histogram child allocates and exposes its buckets on first observe', () => {
  const r = new Registry();
  const h = r.histogram('t_seconds', 'latency', ['route'], [0.1, 1]);
  const a = h.deferred('x');
  const b = h.deferred('x');
  assert.equal(a.counts.length, 0, 'no buckets before first use');
  assert.doesNotMatch(r.expose(), /route="x"/);
  a.observe(0.05);
  b.observe(0.5);
  b.observe(5);
  const text = r.expose();
  assert.match(text, /^t_seconds_bucket\{route="x",le="0.1"\} 1$/m);
  assert.match(text, /^t_seconds_bucket\{route="x",le="1"\} 2$/m);
  assert.match(text, /^t_seconds_bucket\{route="x",le="\+Inf"\} 3$/m);
  assert.match(text, /^t_seconds_sum\{route="x"\} 5.55$/m);
  assert.match(text, /^t_seconds_count\{route="x"\} 3$/m);
});

test('a deferred gauge child joins on set, inc or dec', () => {
  const r = new Registry();
  const g = r.gauge('t_gauge', 'g', ['k']);
  g.deferred('a').set(0);
  g.deferred('b').dec();
  const untouched = g.deferred('c');
  void untouched;
  const text = r.expose();
  assert.match(text, /^t_gauge\{k="a"\} 0$/m);
  assert.match(text, /^t_gauge\{k="b"\} -1$/m);
  assert.doesNotMatch(text, /k="c"/);
});

test('deferred checks the number of label values', () => {
  const r = new Registry();
  const c = r.counter('t_total', 'x', ['a', 'b']);
  assert.throws(() => c.deferred('only-one'), /expected 2 label values, got 1/);
});

test('remove with fewer values than labels forgets every label set starting with them', () => {
  const r = new Registry();
  const c = r.counter('t_total', 'x', ['route', 'backend', 'code']);
  c.labels('a', 'b1', '2xx').inc();
  c.labels('a', 'b1', '5xx').inc();
  c.labels('a', 'b2', '2xx').inc();
  c.labels('ab', 'b1', '2xx').inc();
  c.remove('a', 'b1');
  let text = r.expose();
  assert.doesNotMatch(text, /route="a",backend="b1"/);
  assert.match(text, /route="a",backend="b2",code="2xx"/);
  assert.match(text, /route="ab",backend="b1",code="2xx"/, 'a prefix of values, not of the joined key');
  c.remove('a', 'b2', '2xx');
  text = r.expose();
  assert.doesNotMatch(text, /route="a",/);
  assert.match(text, /route="ab"/);
});

test('retainOnly with a prefix length keeps the label sets whose first values are kept', () => {
  const r = new Registry();
  const c = r.counter('t_total', 'x', ['route', 'code']);
  c.labels('keep', '2xx').inc();
  c.labels('keep', '5xx').inc();
  c.labels('gone', '2xx').inc();
  c.retainOnly(new Set(['keep']), 1);
  const text = r.expose();
  assert.match(text, /route="keep",code="2xx"/);
  assert.match(text, /route="keep",code="5xx"/);
  assert.doesNotMatch(text, /route="gone"/);
});
