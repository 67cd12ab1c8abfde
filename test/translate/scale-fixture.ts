// A large synthetic snapshot (many HTTPRoutes over many Services and namespaces) for the scale
// test and for timing the translator by hand.
import { emptySnapshot, type Snapshot } from '../../src/resources/snapshot.ts';

export function largeSnapshot(routes: number, services = 1000, namespaces = 50): Snapshot {
  const s = emptySnapshot();
  s.gatewayClasses.push({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'GatewayClass', metadata: { name: 'wicket' }, spec: { controllerName: 'wicket.dev/gateway-controller' } });
  s.gateways.push({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name: 'gw', namespace: 'infra' },
    spec: { gatewayClassName: 'wicket', listeners: [{ name: 'http', port: 80, protocol: 'HTTP', allowedRoutes: { namespaces: { from: 'All' } } }] },
  });
  for (let i = 0; i < services; i++) {
    const ns = `ns-${i % namespaces}`;
    s.services.push({ apiVersion: 'v1', kind: 'Service', metadata: { name: `svc-${i}`, namespace: ns }, spec: { ports: [{ name: 'http', port: 80, targetPort: 8080 }] } });
    s.endpointSlices.push({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: `svc-${i}-a`, namespace: ns, labels: { 'kubernetes.io/service-name': `svc-${i}` } },
      addressType: 'IPv4',
      ports: [{ name: 'http', port: 8080 }],
      endpoints: [{ addresses: [`10.${i >> 8}.${i & 255}.1`] }, { addresses: [`10.${i >> 8}.${i & 255}.2`] }],
    });
  }
  for (let i = 0; i < routes; i++) {
    const svc = i % services;
    const ns = `ns-${svc % namespaces}`;
    s.httpRoutes.push({
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: `r-${i}`, namespace: ns, creationTimestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, i % 86400)).toISOString() },
      spec: {
        parentRefs: [{ name: 'gw', namespace: 'infra' }],
        hostnames: [`h${i % 2000}.example.com`],
        rules: [
          { matches: [{ path: { type: 'PathPrefix', value: `/p${i}` } }], backendRefs: [{ name: `svc-${svc}`, port: 80 }] },
          { matches: [{ path: { type: 'Exact', value: `/e${i}` }, headers: [{ name: 'x', value: 'y' }] }], backendRefs: [{ name: `svc-${svc}`, port: 80 }] },
        ],
      },
    });
  }
  return s;
}
