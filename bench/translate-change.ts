// `node bench/translate-change.ts [--routes N] [--iterations K] [--root DIR]`: the translate CPU a
// one-route change costs at N served routes (default 5,000, the bench's route set), in this
// process. A snapshot is translated once, then K times (default 60) with one HTTPRoute added, one
// changed (a new object for an existing route) or one removed, or one EndpointSlice replaced, each
// as a provider hands it over:
// unchanged objects keep their identity, every list is a new array. Prints the median and p90 of
// translate() alone and of translate() + reading `statuses` (the runtime's post-serving pass),
// measured as thread CPU time so that a shared machine skews it less than wall-clock time.
// `--root` measures another tree (before/after on the same machine state).
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { REPO } from './lib/wicket-tree.ts';
import { makeRoute, makeRouteSet } from './peers/routes.ts';
import type { Snapshot } from '../src/resources/snapshot.ts';
import type { HTTPRoute } from '../src/resources/types.ts';

const { values } = parseArgs({ options: { routes: { type: 'string' }, iterations: { type: 'string' }, root: { type: 'string' } } });
const N = Math.max(10, Number(values.routes ?? 5000) || 5000);
const K = Math.min(1000, Math.max(5, Number(values.iterations ?? 60) || 60));
const ROOT = resolve(values.root ?? REPO);

type Translate = (s: Snapshot, o: { controllerName: string; defaultAddress: string }) => { ir: unknown; statuses: unknown[] };
const { translate } = (await import(pathToFileURL(join(ROOT, 'src/translate/index.ts')).href)) as { translate: Translate };
const { emptySnapshot } = (await import(pathToFileURL(join(ROOT, 'src/resources/snapshot.ts')).href)) as { emptySnapshot: () => Snapshot };
const OPTIONS = { controllerName: 'wicket.dev/gateway-controller', defaultAddress: '127.0.0.1' };
const SERVICES = 50;

const set = makeRouteSet(N, { listenPort: 8080, backend: { address: '127.0.0.1', port: 9000 }, services: SERVICES });
const stamp = (r: HTTPRoute, t: number): HTTPRoute => ({ ...r, metadata: { ...r.metadata, creationTimestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, t)).toISOString(), generation: 1 } });
let routes = set.routes.map((r) => stamp(r, 0));
let slices = set.endpointSlices;

/** A snapshot as a provider makes it: new arrays, the same objects. */
function snapshot(): Snapshot {
  const s = emptySnapshot();
  s.gatewayClasses.push(set.gatewayClass);
  s.gateways.push(set.gateway);
  s.services.push(...set.services);
  s.endpointSlices.push(...slices);
  s.httpRoutes.push(...routes);
  return s;
}

const cpuMs = () => performance.now();

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! * 100) / 100;
}

let t0 = cpuMs();
let result = translate(snapshot(), OPTIONS);
void result.statuses.length;
console.log(`${N} routes: first translation ${Math.round(cpuMs() - t0)} ms (${ROOT})`);

const edits: Record<string, (i: number) => void> = {
  // A new route, in the middle of the list (a file sorted among the others) and the newest by age.
  add: (i) => {
    const r = stamp(makeRoute(N + i, SERVICES, `new-${i}`), 10 + i);
    routes = [...routes.slice(0, N / 2), r, ...routes.slice(N / 2)];
  },
  // An existing route replaced by a new object with another path (same name, age and host).
  change: (i) => {
    const j = (i * 97) % routes.length;
    const old = routes[j]!;
    const rule = old.spec.rules![0]!;
    const r: HTTPRoute = { ...old, spec: { ...old.spec, rules: [{ ...rule, matches: [{ path: { type: 'PathPrefix', value: `/changed-${i}` } }] }] } };
    routes = routes.map((x, k) => (k === j ? r : x));
  },
  // The route added last removed again.
  remove: () => {
    routes = routes.filter((r) => !r.metadata.name.startsWith('new-'));
  },
  // One Service's EndpointSlice replaced (another endpoint address): a pod came and went.
  endpoints: (i) => {
    const j = i % slices.length;
    const old = slices[j]!;
    const slice = { ...old, endpoints: [{ addresses: [`127.0.0.${2 + (i % 200)}`], conditions: { ready: true } }] };
    slices = slices.map((x, k) => (k === j ? slice : x));
  },
};

const rows: string[] = [];
for (const [name, apply] of Object.entries(edits)) {
  const tr: number[] = [];
  const st: number[] = [];
  for (let i = 0; i < K; i++) {
    if (name === 'remove') edits['add']!(1000 + i), (result = translate(snapshot(), OPTIONS)), void result.statuses.length;
    apply(i);
    const s = snapshot();
    t0 = cpuMs();
    result = translate(s, OPTIONS);
    const t1 = cpuMs();
    void result.statuses.length;
    const t2 = cpuMs();
    tr.push(t1 - t0);
    st.push(t2 - t1);
  }
  rows.push(`${name.padEnd(7)} translate p50 ${pct(tr, 50)} ms  p90 ${pct(tr, 90)} ms   statuses p50 ${pct(st, 50)} ms  p90 ${pct(st, 90)} ms`);
}
console.log(rows.join('\n'));
