import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planVolumes, containerMounts, rewritePath } from '../pod-volumes.ts';
import type { RefSource } from '../pod-env.ts';

const facts = { podIP: '198.18.0.10', hostIP: '198.18.0.1', nodeName: 'fakelet-0' };
const refs: RefSource = {
  secret: (_ns, name) => (name === 'tls' ? { 'tls.crt': 'CERT', 'tls.key': 'KEY' } : undefined),
  configMap: (_ns, name) => ({ ca: { 'ca.crt': 'CA' }, coredns: { Corefile: '.:53 {}' } } as Record<string, Record<string, string>>)[name],
};
const pod = (volumes: unknown[]) => ({ metadata: { name: 'p', namespace: 'n', labels: { a: 'b' } }, spec: { volumes } });

test('secret items map keys to paths, as the suite mounts TLS material', () => {
  const plan = planVolumes(pod([{ name: 'secret-volume', secret: { secretName: 'tls', items: [
    { key: 'tls.crt', path: 'crt' }, { key: 'tls.key', path: 'key', mode: 0o600 },
  ] } }]), facts, refs);
  assert.deepEqual(plan.volumes, ['secret-volume']);
  assert.deepEqual(plan.files, [
    { volume: 'secret-volume', path: 'crt', content: 'CERT', mode: 0o644 },
    { volume: 'secret-volume', path: 'key', content: 'KEY', mode: 0o600 },
  ]);
  assert.deepEqual(plan.missing, []);
});

test('configMap without items writes every key; defaultMode applies', () => {
  const plan = planVolumes(pod([{ name: 'conf', configMap: { name: 'coredns', defaultMode: 0o400 } }]), facts, refs);
  assert.deepEqual(plan.files, [{ volume: 'conf', path: 'Corefile', content: '.:53 {}', mode: 0o400 }]);
});

test('missing objects and keys are reported unless optional', () => {
  const plan = planVolumes(pod([
    { name: 'a', secret: { secretName: 'nope' } },
    { name: 'b', configMap: { name: 'ca', items: [{ key: 'absent', path: 'x' }] } },
    { name: 'c', secret: { secretName: 'nope', optional: true } },
    { name: 'd', emptyDir: {} },
  ]), facts, refs);
  assert.deepEqual(plan.missing, ['secret n/nope', 'configmap n/ca key absent']);
  assert.deepEqual(plan.volumes, ['a', 'b', 'c', 'd']);
});

test('projected volumes combine sources, including the downward API', () => {
  const plan = planVolumes(pod([{ name: 'all', projected: { sources: [
    { configMap: { name: 'ca', items: [{ key: 'ca.crt', path: 'ca' }] } },
    { downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } },
    { serviceAccountToken: { path: 'token' } },
  ] } }]), facts, refs);
  assert.deepEqual(plan.files.map((f) => [f.path, f.content]), [['ca', 'CA'], ['labels', 'a="b"']]);
});

test('item paths may not escape the volume', () => {
  assert.throws(() => planVolumes(pod([{ name: 'x', secret: { secretName: 'tls', items: [{ key: 'tls.crt', path: '../../etc/passwd' }] } }]), facts, refs));
});

test('paths under a mount are rewritten to the volume directory, longest mount first', () => {
  const mounts = containerMounts({ volumeMounts: [
    { name: 'secret-volume', mountPath: '/etc/secret-volume' },
    { name: 'inner', mountPath: '/etc/secret-volume/inner/' },
    { name: 'conf', mountPath: '/root', subPath: 'sub' },
  ] }, (v) => `/state/vol/${v}`);
  assert.equal(rewritePath('/etc/secret-volume/crt', mounts), '/state/vol/secret-volume/crt');
  assert.equal(rewritePath('/etc/secret-volume/inner/x', mounts), '/state/vol/inner/x');
  assert.equal(rewritePath('/root/Corefile', mounts), '/state/vol/conf/sub/Corefile');
  assert.equal(rewritePath('/etc/secret-volumes', mounts), '/etc/secret-volumes');
  assert.equal(rewritePath('-conf', mounts), '-conf');
});
