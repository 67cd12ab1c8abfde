import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AddressPool, addressInputs, ourAddressInputs } from '../../src/runtime/address-pool.ts';
import { formatIP, parseIP } from '../../src/translate/ip.ts';
import { isWicketError } from '../../src/errors.ts';
import type { Gateway } from '../../src/resources/types.ts';

const gw = (key: string, requested: string[] = [], previous: string[] = []) => ({ key, requested, previous });

test('rejects a malformed CIDR with a usage error naming the flag', () => {
  for (const bad of ['127.1.0.0', '127.1.0.0/33', 'x/8', '::1/129', '']) {
    assert.throws(() => new AddressPool(bad), (e) => isWicketError(e, 'WICKET_ERR_USAGE') && /--address-pool/.test((e as Error).message), bad);
  }
});

test('gives each Gateway the lowest free address, skipping network and broadcast', () => {
  const pool = new AddressPool('127.1.0.0/30');
  assert.deepEqual(pool.assign([gw('ns/a'), gw('ns/b'), gw('ns/c')]), { 'ns/a': '127.1.0.1', 'ns/b': '127.1.0.2' });
  assert.equal(pool.contains('127.1.0.0'), false);
  assert.equal(pool.contains('127.1.0.3'), false);
  assert.equal(pool.contains('127.1.0.2'), true);
});

test('keeps an assignment stable while other Gateways come and go', () => {
  const pool = new AddressPool('10.0.0.0/24');
  pool.assign([gw('ns/a'), gw('ns/b')]);
  // a is deleted: b keeps .2, and a new Gateway reuses the freed .1.
  assert.deepEqual(pool.assign([gw('ns/b'), gw('ns/c')]), { 'ns/b': '10.0.0.2', 'ns/c': '10.0.0.1' });
});

test('after a restart, prefers the address in status when it is in the pool and free', () => {
  const pool = new AddressPool('10.0.0.0/24');
  const got = pool.assign([gw('ns/a', [], ['10.0.0.7']), gw('ns/b', [], ['192.168.1.1']), gw('ns/c', [], ['10.0.0.7'])]);
  assert.deepEqual(got, { 'ns/a': '10.0.0.7', 'ns/b': '10.0.0.1', 'ns/c': '10.0.0.2' });
});

test('a requested address inside the pool is used, and reserved against others', () => {
  const pool = new AddressPool('10.0.0.0/24');
  pool.assign([gw('ns/a')]); // a holds .1
  const got = pool.assign([gw('ns/a'), gw('ns/b', ['10.0.0.1'])]);
  // The explicit request wins over a's automatic assignment; a moves to the next free address.
  assert.deepEqual(got, { 'ns/a': '10.0.0.2', 'ns/b': '10.0.0.1' });
});

test('requests outside the pool get no address (the translator reports them)', () => {
  const pool = new AddressPool('10.0.0.0/24');
  assert.deepEqual(pool.assign([gw('ns/a', ['192.0.2.1'])]), {});
  assert.deepEqual(pool.assign([gw('ns/a', ['192.0.2.1', '10.0.0.9'])]), { 'ns/a': '10.0.0.9' });
});

test('releases addresses of deleted Gateways, and reports exhaustion by leaving Gateways out', () => {
  const pool = new AddressPool('127.2.0.0/31'); // two addresses, no network/broadcast in a /31
  assert.deepEqual(pool.assign([gw('a/x'), gw('a/y'), gw('a/z')]), { 'a/x': '127.2.0.0', 'a/y': '127.2.0.1' });
  assert.deepEqual(pool.assign([gw('a/y'), gw('a/z')]), { 'a/y': '127.2.0.1', 'a/z': '127.2.0.0' });
  assert.deepEqual(pool.assign([]), {});
  assert.deepEqual(pool.assignments(), {});
});

test('IPv6 pools, with canonical text for equal addresses written differently', () => {
  const pool = new AddressPool('fd00::/126');
  assert.deepEqual(pool.assign([gw('ns/a'), gw('ns/b', ['fd00:0:0:0:0:0:0:3'])]), { 'ns/a': 'fd00::', 'ns/b': 'fd00::3' });
  assert.equal(formatIP(6, parseIP('2001:db8:0:0:1:0:0:1')!.value), '2001:db8::1:0:0:1');
  assert.equal(pool.contains('10.0.0.1'), false);
});

test('addressInputs reads IPAddress requests and status, oldest Gateway first', () => {
  const mk = (name: string, ts: string, spec: any = {}, status: any = undefined): Gateway => ({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name, namespace: 'ns', creationTimestamp: ts },
    spec: { gatewayClassName: 'c', listeners: [], ...spec },
    status,
  });
  const inputs = addressInputs([
    mk('young', '2026-01-02T00:00:00Z', { addresses: [{ type: 'Hostname', value: 'x.example' }, { value: '10.0.0.5' }, { type: 'IPAddress' }] }),
    mk('old', '2026-01-01T00:00:00Z', {}, { addresses: [{ type: 'IPAddress', value: '10.0.0.9' }] }),
  ]);
  assert.deepEqual(inputs, [
    { key: 'ns/old', requested: [], previous: ['10.0.0.9'] },
    { key: 'ns/young', requested: ['10.0.0.5'], previous: [] },
  ]);
});

test('ourAddressInputs leaves out Gateways of other controllers\' classes', () => {
  const cls = (name: string, controllerName: string) => ({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'GatewayClass' as const, metadata: { name }, spec: { controllerName } });
  const g = (name: string, className: string): Gateway => ({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name, namespace: 'ns' }, spec: { gatewayClassName: className, listeners: [] } });
  const inputs = ourAddressInputs({ gatewayClasses: [cls('mine', 'wicket.dev/gateway-controller'), cls('theirs', 'x.io/y')], gateways: [g('a', 'theirs'), g('b', 'mine'), g('c', 'missing')] }, 'wicket.dev/gateway-controller');
  assert.deepEqual(inputs.map((i) => i.key), ['ns/b']);
});
