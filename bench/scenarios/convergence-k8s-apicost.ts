// Diagnostic, not a bench scenario: what each kind of API write costs the test control plane at
// EXISTING routes (as convergence-k8s sets it up), to weigh Wicket's own traffic per route added
// against the add itself. No Wicket runs: this process plays every part. Two watches on HTTPRoutes
// (Wicket's and the bench's) and one on Gateways stay open, as in the scenario, so each write also
// pays its watch fan-out. Per kind, N writes one after another; per write, the kube-apiserver's and
// etcd's CPU (/proc, 10 ms ticks, so summed over the N and divided) and the wall time:
//   route POST      a new HTTPRoute (what the bench times)
//   route status    PUT of a route's status with our Accepted parent entry (Wicket, once per add)
//   gateway status  PUT of the Gateway's status, attachedRoutes moving (Wicket, once per add)
//   event           POST of an events.k8s.io Event (Wicket, rate-limited to 2/s)
//   node_modules/.bin/node bench/scenarios/convergence-k8s-apicost.ts [EXISTING=5000] [N=100]
// Needs root and the control-plane binaries (as convergence-k8s-trace.ts).
import { readFileSync, readdirSync } from 'node:fs';
import { startControlPlane, type ControlPlane } from '../../test/kubernetes/control-plane.ts';
import { create, createBase, inParallel, ROUTES_PATH } from '../lib/kube-api.ts';
import { cpuTimeMs } from '../lib/proc.ts';
import { percentile } from '../lib/stats.ts';
import { CONTROLLER, makeBase, makeRoute, NS } from '../peers/routes.ts';

const EXISTING = Number(process.argv[2] ?? 5000);
const N = Math.max(10, Number(process.argv[3] ?? 100));
const SERVICES = 50;
const GATEWAYS_PATH = `/apis/gateway.networking.k8s.io/v1/namespaces/${NS}/gateways`;

const cpuOf = (pid: number): number => {
  try {
    const c = cpuTimeMs(pid);
    return c.user + c.system;
  } catch {
    return 0;
  }
};
function pidsOf(cp: ControlPlane, comm: string): number[] {
  return readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number).filter((d) => {
    try {
      return readFileSync(`/proc/${d}/comm`, 'utf8').trim() === comm && readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(cp.dir);
    } catch {
      return false;
    }
  });
}

