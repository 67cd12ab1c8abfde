// Reduces a route set's Gateway API objects to the routing table the peers need: for each route
// hostname, its path matches (Exact / PathPrefix) and the upstream they go to, with the upstream's
// endpoints resolved through EndpointSlices (ready endpoints only), as a gateway would.
import type { RouteSet } from './routes.ts';

export interface Upstream {
  /** Identifier safe for nginx and HAProxy configs: `<namespace>_<service>_<port>`. */
  id: string;
  endpoints: { address: string; port: number }[];
}

export interface PeerRoute {
  host: string;
  pathType: 'Exact' | 'PathPrefix';
  path: string;
  upstream: string;
}

export interface PeerTable {
  upstreams: Upstream[];
  routes: PeerRoute[];
}

export function peerTable(set: RouteSet): PeerTable {
  const endpointsByService = new Map<string, { address: string; port: number }[]>();
  for (const slice of set.endpointSlices) {
    const svc = slice.metadata.labels?.['kubernetes.io/service-name'];
    if (!svc) continue;
    const key = `${slice.metadata.namespace ?? 'default'}/${svc}`;
    const list = endpointsByService.get(key) ?? [];
    const port = slice.ports?.[0]?.port;
    for (const ep of slice.endpoints ?? []) {
      if (ep.conditions?.ready === false || port === undefined) continue;
      for (const address of ep.addresses) list.push({ address, port });
    }
    endpointsByService.set(key, list);
  }
  const upstreams = new Map<string, Upstream>();
  const routes: PeerRoute[] = [];
  for (const r of set.routes) {
    const ns = r.metadata.namespace ?? 'default';
    const where = `HTTPRoute ${ns}/${r.metadata.name}`;
    if (!r.spec.hostnames?.length) throw new Error(`${where}: spec.hostnames: the peer generator needs at least one hostname`);
    for (const [ri, rule] of (r.spec.rules ?? []).entries()) {
      const refs = rule.backendRefs ?? [];
      if (refs.length !== 1) throw new Error(`${where}: spec.rules[${ri}].backendRefs: the peer generator supports exactly one backendRef`);
      const ref = refs[0]!;
      const svcKey = `${ref.namespace ?? ns}/${ref.name}`;
      const id = `${(ref.namespace ?? ns).replace(/\W/g, '_')}_${ref.name.replace(/\W/g, '_')}_${ref.port ?? 80}`;
      const eps = endpointsByService.get(svcKey);
      if (!eps?.length) throw new Error(`${where}: spec.rules[${ri}].backendRefs[0]: Service ${svcKey} has no ready endpoints`);
      upstreams.set(id, { id, endpoints: eps });
      for (const [mi, m] of (rule.matches ?? [{ path: { type: 'PathPrefix', value: '/' } }]).entries()) {
        const type = m.path?.type ?? 'PathPrefix';
        if (type !== 'Exact' && type !== 'PathPrefix') throw new Error(`${where}: spec.rules[${ri}].matches[${mi}].path.type: ${type} is not supported by the peer generator`);
        for (const host of r.spec.hostnames) routes.push({ host: host.toLowerCase(), pathType: type, path: m.path?.value ?? '/', upstream: id });
      }
    }
  }
  return { upstreams: [...upstreams.values()], routes };
}
