// Backend choice, endpoint balancing, failures mapped to status codes, timeouts and retries.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Cluster } from '../../src/ir/types.ts';
import { cluster, freePort, get, httpPort, ir, json, listener, match, newDataPlane, rule, startBackend, vhost, type Backend } from './helpers.ts';

const backends: Backend[] = [];
const dp = newDataPlane();
let port: number;
let flaky: Backend;
let flakyFailuresLeft = 0;
let flakyBodyFailuresLeft = 0;
let deadPort: number;

function pre(value: string) {
  return match({ type: 'PathPrefix', value });
}

before(async () => {
  const [a, b, c] = await Promise.all([startBackend('a'), startBackend('b'), startBackend('c')]);
  const slow = await startBackend('slow', (req, res) => {
    req.resume();
    const t = setTimeout(() => res.end('late'), 2000);
    res.on('close', () => clearTimeout(t));
  });
  const reset = await startBackend('reset', (req) => {
    req.socket.destroy();
  });
  flaky = await startBackend('flaky', (req, res) => {
    req.resume();
    if (flakyFailuresLeft > 0) {
      flakyFailuresLeft--;
      res.writeHead(503).end('try again');
    } else {
      res.end('recovered');
    }
  });
  // Reads the body, fails while told to, then answers with the body it got.
  const flakyBody = await startBackend('flaky-body', (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (ch: Buffer) => chunks.push(ch));
    req.on('end', () => {
      if (flakyBodyFailuresLeft > 0) {
        flakyBodyFailuresLeft--;
        res.writeHead(500).end('no');
      } else {
        res.end(Buffer.concat(chunks));
      }
    });
  });
  backends.push(a, b, c, slow, reset, flaky, flakyBody);
  deadPort = await freePort(); // nothing listens here
  port = await freePort();
  const clusters: Cluster[] = [
    cluster('a', a),
    cluster('b', b),
    cluster('ab', { port: a.port, weight: 1 }, { port: b.port, weight: 3 }),
    cluster('empty'),
    cluster('dead', { port: deadPort }),
    cluster('dead-then-c', { port: deadPort }, { port: c.port }),
    cluster('slow', slow),
    cluster('reset', reset),
    cluster('flaky', flaky),
    cluster('flaky-body', flakyBody),
  ];
  const rules = [
    rule(pre('/split'), [
      { cluster: 'a', weight: 80, filters: [] },
      { cluster: 'b', weight: 20, filters: [] },
    ]),
    rule(pre('/endpoints'), 'ab'),
    rule(pre('/half-invalid'), [
      { cluster: 'a', weight: 1, filters: [] },
      { cluster: null, weight: 1, filters: [] },
    ]),
    rule(pre('/invalid'), [{ cluster: null, weight: 1, filters: [] }]),
    rule(pre('/no-backends'), []),
    rule(pre('/empty'), 'empty'),
    rule(pre('/dead'), 'dead'),
    rule(pre('/reset'), 'reset'),
    rule(pre('/slow-backend'), 'slow', [], { timeouts: { backendRequestMs: 200 } }),
    rule(pre('/slow-request'), 'slow', [], { timeouts: { requestMs: 200 } }),
    rule(pre('/retry-codes'), 'flaky', [], { retry: { codes: [503], attempts: 2, backoffMs: 10 } }),
    rule(pre('/retry-connect'), 'dead-then-c', [], { retry: { codes: [], attempts: 1, backoffMs: 0 } }),
    rule(pre('/no-retry'), 'flaky'),
    rule(pre('/retry-body'), 'flaky-body', [], { retry: { codes: [500], attempts: 2, backoffMs: 0 } }),
  ];
  await dp.apply(ir([httpPort(port, [listener('http', [vhost('*', rules)])])], clusters));
});

after(async () => {
  await dp.drain(1000);
  await Promise.all(backends.map((b) => b.close()));
});

async function many(path: string, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await get(port, path);
    out.push(r.status === 200 ? json(r).backend : String(r.status));
  }
  return out;
}

describe('backend choice', () => {
  test('rule backends split by weight (80/20 within statistical bounds)', async () => {
    const got = await many('/split', 400);
    const a = got.filter((x) => x === 'a').length;
    // Binomial(400, 0.8): mean 320, sd 8; ±5 sd.
    assert.ok(a > 280 && a < 360, `a got ${a} of 400`);
    assert.equal(got.filter((x) => x !== 'a' && x !== 'b').length, 0);
  });

  test('endpoints share by weight exactly over a window (smooth weighted round robin)', async () => {
    const got = await many('/endpoints', 40);
    assert.equal(got.filter((x) => x === 'a').length, 10);
    assert.equal(got.filter((x) => x === 'b').length, 30);
  });

  test('an invalid backend keeps its share and that share is answered 500', async () => {
    const got = await many('/half-invalid', 200);
    const errors = got.filter((x) => x === '500').length;
    assert.equal(got.filter((x) => x !== '500' && x !== 'a').length, 0);
    assert.ok(errors > 50 && errors < 150, `500s: ${errors} of 200`);
  });
});

describe('failures map to status codes', () => {
  test('only invalid backends → 500', async () => assert.equal((await get(port, '/invalid')).status, 500));
  test('no backends and no redirect → 500', async () => assert.equal((await get(port, '/no-backends')).status, 500));
  test('cluster without endpoints → 503', async () => assert.equal((await get(port, '/empty')).status, 503));
  test('connection refused → 502', async () => assert.equal((await get(port, '/dead')).status, 502));
  test('connection reset before a response → 502', async () => assert.equal((await get(port, '/reset')).status, 502));
  test('backend request timeout → 504', async () => assert.equal((await get(port, '/slow-backend')).status, 504));
  test('request timeout → 504', async () => assert.equal((await get(port, '/slow-request')).status, 504));
});

describe('retries', () => {
  test('retriable status codes are retried up to the attempts', async () => {
    flakyFailuresLeft = 2;
    const r = await get(port, '/retry-codes');
    assert.equal(r.status, 200);
    assert.equal(r.body, 'recovered');
    flakyFailuresLeft = 3; // one more than attempts allow
    assert.equal((await get(port, '/retry-codes')).status, 503);
    flakyFailuresLeft = 0;
  });
  test('without a retry policy the first answer stands', async () => {
    flakyFailuresLeft = 1;
    assert.equal((await get(port, '/no-retry')).status, 503);
    flakyFailuresLeft = 0;
  });
  test('a small request body is kept and sent again on a retry', async () => {
    flakyBodyFailuresLeft = 2;
    const r = await get(port, '/retry-body', { method: 'POST', body: 'payload-123' });
    assert.equal(r.status, 200);
    assert.equal(r.body, 'payload-123');
    assert.equal(flakyBodyFailuresLeft, 0);
  });
  test('a large request body streams and is not retried', async () => {
    flakyBodyFailuresLeft = 1;
    const big = Buffer.alloc(100_000, 7);
    assert.equal((await get(port, '/retry-body', { method: 'POST', body: big })).status, 500);
    flakyBodyFailuresLeft = 0;
  });
  test('connection errors are retried on the next endpoint', async () => {
    for (let i = 0; i < 4; i++) {
      const r = await get(port, '/retry-connect');
      assert.equal(r.status, 200);
      assert.equal(json(r).backend, 'c');
    }
  });
});
