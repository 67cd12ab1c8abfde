// The translator at scale: 10,000 HTTPRoutes on one listener all attach, every rule lands in its
// virtual host, and each Service becomes one cluster. (Timing is measured by hand, not asserted:
// see the report; tests never assert wall-clock time.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { translate } from '../../src/translate/index.ts';
import { largeSnapshot } from './scale-fixture.ts';

test('10,000 HTTPRoutes translate completely', () => {
  const { ir, statuses } = translate(largeSnapshot(10_000), { controllerName: 'wicket.dev/gateway-controller', defaultAddress: '127.0.0.1' });
  const listener = ir.ports[0]!.listeners[0]!;
  assert.equal(listener.virtualHosts!.length, 2000);
  const rules = listener.virtualHosts!.reduce((n, v) => n + v.rules.length, 0);
  assert.equal(rules, 20_000);
  assert.equal(Object.keys(ir.clusters).length, 1000);
  const gw = statuses.find((s) => s.kind === 'Gateway')!;
  assert.equal((gw.status.listeners as { attachedRoutes: number }[])[0]!.attachedRoutes, 10_000);
  assert.equal(statuses.filter((s) => s.kind === 'HTTPRoute').length, 10_000);
  // Within a host, exact matches come before prefixes.
  const vh = listener.virtualHosts![0]!;
  assert.equal(vh.rules[0]!.match.path.type, 'Exact');
  assert.equal(vh.rules.at(-1)!.match.path.type, 'PathPrefix');
});
