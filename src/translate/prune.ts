// Keep in the IR only the clusters something in it refers to (routes that did not attach, or
// TLSRoute backends resolved for a listener mode not in use, leave unused clusters behind).
import type { Filter, IR, WeightedBackend } from '../ir/types.ts';

export function pruneClusters(ir: IR): IR {
  const used = new Set<string>();
  const backends = (list: readonly WeightedBackend[]) => {
    for (const b of list) {
      if (b.cluster) used.add(b.cluster);
      filters(b.filters);
    }
  };
  const filters = (list: readonly Filter[]) => {
    for (const f of list) if (f.type === 'RequestMirror' && f.cluster) used.add(f.cluster);
  };
  for (const port of ir.ports) {
    for (const l of port.listeners) {
      for (const vh of l.virtualHosts ?? []) {
        for (const r of vh.rules) {
          backends(r.backends);
          filters(r.filters);
        }
      }
      for (const r of l.tlsRoutes ?? []) backends(r.backends);
      if (l.l4Route) backends(l.l4Route.backends);
    }
  }
  const clusters: IR['clusters'] = {};
  for (const [name, c] of Object.entries(ir.clusters)) if (used.has(name)) clusters[name] = c;
  return { ...ir, clusters };
}
