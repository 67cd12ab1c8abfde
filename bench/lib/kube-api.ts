// Writing the route set to a test control plane, shared by the Kubernetes-mode scenario and its
// diagnostics: POSTs that tolerate an object already there, bounded parallelism, and the objects
// every run starts from (namespace, GatewayClass, Gateway, Services, EndpointSlices).
import type { ControlPlane } from '../../test/kubernetes/control-plane.ts';
import { NS, type makeBase } from '../peers/routes.ts';

export const ROUTES_PATH = `/apis/gateway.networking.k8s.io/v1/namespaces/${NS}/httproutes`;

/** POST `body` to `path`; 409 (already there, from an earlier attempt) counts as created. */
export async function create(cp: ControlPlane, path: string, body: object): Promise<void> {
  const res = await cp.client.request('POST', path, { body });
  if (res.status !== 201 && res.status !== 409) throw new Error(`POST ${path}: HTTP ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
}

/** Runs fn over items with at most `width` in flight. */
export async function inParallel<T>(items: T[], width: number, fn: (x: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

/** The namespace and every object of `base` but the routes. */
export async function createBase(cp: ControlPlane, base: ReturnType<typeof makeBase>): Promise<void> {
  await create(cp, '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  await create(cp, '/apis/gateway.networking.k8s.io/v1/gatewayclasses', base.gatewayClass);
  await create(cp, `/apis/gateway.networking.k8s.io/v1/namespaces/${NS}/gateways`, base.gateway);
  await inParallel(base.services, 8, (s) => create(cp, `/api/v1/namespaces/${NS}/services`, s));
  await inParallel(base.endpointSlices, 8, (s) => create(cp, `/apis/discovery.k8s.io/v1/namespaces/${NS}/endpointslices`, s));
}
