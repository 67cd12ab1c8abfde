import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assembleSnapshot, snapshotFingerprint } from '../../src/providers/kubernetes/snapshot-assembly.ts';
import { statusEvents } from '../../src/providers/kubernetes/status-events.ts';

const OURS = 'wicket.dev/gateway-controller';
const meta = (name: string, namespace?: string, extra: Record<string, unknown> = {}) => ({ name, ...(namespace ? { namespace } : {}), resourceVersion: '1', ...extra });

function caches() {
  return {
    GatewayClass: [
      { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'GatewayClass', metadata: meta('wicket'), spec: { controllerName: OURS } },
      { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'GatewayClass', metadata: meta('other'), spec: { controllerName: 'other.io/ctl' } },
    ],
    Gateway: [
      { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: meta('gw', 'infra'), spec: { gatewayClassName: 'wicket', infrastructure: { parametersRef: { group: '', kind: 'ConfigMap', name: 'gw-params' } }, listeners: [{ name: 'https', port: 443, protocol: 'HTTPS', tls: { certificateRefs: [{ name: 'cert' }, { name: 'shared', namespace: 'certs' }] } }] } },
      { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: meta('foreign', 'infra'), spec: { gatewayClassName: 'other', listeners: [{ name: 'https', port: 443, protocol: 'HTTPS', tls: { certificateRefs: [{ name: 'foreign-cert' }] } }] } },
    ],
    HTTPRoute: [
      { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: meta('r', 'app'), spec: { rules: [{ backendRefs: [{ name: 'web', port: 80 }, { name: 'elsewhere', namespace: 'other', port: 80 }], filters: [{ type: 'RequestMirror', requestMirror: { backendRef: { name: 'mirror', port: 80 } } }] }] } },
    ],
    BackendTLSPolicy: [
      { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'BackendTLSPolicy', metadata: meta('p', 'app'), spec: { targetRefs: [{ group: '', kind: 'Service', name: 'tls-svc' }], validation: { hostname: 'x', caCertificateRefs: [{ group: '', kind: 'ConfigMap', name: 'ca' }] } } },
    ],
    Namespace: [{ apiVersion: 'v1', kind: 'Namespace', metadata: meta('infra') }, { apiVersion: 'v1', kind: 'Namespace', metadata: meta('app') }],
    Secret: [
      { apiVersion: 'v1', kind: 'Secret', metadata: meta('cert', 'infra') },
      { apiVersion: 'v1', kind: 'Secret', metadata: meta('shared', 'certs') },
      { apiVersion: 'v1', kind: 'Secret', metadata: meta('foreign-cert', 'infra') },
      { apiVersion: 'v1', kind: 'Secret', metadata: meta('token', 'infra') },
    ],
    ConfigMap: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('ca', 'app') }, { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('gw-params', 'infra') }, { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('kube-root-ca.crt', 'app') }],
    Service: ['web', 'mirror', 'tls-svc', 'unrelated'].map((n) => ({ apiVersion: 'v1', kind: 'Service', metadata: meta(n, 'app'), spec: {} })).concat([{ apiVersion: 'v1', kind: 'Service', metadata: meta('elsewhere', 'other'), spec: {} }]),
    EndpointSlice: [
      { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: meta('web-abc', 'app', { labels: { 'kubernetes.io/service-name': 'web' } }), addressType: 'IPv4' },
      { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: meta('unrelated-abc', 'app', { labels: { 'kubernetes.io/service-name': 'unrelated' } }), addressType: 'IPv4' },
    ],
  };
}

const names = (list: { metadata: { name: string; namespace?: string } }[]) => list.map((o) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`);

test('keeps Gateway API objects and Namespaces; core objects only when referenced', () => {
  const s = assembleSnapshot(caches() as any, OURS);
  assert.deepEqual(names(s.gatewayClasses), ['/other', '/wicket']);
  assert.deepEqual(names(s.gateways), ['infra/foreign', 'infra/gw']);
  assert.equal(s.namespaces.length, 2);
  // Secrets of our Gateways only (the foreign class's certificate and unrelated tokens are left out).
  assert.deepEqual(names(s.secrets), ['certs/shared', 'infra/cert']);
  assert.deepEqual(names(s.configMaps), ['app/ca', 'infra/gw-params']);
  assert.deepEqual(names(s.services), ['app/mirror', 'app/tls-svc', 'app/web', 'other/elsewhere']);
  assert.deepEqual(names(s.endpointSlices), ['app/web-abc']);
  assert.deepEqual(s.tcpRoutes, []);
});

test('fingerprint ignores status, resourceVersion and unreferenced churn; sees spec changes', () => {
  const base = caches();
  const p0 = snapshotFingerprint(assembleSnapshot(base as any, OURS));
  const statusOnly = caches();
  (statusOnly.Gateway[0] as any) = { ...statusOnly.Gateway[0], metadata: { ...statusOnly.Gateway[0]!.metadata, resourceVersion: '9' }, status: { conditions: [] } };
  statusOnly.Secret[3] = { ...statusOnly.Secret[3]!, metadata: meta('token', 'infra', { resourceVersion: '7', labels: { a: 'b' } }) };
  assert.equal(snapshotFingerprint(assembleSnapshot(statusOnly as any, OURS)), p0);
  const specChange = caches();
  specChange.Gateway[0]!.spec.listeners[0]!.port = 8443;
  assert.notEqual(snapshotFingerprint(assembleSnapshot(specChange as any, OURS)), p0);
  const secretChange = caches();
  secretChange.Secret[0] = { ...secretChange.Secret[0]!, data: { 'tls.crt': 'eA==' } } as any;
  assert.notEqual(snapshotFingerprint(assembleSnapshot(secretChange as any, OURS)), p0);
});

test('status events: only transitions of interest', () => {
  const cond = (type: string, status: string, reason = type, message = '') => ({ type, status, reason, message });
  assert.deepEqual(statusEvents('Gateway', undefined, { addresses: [{ value: '127.1.0.1' }], conditions: [cond('Programmed', 'True')] }, OURS), [
    { type: 'Normal', reason: 'Programmed', note: 'Gateway programmed at 127.1.0.1' },
  ]);
  const same = { conditions: [cond('Programmed', 'True')], listeners: [{ name: 'l', conditions: [cond('Accepted', 'True')] }] };
  assert.deepEqual(statusEvents('Gateway', same, same, OURS), []);
  const bad = { conditions: [cond('Programmed', 'True')], listeners: [{ name: 'l', conditions: [cond('Accepted', 'False', 'PortUnavailable', 'in use')] }] };
  assert.deepEqual(statusEvents('Gateway', same, bad, OURS), [{ type: 'Warning', reason: 'ListenerInvalid', note: 'listener l: Accepted=False PortUnavailable: in use' }]);
  const route = (status: string) => ({ parents: [{ controllerName: OURS, parentRef: { name: 'gw', namespace: 'infra' }, conditions: [cond('Accepted', status, status === 'True' ? 'Accepted' : 'NotAllowedByListeners', 'no')] }, { controllerName: 'x/y', parentRef: { name: 'z' }, conditions: [cond('Accepted', 'False')] }] });
  assert.deepEqual(statusEvents('HTTPRoute', undefined, route('True'), OURS), [{ type: 'Normal', reason: 'Accepted', note: 'accepted by Gateway infra/gw' }]);
  assert.deepEqual(statusEvents('HTTPRoute', route('True'), route('False'), OURS), [{ type: 'Warning', reason: 'Rejected', note: 'rejected by Gateway infra/gw: NotAllowedByListeners: no' }]);
});
