// The first end-to-end slice (an HTTP port, one virtual host, a prefix match, one backend),
// served once with each matcher: the data plane's `router` option picks the compiled router or
// the linear reference, and both must behave the same end to end.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { cluster, freePort, get, httpPort, ir, json, listener, match, newDataPlane, rule, startBackend, vhost, type Backend } from './helpers.ts';

for (const router of ['compiled', 'reference'] as const) {
  describe(`slice with the ${router} router`, () => {
    let backend: Backend;
    const dp = newDataPlane({ router });
    let port: number;

    before(async () => {
      backend = await startBackend('one');
      port = await freePort();
      const result = await dp.apply(
        ir([httpPort(port, [listener('http', [vhost('*', [rule(match({ type: 'PathPrefix', value: '/app' }), 'default/one:80')])])])], [
          cluster('default/one:80', backend),
        ]),
      );
      assert.deepEqual(result.failedSockets, {});
    });

    after(async () => {
      await dp.drain(1000);
      await backend.close();
    });

    test('a matching request reaches the backend with path and query unchanged', async () => {
      const r = await get(port, '/app/x%2Fy/../z?b=2&a=1');
      assert.equal(r.status, 200);
      const seen = json(r);
      assert.equal(seen.backend, 'one');
      assert.equal(seen.url, '/app/x%2Fy/../z?b=2&a=1');
      assert.equal(seen.headers.host, 'example.com');
    });

    test('a request no rule matches gets 404', async () => {
      const r = await get(port, '/other');
      assert.equal(r.status, 404);
      assert.equal(backend.seen.filter((s) => s.url === '/other').length, 0);
    });

    test('element-wise prefix: /application does not match /app', async () => {
      const r = await get(port, '/application');
      assert.equal(r.status, 404);
    });
  });
}
