// Diagnostic, not a bench scenario: how much of what a route added allocates outlives the young
// generation, in process, without a control plane. 5,000 routes are translated, then ADDS routes
// are added one at a time as Kubernetes mode handles them: a new sorted list with the route in it
// (the provider's assembly), translate(), then — a moment later, as the runtime does once serving —
// the statuses read and filled with transition times. Run with --trace-gc-nvp, it prints per add the
// bytes allocated and promoted by young-generation collections and the full collections during the
// adds (promoted bytes are what the next full collection has to find dead).
//   node_modules/.bin/node --max-semi-space-size=4 --trace-gc-nvp bench/scenarios/convergence-k8s-promotion.ts [ADDS=600]
// ROOT=<dir> measures the src/ of another tree (e.g. one unpacked with git archive) for before/after.
// MODE=nostatus leaves the statuses unread. PROFILE=FILE also writes a sampled allocation profile
// of the adds that leaves out what young collections freed (what was promoted, by allocation site).
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Snapshot } from '../../src/resources/snapshot.ts';
import type { HTTPRoute } from '../../src/resources/types.ts';
import { makeRoute, makeRouteSet } from '../peers/routes.ts';

const ROOT = resolve(process.env.ROOT ?? join(import.meta.dirname, '../..'));
const ADDS = Math.max(10, Number(process.argv[2] ?? 600) || 600);
const N = 5000;
const OPTIONS = { controllerName: 'wicket.dev/gateway-controller', defaultAddress: '127.0.0.1' };

if (!process.execArgv.some((a) => a.startsWith('--trace-gc-nvp'))) {
  // Re-run with the flags, reading V8's own per-collection lines from the child's output.
  const r = spawnSync(process.execPath, ['--max-semi-space-size=4', '--trace-gc-nvp', ...process.execArgv, import.meta.filename, ...process.argv.slice(2)], { encoding: 'utf8', maxBuffer: 256 << 20 });
  let on = false;
  let scavenges = 0;
  let full = 0;
  let promoted = 0;
  let allocated = 0;
  for (const l of r.stdout.split('\n')) {
    if (l.startsWith('ADDS start')) on = true;
    else if (l.startsWith('ADDS end')) on = false;
    if (!on || !l.includes('gc=')) continue;
    const f = Object.fromEntries(l.trim().split(/\s+/).map((kv) => kv.split('=')).filter((x) => x.length === 2));
    if (f.gc === 's') {
      scavenges++;
      promoted += Number(f.promoted);
      allocated += Number(f.allocated);
    } else if (f.gc === 'mc') full++;
  }
  if (r.status !== 0) console.error(r.stderr.slice(-2000));
  console.log(`${ADDS} adds at ${N} routes (${ROOT}): allocated ${(allocated / ADDS / 1024).toFixed(1)} KB and promoted ${(promoted / ADDS / 1024).toFixed(1)} KB per add; ${scavenges} young collections, ${full} full`);
  process.exit(r.status ?? 1);
}

const { translate } = (await import(pathToFileURL(join(ROOT, 'src/translate/index.ts')).href)) as { translate: (s: Snapshot, o: typeof OPTIONS) => { statuses: unknown[] } };
const { emptySnapshot } = (await import(pathToFileURL(join(ROOT, 'src/resources/snapshot.ts')).href)) as { emptySnapshot: () => Snapshot };
const { TransitionTimes } = (await import(pathToFileURL(join(ROOT, 'src/runtime/transition-times.ts')).href)) as { TransitionTimes: new () => { fill(s: unknown[]): unknown[] } };

const set = makeRouteSet(N, { listenPort: 8080, backend: { address: '127.0.0.1', port: 9000 }, services: 50 });
const stamp = (r: HTTPRoute, t: number): HTTPRoute => ({ ...r, metadata: { ...r.metadata, creationTimestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, t)).toISOString(), generation: 1 } });
let routes = set.routes.map((r) => stamp(r, 0)).sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
let snapshot = emptySnapshot();
snapshot.gatewayClasses.push(set.gatewayClass);
snapshot.gateways.push(set.gateway);
snapshot.services.push(...set.services);
snapshot.endpointSlices.push(...set.endpointSlices);
snapshot.httpRoutes = routes;
const times = new TransitionTimes();
let result = translate(snapshot, OPTIONS);
let filled = times.fill(result.statuses);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
await sleep(200);

const session = new Session();
session.connect();
const post = (method: string, params: object = {}) => new Promise<any>((ok, fail) => session.post(method, params, (err, v) => (err ? fail(err) : ok(v))));
if (process.env.PROFILE) await post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: false });
console.log('ADDS start');
for (let i = 0; i < ADDS; i++) {
  const r = stamp(makeRoute(N + i, 50), 10 + i);
  let lo = 0;
  let hi = routes.length;
  while (lo < hi) {
    const m = (lo + hi) >> 1;
    if (routes[m]!.metadata.name < r.metadata.name) lo = m + 1;
    else hi = m;
  }
  routes = routes.toSpliced(lo, 0, r);
  // A new snapshot object and route list, every other list the same (as the provider hands them on).
  snapshot = { ...snapshot, httpRoutes: routes };
  result = translate(snapshot, OPTIONS);
  await sleep(2);
  if (process.env.MODE !== 'nostatus') filled = times.fill(result.statuses);
  await sleep(2);
}
console.log('ADDS end', filled.length);
if (process.env.PROFILE) writeFileSync(process.env.PROFILE, JSON.stringify((await post('HeapProfiler.stopSampling')).profile));
session.disconnect();
