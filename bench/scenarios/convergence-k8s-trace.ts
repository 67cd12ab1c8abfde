// Diagnostic, not a bench scenario: the tail of Kubernetes-mode convergence, add by add, with
// Wicket in a process of its own as in `convergence-k8s` (same control plane, backend, routes and
// pacing: the next route is created once the last one shows Accepted=True). Per add it records,
// on one wall clock (epoch ms):
//   post      the POST sent                    created  its 201 received
//   added     ADDED seen on the bench's own watch of HTTPRoutes (the API server fans a watch
//             event out to every watcher at once: Wicket's arrives about then)
//   emitted   Wicket handed the snapshot on (its debug log 'snapshot emitted', ms resolution)
//   applied   Wicket served it (its debug log 'translated and applied')
//   served    the prober's first 200          accepted the route's Accepted=True on the watch
// plus what stalled whom inside each add's window: Wicket's GC pauses and event-loop stalls (a
// preload with a PerformanceObserver and a 2 ms interval timer), the bench's own event-loop stalls
// (the prober's measuring error), and the CPU each process used (/proc).
//   node_modules/.bin/node bench/scenarios/convergence-k8s-trace.ts [EXISTING=5000] [ADDS=200]
// Needs root (network namespace) and the control-plane binaries. Wicket runs from source (src/).
// WICKET_ARGS adds node flags for Wicket's process (e.g. "--cpu-prof --cpu-prof-dir=DIR"); ALLOC_PROFILE=FILE writes
// a sampled allocation profile of Wicket during the adds (collected objects included); with
// ALLOC_SURVIVORS=1 as well, objects a young-generation collection freed are left out, so the profile
// shows what was promoted to the old generation (and what a full collection freed after).
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startControlPlane, type ControlPlane } from '../../test/kubernetes/control-plane.ts';
import { create, createBase, inParallel, ROUTES_PATH } from '../lib/kube-api.ts';
import { startNetnsBackend, type NetnsBackend } from '../lib/netns.ts';
import { percentile } from '../lib/stats.ts';
import { freePort, sleep, waitFor200, closeAgent } from '../lib/net.ts';
import { cpuTimeMs, start, stop, type Owned } from '../lib/proc.ts';
import { makeBase, makeRoute, requestFor } from '../peers/routes.ts';

const REPO = resolve(import.meta.dirname, '../..');
const EXISTING = Number(process.argv[2] ?? 5000);
const ADDS = Number(process.argv[3] ?? 200);
const SERVICES = 50;
const wall = (): number => performance.timeOrigin + performance.now();

// Loaded into Wicket's process: GC pauses and event-loop stalls, each with its wall-clock time.
const PRELOAD = `
import { PerformanceObserver, performance } from 'node:perf_hooks';
const out = (o) => process.stderr.write(JSON.stringify(o) + '\\n');
new PerformanceObserver((l) => { for (const e of l.getEntries()) if (e.duration >= 1) out({ probe: 'gc', t: performance.timeOrigin + e.startTime, ms: e.duration, kind: e.detail?.kind }); }).observe({ entryTypes: ['gc'] });
let last = performance.now();
setInterval(() => { const n = performance.now(); if (n - last > 7) out({ probe: 'stall', t: performance.timeOrigin + last, ms: n - last - 2 }); last = n; }, 2).unref();
// ALLOC_PROFILE: sampled allocations, collected objects included, from SIGUSR2 (the adds) to exit.
if (process.env.ALLOC_PROFILE) {
  const { Session } = await import('node:inspector');
  const { writeFileSync } = await import('node:fs');
  const s = new Session();
  s.connect();
  process.on('SIGUSR2', () => s.post('HeapProfiler.startSampling', { samplingInterval: 16384, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: !process.env.ALLOC_SURVIVORS }));
  process.on('exit', () => s.post('HeapProfiler.stopSampling', (err, r) => { if (!err) writeFileSync(process.env.ALLOC_PROFILE, JSON.stringify(r.profile)); }));
}
`;

