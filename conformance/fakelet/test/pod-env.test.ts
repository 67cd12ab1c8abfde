import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildEnv, expandVars, fieldPathValue, type RefSource } from '../pod-env.ts';

const facts = { podIP: '198.18.0.10', hostIP: '198.18.0.1', nodeName: 'fakelet-0' };
const pod = {
  metadata: { name: 'web-1', namespace: 'ns1', uid: 'u-1', labels: { app: 'web', tier: 'a' }, annotations: { note: 'x' } },
  spec: { serviceAccountName: 'sa' },
};
const refs: RefSource = {
  secret: (ns, name) => (ns === 'ns1' && name === 's' ? { password: 'hunter2', user: 'me' } : undefined),
  configMap: (ns, name) => (ns === 'ns1' && name === 'c' ? { mode: 'fast', level: '3' } : undefined),
};

test('literal values expand earlier variables and keep unknown ones', () => {
  const r = buildEnv(pod, { env: [
    { name: 'A', value: 'one' },
    { name: 'B', value: '$(A)-two-$(NOPE)-$$(A)' },
  ] }, facts, refs);
  assert.deepEqual(r.env, { A: 'one', B: 'one-two-$(NOPE)-$(A)' });
  assert.deepEqual(r.missing, []);
});

test('downward API fieldRefs', () => {
  const env = (fieldPath: string) => buildEnv(pod, { env: [{ name: 'X', valueFrom: { fieldRef: { fieldPath } } }] }, facts, refs).env.X;
  assert.equal(env('metadata.name'), 'web-1');
  assert.equal(env('metadata.namespace'), 'ns1');
  assert.equal(env('metadata.uid'), 'u-1');
  assert.equal(env("metadata.labels['app']"), 'web');
  assert.equal(env('metadata.labels'), 'app="web"\ntier="a"');
  assert.equal(env('status.podIP'), '198.18.0.10');
  assert.equal(env('status.hostIP'), '198.18.0.1');
  assert.equal(env('spec.nodeName'), 'fakelet-0');
  assert.equal(fieldPathValue(pod, 'spec.serviceAccountName', facts), 'sa');
  assert.equal(fieldPathValue(pod, 'status.unknown', facts), undefined);
});

test('secretKeyRef and configMapKeyRef, missing and optional refs', () => {
  const r = buildEnv(pod, { env: [
    { name: 'PW', valueFrom: { secretKeyRef: { name: 's', key: 'password' } } },
    { name: 'MODE', valueFrom: { configMapKeyRef: { name: 'c', key: 'mode' } } },
    { name: 'GONE', valueFrom: { secretKeyRef: { name: 'absent', key: 'k' } } },
    { name: 'NOKEY', valueFrom: { configMapKeyRef: { name: 'c', key: 'absent' } } },
    { name: 'OPT', valueFrom: { secretKeyRef: { name: 'absent', key: 'k', optional: true } } },
  ] }, facts, refs);
  assert.deepEqual(r.env, { PW: 'hunter2', MODE: 'fast' });
  assert.deepEqual(r.missing, ['secret ns1/absent key k', 'configmap ns1/c key absent']);
});

test('envFrom with prefix, overridden by env', () => {
  const r = buildEnv(pod, {
    envFrom: [{ configMapRef: { name: 'c' }, prefix: 'CM_' }, { secretRef: { name: 's' } }, { secretRef: { name: 'x', optional: true } }],
    env: [{ name: 'user', value: 'override' }],
  }, facts, refs);
  assert.deepEqual(r.env, { CM_mode: 'fast', CM_level: '3', password: 'hunter2', user: 'override' });
  assert.deepEqual(r.missing, []);
});

test('expandVars leaves text without references alone', () => {
  assert.equal(expandVars('/etc/secret-volume/crt', { A: 'b' }), '/etc/secret-volume/crt');
});