let cp: ControlPlane | undefined;
const watches: AbortController[] = [];
try {
  cp = await startControlPlane();
  const c = cp;
  const base = makeBase({ listenPort: 8080, backend: { address: '198.18.200.2', port: 8080 }, services: SERVICES });
  await createBase(c, base);
  await inParallel(Array.from({ length: EXISTING }, (_, i) => makeRoute(i, SERVICES)), 16, (r) => create(c, ROUTES_PATH, r));
  console.log(`${EXISTING} routes created`);
  for (const path of [ROUTES_PATH, ROUTES_PATH, GATEWAYS_PATH]) watches.push(await c.client.watch(path, { allowWatchBookmarks: 'false' }, () => {}, () => {}));
  const apis = pidsOf(c, 'kube-apiserver');
  const etcds = pidsOf(c, 'etcd');
  const cpu = () => ({ api: apis.reduce((s, p) => s + cpuOf(p), 0), etcd: etcds.reduce((s, p) => s + cpuOf(p), 0) });

  let next = EXISTING;
  const routeStatus = (name: string, gen: number) => ({
    parents: [{
      parentRef: { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: base.gateway.metadata.name, namespace: NS },
      controllerName: CONTROLLER,
      conditions: ['Accepted', 'ResolvedRefs'].map((type) => ({ type, status: 'True', reason: type, message: '', observedGeneration: gen, lastTransitionTime: '2026-01-01T00:00:00Z' })),
    }],
  });
  let attached = EXISTING;
  const ops: Record<string, () => Promise<void>> = {
    'route POST': async () => create(c, ROUTES_PATH, makeRoute(next++, SERVICES)),
    'route status': async () => {
      const name = makeRoute(next++, SERVICES).metadata.name;
      await create(c, ROUTES_PATH, makeRoute(next - 1, SERVICES));
      const got = await c.client.request('GET', `${ROUTES_PATH}/${name}`);
      const t = performance.now();
      const c0 = cpu();
      const res = await c.client.request('PUT', `${ROUTES_PATH}/${name}/status`, { body: { ...got.body, status: routeStatus(name, got.body.metadata.generation) } });
      if (res.status !== 200) throw new Error(`route status: HTTP ${res.status}`);
      measured.push({ ms: performance.now() - t, ...diff(c0, cpu()) });
    },
    'gateway status': async () => {
      const got = await c.client.request('GET', `${GATEWAYS_PATH}/${base.gateway.metadata.name}`);
      const listeners = (base.gateway.spec.listeners ?? []).map((l) => ({
        name: l.name, supportedKinds: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute' }], attachedRoutes: attached++,
        conditions: ['Accepted', 'Programmed', 'ResolvedRefs'].map((type) => ({ type, status: 'True', reason: type, message: '', observedGeneration: 1, lastTransitionTime: '2026-01-01T00:00:00Z' })),
      }));
      const status = { conditions: ['Accepted', 'Programmed'].map((type) => ({ type, status: 'True', reason: type, message: '', observedGeneration: 1, lastTransitionTime: '2026-01-01T00:00:00Z' })), listeners };
      const t = performance.now();
      const c0 = cpu();
      const res = await c.client.request('PUT', `${GATEWAYS_PATH}/${base.gateway.metadata.name}/status`, { body: { ...got.body, status } });
      if (res.status !== 200) throw new Error(`gateway status: HTTP ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
      measured.push({ ms: performance.now() - t, ...diff(c0, cpu()) });
    },
    event: async () => create(c, `/apis/events.k8s.io/v1/namespaces/${NS}/events`, {
      apiVersion: 'events.k8s.io/v1', kind: 'Event', metadata: { name: `e-${next++}`, namespace: NS }, eventTime: '2026-01-01T00:00:00.000000Z',
      reportingController: CONTROLLER, reportingInstance: 'bench', action: 'Reconcile', reason: 'Accepted', note: 'accepted by Gateway', type: 'Normal',
      regarding: { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', name: 'route-0', namespace: NS },
    }),
  };
  const diff = (a: { api: number; etcd: number }, b: { api: number; etcd: number }) => ({ api: b.api - a.api, etcd: b.etcd - a.etcd });
  let measured: { ms: number; api: number; etcd: number }[] = [];
  console.log(`${'write'.padEnd(16)} ${'wall p50'.padStart(9)} ${'wall p99'.padStart(9)} ${'apiserver cpu/write'.padStart(20)} ${'etcd cpu/write'.padStart(15)}  (ms, ${N} writes each)`);
  for (const [name, op] of Object.entries(ops)) {
    measured = [];
    const self = name === 'route status' || name === 'gateway status'; // these time only the PUT
    for (let i = 0; i < N; i++) {
      if (self) {
        await op();
        continue;
      }
      const t = performance.now();
      const c0 = cpu();
      await op();
      measured.push({ ms: performance.now() - t, ...diff(c0, cpu()) });
    }
    const ms = measured.map((m) => m.ms);
    const sum = (k: 'api' | 'etcd') => measured.reduce((s, m) => s + m[k], 0) / measured.length;
    console.log(`${name.padEnd(16)} ${percentile(ms, 50)!.toFixed(1).padStart(9)} ${percentile(ms, 99)!.toFixed(1).padStart(9)} ${sum('api').toFixed(1).padStart(20)} ${sum('etcd').toFixed(1).padStart(15)}`);
  }
} finally {
  for (const w of watches) w.abort();
  if (cp) await cp.stop().catch(() => {});
}
