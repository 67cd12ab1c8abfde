// Diagnostic, not a bench scenario: where the time goes in Kubernetes-mode convergence, in one
// process. A real control plane (as convergence-k8s), the real provider, runtime, translate and
// data plane, with timing wrappers at each boundary: API write → watch event → snapshot handed to
// translate → translated → applied → publishStatus → status PUT sent/done → status seen on the
// watch. Also the CPU seconds of Wicket, kube-apiserver and etcd during start-up and the status
// flush. SRC=<dir> measures the src/ of another tree (e.g. one unpacked with git archive).
//   node_modules/.bin/node bench/scenarios/convergence-k8s-split.ts [EXISTING=1000] [ADDS=30]
// CONC=<n> sets the status writer's concurrency. Needs root and the control-plane binaries.
import { resolve } from 'node:path';
const R = resolve(import.meta.dirname, '../..');
const S = process.env.SRC ?? R;
const { startControlPlane } = await import(`${R}/test/kubernetes/control-plane.ts`);
const { KubeClient } = await import(`${S}/src/providers/kubernetes/kube-client.ts`);
const { createKubernetesProvider } = await import(`${S}/src/providers/kubernetes/index.ts`);
const { Runtime } = await import(`${S}/src/runtime/runtime.ts`);
const { createDataPlane } = await import(`${S}/src/proxy/index.ts`);
const { translate } = await import(`${S}/src/translate/index.ts`);
const { Registry } = await import(`${S}/src/metrics/registry.ts`);
const { setLogLevel } = await import(`${S}/src/log.ts`);
const { makeBase, makeRoute, NS, CONTROLLER } = await import(`${R}/bench/peers/routes.ts`);
const { cpuTimeMs } = await import(`${R}/bench/lib/proc.ts`);
const { freePort } = await import(`${R}/bench/lib/net.ts`);

setLogLevel(process.env.LOG ?? 'warn');
const EXISTING = Number(process.argv[2] ?? 1000);
const ADDS = Number(process.argv[3] ?? 30);
const ROUTES = `/apis/gateway.networking.k8s.io/v1/namespaces/${NS}/httproutes`;
const now = () => performance.now();

