// Micro-benchmark of route matching (not a test): `npx node test/proxy/router-bench.ts`.
// 50 virtual hosts × 40 rules (exact, prefix, header-conditioned), requests spread over them;
// prints matches per second for the compiled router and the linear reference matcher.
import type { IRPort, RouteRule } from '../../src/ir/types.ts';
import { makeHead } from '../../src/proxy/request-head.ts';
import { CompiledRouter } from '../../src/proxy/router/compiled.ts';
import { ReferenceRouter } from '../../src/proxy/router/reference.ts';

const vhosts = Array.from({ length: 50 }, (_, h) => ({
  hostname: `app${h}.example.com`,
  rules: Array.from({ length: 40 }, (_, i): RouteRule => ({
    id: `r${h}-${i}`,
    route: `HTTPRoute/ns/r${h}`,
    match: {
      path: i % 3 === 0 ? { type: 'Exact', value: `/api/v${i}/items` } : { type: 'PathPrefix', value: `/svc${i}/part` },
      headers: i % 5 === 0 ? [{ name: 'x-canary', type: 'Exact', value: 'yes' }] : [],
      queryParams: [],
    },
    filters: [],
    backends: [],
  })),
}));
const port: IRPort = {
  name: 'bench',
  address: '0.0.0.0',
  port: 80,
  kind: 'http',
  listeners: [{ name: 'ns/gw/http', gateway: 'ns/gw', protocol: 'HTTP', virtualHosts: vhosts }],
};
const heads = Array.from({ length: 1000 }, (_, k) => {
  const h = k % 50;
  const i = (k * 7) % 40;
  const path = i % 3 === 0 ? `/api/v${i}/items` : `/svc${i}/part/x/${k}`;
  return makeHead('GET', 'http', path, ['Host', `app${h}.example.com`, 'X-Canary', k % 2 ? 'yes' : 'no'], '1.1.1.1', 80, null);
});

for (const [name, router] of [
  ['compiled', new CompiledRouter(port, (r) => r.id)],
  ['reference', new ReferenceRouter(port, (r) => r.id)],
] as const) {
  let n = 0;
  let hits = 0;
  const end = performance.now() + 1000;
  while (performance.now() < end) {
    for (let k = 0; k < heads.length; k++) {
      heads[k]!.lowerNames = null; // as for a fresh request
      if (router.match(heads[k]!) !== null) hits++;
    }
    n += heads.length;
  }
  console.log(JSON.stringify({ router: name, matches_per_s: Math.round(n), hit_rate: +(hits / n).toFixed(2) }));
}