interface Add {
  name: string;
  post: number;
  created?: number;
  added?: number;
  served?: number;
  accepted?: number;
  emitted?: number;
  applied?: number;
  cpu0?: Cpu;
  cpu1?: Cpu;
}
interface Cpu { wicket: number; apiserver: number; etcd: number; bench: number }

const cpuOf = (pid: number | string): number => {
  try {
    const c = cpuTimeMs(pid);
    return c.user + c.system;
  } catch {
    return 0;
  }
};

const cpDir = (cp: ControlPlane): string => cp.dir;
function pidsOf(cp: ControlPlane, comm: string): number[] {
  return readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number).filter((d) => {
    try {
      return readFileSync(`/proc/${d}/comm`, 'utf8').trim() === comm && readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(cpDir(cp));
    } catch {
      return false;
    }
  });
}

const pct = (xs: number[], p: number): number => percentile(xs.filter(Number.isFinite), p) ?? NaN;
const r1 = (x: number): string => (Number.isFinite(x) ? x.toFixed(1) : '-');

const dir = mkdtempSync(join(tmpdir(), 'wicket-k8s-trace-'));
let backend: NetnsBackend | undefined;
let cp: ControlPlane | undefined;
let wicket: Owned | undefined;
let abortWatch: AbortController | undefined;
const benchStalls: { t: number; ms: number }[] = [];
let lastTick = performance.now();
const tick = setInterval(() => {
  const n = performance.now();
  if (n - lastTick > 7) benchStalls.push({ t: performance.timeOrigin + lastTick, ms: n - lastTick - 2 });
  lastTick = n;
}, 2);
try {
  backend = await startNetnsBackend(dir, (m) => console.log(m));
  cp = await startControlPlane();
  const listenPort = await freePort();
  const base = makeBase({ listenPort, backend: { address: backend.address, port: backend.port }, services: SERVICES });
  await createBase(cp, base);
  await inParallel(Array.from({ length: EXISTING }, (_, i) => makeRoute(i, SERVICES)), 16, (r) => create(cp!, ROUTES_PATH, r));
  console.log(`created ${EXISTING} routes`);

  const adds = new Map<string, Add>();
  const acceptedNames = new Set<string>();
  abortWatch = await cp.client.watch(ROUTES_PATH, { allowWatchBookmarks: 'false' }, (type, obj: any) => {
    const name = obj?.metadata?.name as string | undefined;
    if (!name) return;
    const a = adds.get(name);
    if (a && type === 'ADDED' && a.added === undefined) a.added = wall();
    const gen = obj.metadata.generation;
    const ok = (obj.status?.parents ?? []).some((p: any) => (p.conditions ?? []).some((c: any) => c.type === 'Accepted' && c.status === 'True' && c.observedGeneration === gen));
    if (ok && !acceptedNames.has(name)) {
      acceptedNames.add(name);
      if (a) a.accepted = wall();
    }
  }, () => {});

  const preload = join(dir, 'probe.mjs');
  writeFileSync(preload, PRELOAD);
  const adminPort = await freePort();
  const nodeArgs = ['--max-semi-space-size=4', ...(process.env.WICKET_ARGS ?? '').split(' ').filter(Boolean), '--import', `file://${preload}`];
  const args = [...nodeArgs, join(REPO, 'src/cli/main.ts'), 'run', '--kubeconfig', cp.kubeconfig, '--admin-address', `127.0.0.1:${adminPort}`, '--log-level', 'debug'];
  const logFile = join(dir, 'wicket.log');
  const w = start('wicket-k8s-trace', join(REPO, 'node_modules/.bin/node'), args, { cwd: REPO, logFile });
  wicket = w;
  const probe = requestFor(EXISTING - 1);
  const first = await waitFor200(listenPort, probe.host, probe.path, { since: performance.now(), timeoutMs: 180_000, pollMs: 5 });
  if (first === null) throw new Error(`Wicket did not serve (log ${logFile}): ${w.tail().slice(-500)}`);
  for (let i = 0; i < 3000 && acceptedNames.size < EXISTING; i++) await sleep(100);
  console.log(`served after ${Math.round(first)} ms; ${acceptedNames.size} accepted`);
  await sleep(1000);

  const wpid = w.pid;
  const apis = pidsOf(cp, 'kube-apiserver');
  const etcds = pidsOf(cp, 'etcd');
  const cpu = (): Cpu => ({ wicket: cpuOf(wpid), apiserver: apis.reduce((s, p) => s + cpuOf(p), 0), etcd: etcds.reduce((s, p) => s + cpuOf(p), 0), bench: cpuOf(process.pid) });
  const order: Add[] = [];
  if (process.env.ALLOC_PROFILE) process.kill(wpid, 'SIGUSR2');
  const traceStart = wall();
  for (let k = 0; k < ADDS; k++) {
    const route = makeRoute(EXISTING + k, SERVICES);
    const a: Add = { name: route.metadata.name, post: 0 };
    adds.set(a.name, a);
    order.push(a);
    a.cpu0 = cpu();
    const since = performance.now();
    a.post = wall();
    await create(cp, ROUTES_PATH, route);
    a.created = wall();
    const req = requestFor(EXISTING + k);
    const ms = await waitFor200(listenPort, req.host, req.path, { since, timeoutMs: 5000, pollMs: 1 });
    if (ms !== null) a.served = performance.timeOrigin + since + ms;
    for (let i = 0; i < 5000 && a.accepted === undefined; i++) await sleep(1);
    a.cpu1 = cpu();
  }
  await sleep(200);

  // Wicket's log: probes (epoch ms) and debug lines (ISO, ms resolution) after the trace started.
  const gc: { t: number; ms: number; kind?: number }[] = [];
  const stalls: { t: number; ms: number }[] = [];
  const emitted: number[] = [];
  const applied: number[] = [];
  // Status publishes that compared many objects (a resync, a backlog): ms-resolution end times.
  const bigPublishes: { t: number; ms: number; compared: number }[] = [];
  for (const line of readFileSync(logFile, 'utf8').split('\n')) {
    if (!line.startsWith('{')) continue;
    let o: any;
    try {
      o = JSON.parse(line);
    } catch {
      continue;
    }
    if (o.probe === 'gc') gc.push(o);
    else if (o.probe === 'stall') stalls.push(o);
    else if (o.msg === 'snapshot emitted') emitted.push(Date.parse(o.time));
    else if (o.msg === 'translated and applied') applied.push(Date.parse(o.time));
    else if (o.msg === 'statuses published' && o.compared > 20) bigPublishes.push({ t: Date.parse(o.time) - o.ms, ms: o.ms, compared: o.compared });
  }
  // Each add's own emit/apply: the first at or after its ADDED (ms-resolution logs: 1 ms slack).
  for (const a of order) {
    const from = (a.added ?? a.post) - 1;
    a.emitted = emitted.find((t) => t >= from && t <= (a.served ?? Infinity) + 1);
    a.applied = applied.find((t) => t >= from && t <= (a.served ?? Infinity) + 1);
  }
  const seg = (f: (a: Add) => number | undefined): number[] => order.map((a) => f(a) ?? NaN);
  const rows: [string, number[]][] = [
    ['POST → 200 (the bench row)', seg((a) => a.served! - a.post)],
    ['POST → 201', seg((a) => a.created! - a.post)],
    ['POST → ADDED (bench watch)', seg((a) => a.added! - a.post)],
    ['ADDED → 201', seg((a) => a.created! - a.added!)],
    ['ADDED → 200 (Wicket + prober)', seg((a) => a.served! - a.added!)],
    ['ADDED → emitted (Wicket log)', seg((a) => a.emitted! - a.added!)],
    ['emitted → applied (Wicket log)', seg((a) => a.applied! - a.emitted!)],
    ['applied → 200 (prober)', seg((a) => a.served! - a.applied!)],
    ['201 → 200', seg((a) => a.served! - a.created!)],
    ['POST → Accepted', seg((a) => a.accepted! - a.post)],
    ['cpu ms per add: wicket', seg((a) => a.cpu1!.wicket - a.cpu0!.wicket)],
    ['cpu ms per add: apiserver', seg((a) => a.cpu1!.apiserver - a.cpu0!.apiserver)],
    ['cpu ms per add: etcd', seg((a) => a.cpu1!.etcd - a.cpu0!.etcd)],
    ['cpu ms per add: bench', seg((a) => a.cpu1!.bench - a.cpu0!.bench)],
  ];
  console.log(`\n${order.length} adds at ${EXISTING} existing routes (ms)`);
  console.log(`${'segment'.padEnd(32)} ${['p50', 'p90', 'p99', 'max'].map((h) => h.padStart(7)).join('')}  n`);
  for (const [n, xs] of rows) console.log(`${n.padEnd(32)} ${[50, 90, 99].map((p) => r1(pct(xs, p)).padStart(7)).join('')}${r1(Math.max(...xs.filter(Number.isFinite))).padStart(7)}  ${xs.filter(Number.isFinite).length}`);
  const inWin = <T extends { t: number; ms: number }>(xs: T[], a: Add): T[] => xs.filter((x) => x.t + x.ms >= a.post && x.t <= (a.served ?? a.post + 5000));
  const sum = (xs: { ms: number }[]): number => xs.reduce((s, x) => s + x.ms, 0);
  const traced = (xs: { t: number; ms: number }[]) => xs.filter((x) => x.t >= traceStart);
  console.log(`\nstatus publishes comparing > 20 objects during the adds: ${bigPublishes.filter((b) => b.t >= traceStart).map((b) => `${b.compared} in ${b.ms} ms`).join(', ') || 'none'}`);
  console.log(`\nWicket during the adds: ${traced(gc).length} GC pauses ≥ 1 ms (${r1(sum(traced(gc)))} ms; max ${r1(Math.max(0, ...traced(gc).map((g) => g.ms)))}), ${traced(stalls).length} loop stalls > 5 ms (${r1(sum(traced(stalls)))} ms; max ${r1(Math.max(0, ...traced(stalls).map((g) => g.ms)))}); bench loop stalls ${traced(benchStalls).length} (max ${r1(Math.max(0, ...traced(benchStalls).map((g) => g.ms)))})`);
  console.log('\nslowest adds (ms from POST): 201 ADDED emitted applied 200 | Wicket GC, Wicket stalls, bench stalls in the window | cpu ms wicket/apiserver/etcd');
  for (const a of [...order].sort((x, y) => (y.served ?? Infinity) - y.post - ((x.served ?? Infinity) - x.post)).slice(0, 15)) {
    const rel = (t: number | undefined): string => (t === undefined ? '-' : r1(t - a.post));
    const c = a.cpu1 && a.cpu0 ? `${a.cpu1.wicket - a.cpu0.wicket}/${a.cpu1.apiserver - a.cpu0.apiserver}/${a.cpu1.etcd - a.cpu0.etcd}` : '-';
    const ev = (xs: { t: number; ms: number }[]) => inWin(xs, a).map((x) => `${r1(x.t - a.post)}+${r1(x.ms)}`).join(' ') || '·';
    const big = inWin(bigPublishes, a).map((x) => `${r1(x.t - a.post)}+${x.ms} (${x.compared} compared)`).join(' ');
    console.log(`${a.name}: ${rel(a.created)} ${rel(a.added)} ${rel(a.emitted)} ${rel(a.applied)} ${rel(a.served)} | gc ${ev(gc)} | stall ${ev(stalls)} | bench ${ev(benchStalls)} | ${c}${big ? ` | status publish ${big}` : ''}`);
  }
  writeFileSync(join(dir, 'adds.json'), JSON.stringify({ adds: order, gc, stalls, benchStalls }, null, 0));
  console.log(`\nraw: ${join(dir, 'adds.json')}; Wicket log: ${logFile}`);
} finally {
  clearInterval(tick);
  abortWatch?.abort();
  if (wicket) await stop(wicket);
  closeAgent();
  if (cp) await cp.stop().catch(() => {});
  if (backend) await backend.close();
}