const cp = await startControlPlane();
const inPar = async <T,>(xs: T[], w: number, fn: (x: T) => Promise<void>) => {
  let n = 0;
  await Promise.all(Array.from({ length: w }, async () => { while (n < xs.length) await fn(xs[n++]!); }));
};
const create = async (path: string, body: any) => {
  const r = await cp.client.request('POST', path, { body });
  if (r.status !== 201 && r.status !== 409) throw new Error(`POST ${path} ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
};
try {
  const listenPort = await freePort();
  const base = makeBase({ listenPort, backend: { address: '198.18.200.2', port: 8080 }, services: 50 });
  await create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  await create('/apis/gateway.networking.k8s.io/v1/gatewayclasses', base.gatewayClass);
  await create(`/apis/gateway.networking.k8s.io/v1/namespaces/${NS}/gateways`, base.gateway);
  await inPar(base.services, 8, (s: any) => create(`/api/v1/namespaces/${NS}/services`, s));
  await inPar(base.endpointSlices, 8, (s: any) => create(`/apis/discovery.k8s.io/v1/namespaces/${NS}/endpointslices`, s));
  await inPar(Array.from({ length: EXISTING }, (_, i) => makeRoute(i, 50)), 16, (r: any) => create(ROUTES, r));
  console.log(`created ${EXISTING} routes`);

  // Marks: name -> stage -> time
  const marks = new Map<string, Record<string, number>>();
  const mark = (name: string, stage: string) => {
    const m = marks.get(name);
    if (m && m[stage] === undefined) m[stage] = now();
  };
  let current = '';

  class TimedClient extends KubeClient {
    watch(path: string, q: any, onEvent: any, onDone: any) {
      return super.watch(path, q, (type: string, obj: any) => {
        if (path.endsWith('/httproutes') && obj?.metadata?.name) mark(obj.metadata.name, type === 'ADDED' ? 'watchAdded' : 'watchModified');
        onEvent(type, obj);
      }, onDone);
    }
    async request(method: any, path: string, opts: any = {}) {
      const isMine = current && path.endsWith(`/httproutes/${current}/status`);
      if (isMine) mark(current, 'putSent');
      const r = await super.request(method, path, opts);
      if (isMine) mark(current, 'putDone');
      return r;
    }
  }
  const client = KubeClient.load(cp.kubeconfig);
  Object.setPrototypeOf(client, TimedClient.prototype);
  const provider = createKubernetesProvider({ controllerName: CONTROLLER, client, statusConcurrency: process.env.CONC ? Number(process.env.CONC) : undefined });
  const origPublish = provider.publishStatus.bind(provider);
  let statusStart = 0;
  let statusAll = 0;
  let publishes = 0;
  (provider as any).publishStatus = async (st: any[]) => {
    if (current) mark(current, 'publishCalled');
    publishes++;
    const t = now();
    if (!statusStart) statusStart = t;
    const pr = origPublish(st);
    if (current) mark(current, 'publishReturned');
    await pr;
    if ((provider as any).statusWritten) await (provider as any).statusWritten();
    if (current) mark(current, 'publishDone');
    if (!statusAll) { statusAll = now() - t; const c1 = cpus(); console.log(`cpu s during start+statuses: wicket ${(c1.self - c0.self).toFixed(1)} apiserver ${(c1.apiserver - c0.apiserver).toFixed(1)} etcd ${(c1.etcd - c0.etcd).toFixed(1)}`); console.log(`first publish (${st.length} statuses) took ${Math.round(statusAll)} ms; counters ${JSON.stringify(provider.statusWriter.counters)}`); }
  };
  const registry = new Registry();
  const dp = createDataPlane({ registry, accessLog: false });
  const origApply = dp.apply.bind(dp);
  (dp as any).apply = async (ir: any) => {
    if (current) mark(current, 'applyStart');
    const r = await origApply(ir);
    if (current) mark(current, 'applyDone');
    return r;
  };
  const tr = (snap: any, o: any) => {
    if (current && snap.httpRoutes.some((r: any) => r.metadata.name === current)) mark(current, 'snapshot');
    const r = translate(snap, o);
    if (current) mark(current, 'translated');
    return r;
  };
  const runtime = new Runtime({ provider, dataPlane: dp, translate: tr, translateOptions: { controllerName: CONTROLLER, defaultAddress: '127.0.0.1' }, registry });
  const { readFileSync, readdirSync } = await import('node:fs');
  const cpuOf = (pid: number | string) => { const c = cpuTimeMs(pid); return (c.user + c.system) / 1000; };
  const pidsOf = (name: string) => readdirSync('/proc').filter((d) => /^\d+$/.test(d)).filter((d) => { try { return readFileSync(`/proc/${d}/comm`, 'utf8').trim() === name && readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(cp.dir); } catch { return false; } });
  const cpus = () => ({ self: cpuOf(process.pid), apiserver: pidsOf('kube-apiserver').reduce((a, p) => a + cpuOf(p), 0), etcd: pidsOf('etcd').reduce((a, p) => a + cpuOf(p), 0) });
  const c0 = cpus();
  const t0 = now();
  await runtime.start();
  await runtime.whenReady();
  console.log(`ready after ${Math.round(now() - t0)} ms`);
  for (let i = 0; i < 600 && !statusAll; i++) await new Promise((r) => setTimeout(r, 100));
  await new Promise((r) => setTimeout(r, 1000));

  const rows: Record<string, number>[] = [];
  for (let k = 0; k < ADDS; k++) {
    const route = makeRoute(EXISTING + k, 50);
    const name = route.metadata.name;
    marks.set(name, {});
    current = name;
    const t = now();
    marks.get(name)!.post = t;
    await create(ROUTES, route);
    mark(name, 'posted');
    for (let i = 0; i < 5000 && marks.get(name)!.putDone === undefined; i++) await new Promise((r) => setTimeout(r, 1));
    await new Promise((r) => setTimeout(r, 30));
    const m = marks.get(name)!;
    const rel: Record<string, number> = {};
    for (const [s, v] of Object.entries(m)) rel[s] = Math.round((v - t) * 10) / 10;
    rows.push(rel);
    current = '';
    await new Promise((r) => setTimeout(r, 50));
  }
  const stages = ['posted', 'watchAdded', 'snapshot', 'translated', 'applyStart', 'applyDone', 'publishCalled', 'publishReturned', 'putSent', 'putDone', 'watchModified', 'publishDone'];
  const pct = (xs: number[], p: number) => { const s = xs.filter((x) => x !== undefined).sort((a, b) => a - b); return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : NaN; };
  console.log('stage (ms since POST)   p50     p90     max');
  for (const s of stages) {
    const xs = rows.map((r) => r[s]!).filter((x) => x !== undefined);
    console.log(`${s.padEnd(22)} ${String(pct(xs, 50)).padStart(7)} ${String(pct(xs, 90)).padStart(7)} ${String(Math.max(...xs)).padStart(7)}  (n=${xs.length})`);
  }
  console.log(`publishes: ${publishes}; writer counters ${JSON.stringify(provider.statusWriter.counters)}`);
  await runtime.stop();
  await dp.drain(0);
  await client.close();
} finally {
  await cp.stop();
}
