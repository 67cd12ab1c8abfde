// Harness self-test, no Gateway controller involved: applies the suite's base manifests,
// then checks that every Pod becomes Ready with an address from 198.18.0.0/16, that
// EndpointSlices list those addresses, that echo-basic answers from the host with the
// right pod and namespace, that logs come through the apiserver, and that deleted Pods
// are stopped and removed. Cleans up its namespaces at the end.
// Usage: node selftest.ts --kubeconfig K --manifests base/manifests.yaml --cert C --key K
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';
import { request } from 'node:http';
import { loadKubeconfig } from '../fakelet/kubeconfig.ts';
import { KubeClient, type Obj } from '../fakelet/kube-client.ts';

const { values: a } = parseArgs({ options: {
  kubeconfig: { type: 'string' }, manifests: { type: 'string' }, cert: { type: 'string' }, key: { type: 'string' },
} });
const kube = new KubeClient(loadKubeconfig(a.kubeconfig!));
const NAMESPACES = ['gateway-conformance-infra', 'gateway-conformance-app-backend', 'gateway-conformance-web-backend'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let failures = 0;
const ok = (msg: string) => console.log(`  ok   ${msg}`);
const fail = (msg: string) => { failures++; console.log(`  FAIL ${msg}`); };
const t0 = Date.now();
const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(1)}s`;

async function until<T>(what: string, seconds: number, fn: () => Promise<T | undefined | false>): Promise<T | undefined> {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    const v = await fn();
    if (v) return v;
    await sleep(500);
  }
  fail(`${what}: not within ${seconds}s`);
  return undefined;
}

function httpGet(host: string, port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path, timeout: 3000 }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

const podReady = (p: Obj) => p.status?.conditions?.some((c: Obj) => c.type === 'Ready' && c.status === 'True');
const listPods = async (ns: string) => (await kube.get(`/api/v1/namespaces/${ns}/pods`)).items as Obj[];

// 1. Base manifests, with the placeholders the suite fills in, and the TLS Secrets the
// suite would create after them (any valid certificate will do for readiness).
const dir = mkdtempSync(join(tmpdir(), 'wicket-selftest-'));
const manifests = readFileSync(a.manifests!, 'utf8')
  .replaceAll('{GATEWAY_CLASS_NAME}', 'wicket-selftest').replaceAll('{CONTROLLER_NAME}', 'wicket.dev/selftest');
writeFileSync(join(dir, 'base.yaml'), manifests);
execFileSync(process.execPath, [new URL('./apply.ts', import.meta.url).pathname, '--kubeconfig', a.kubeconfig!, join(dir, 'base.yaml')], { stdio: 'inherit' });
const tls = { 'tls.crt': readFileSync(a.cert!).toString('base64'), 'tls.key': readFileSync(a.key!).toString('base64') };
for (const [ns, name] of [['gateway-conformance-infra', 'tls-checks-certificate'], ['gateway-conformance-infra', 'tls-passthrough-checks-certificate'], ['gateway-conformance-app-backend', 'tls-passthrough-checks-certificate']]) {
  await kube.post(`/api/v1/namespaces/${ns}/secrets`, { apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/tls', metadata: { name, namespace: ns }, data: tls });
}
console.log(`applied base manifests (${elapsed()})`);

// 2. Every Pod Ready, with a test-range IP.
const expected = (manifests.match(/^kind: Deployment$/gm) ?? []).length;
const pods = await until('all base Pods Ready', 240, async () => {
  const all = (await Promise.all(NAMESPACES.map(listPods))).flat();
  const deployments = (await Promise.all(NAMESPACES.map((ns) => kube.get(`/apis/apps/v1/namespaces/${ns}/deployments`)))).flatMap((l) => l.items);
  const want = deployments.reduce((n: number, d: Obj) => n + (d.spec.replicas ?? 1), 0);
  return deployments.length === expected && all.length === want && all.every(podReady) ? all : undefined;
});
if (!pods) {
  for (const p of (await Promise.all(NAMESPACES.map(listPods))).flat().filter((q) => !podReady(q))) {
    const w = p.status?.containerStatuses?.[0]?.state?.waiting;
    console.log(`       not Ready: ${p.metadata.namespace}/${p.metadata.name} ${p.status?.phase} ${w ? `${w.reason}: ${w.message}` : ''}`);
  }
}
if (pods) {
  ok(`${pods.length} Pods from ${expected} Deployments Ready after ${elapsed()}`);
  const bad = pods.filter((p) => !/^198\.18\.\d+\.\d+$/.test(p.status.podIP ?? '') || p.status.podIPs?.[0]?.ip !== p.status.podIP);
  if (bad.length) fail(`Pods without a 198.18.0.0/16 podIP: ${bad.map((p) => p.metadata.name).join(', ')}`);
  else ok(`every podIP in 198.18.0.0/16 (e.g. ${pods[0].metadata.name} ${pods[0].status.podIP})`);
}

// 3. EndpointSlices list the Pods of each Service.
if (pods) {
  const ns = 'gateway-conformance-infra';
  const slices = await until('EndpointSlices for infra-backend-v1', 60, async () => {
    const l = await kube.get(`/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices?labelSelector=kubernetes.io/service-name=infra-backend-v1`);
    const ready = l.items.flatMap((s: Obj) => (s.endpoints ?? []).filter((e: Obj) => e.conditions?.ready)).flatMap((e: Obj) => e.addresses);
    return ready.length === 2 ? ready : undefined;
  });
  const podIPs = pods.filter((p) => p.metadata.name.startsWith('infra-backend-v1-')).map((p) => p.status.podIP).sort();
  if (slices) {
    if (JSON.stringify([...slices].sort()) === JSON.stringify(podIPs)) ok(`EndpointSlice for infra-backend-v1 lists ${slices.join(', ')}`);
    else fail(`EndpointSlice addresses ${slices} differ from pod IPs ${podIPs}`);
  }
}

// 4. echo-basic answers from the host with its own pod and namespace.
if (pods) {
  let good = 0;
  const echo = pods.filter((p) => !p.metadata.name.startsWith('coredns') && !p.metadata.name.startsWith('tcp-backend') && !p.metadata.name.startsWith('grpc'));
  for (const p of echo) {
    try {
      const r = await httpGet(p.status.podIP, 3000, '/selftest');
      const j = JSON.parse(r.body);
      if (r.status === 200 && j.pod === p.metadata.name && j.namespace === p.metadata.namespace && j.path === '/selftest') good++;
      else fail(`echo from ${p.metadata.name}: ${r.status} ${r.body.slice(0, 120)}`);
    } catch (e) {
      fail(`echo from ${p.metadata.name} at ${p.status.podIP}:3000: ${(e as Error).message}`);
    }
  }
  if (good === echo.length) ok(`GET http://<podIP>:3000/ answered by all ${good} HTTP echo Pods with their own pod/namespace`);

  // 5. Logs through the apiserver (pods/log -> fakelet's kubelet port).
  const p = echo[0];
  const since = new Date(Date.now() - 60_000).toISOString();
  const logs = await kube.request('GET', `/api/v1/namespaces/${p.metadata.namespace}/pods/${p.metadata.name}/log?container=${p.spec.containers[0].name}&sinceTime=${since}`)
    .catch((e: Error) => ({ error: e.message }));
  const text = typeof logs === 'string' ? logs : JSON.stringify(logs);
  if (text.includes('Echoing back request made to /selftest to client')) ok(`pods/log of ${p.metadata.name} shows the echo log line`);
  else fail(`pods/log of ${p.metadata.name}: ${text.slice(0, 200)}`);

  // 6. Deletion: the Pod goes away (fakelet stops it and deletes it with grace 0),
  // its IP stops answering, and the ReplicaSet's replacement becomes Ready.
  const victim = echo[0];
  const tDel = Date.now();
  await kube.delete(`/api/v1/namespaces/${victim.metadata.namespace}/pods/${victim.metadata.name}`);
  const gone = await until(`deleted Pod ${victim.metadata.name} removed`, 45, async () =>
    (await kube.getOrNull(`/api/v1/namespaces/${victim.metadata.namespace}/pods/${victim.metadata.name}`)) === null);
  if (gone) {
    ok(`deleted Pod removed in ${((Date.now() - tDel) / 1000).toFixed(1)}s`);
    const still = await httpGet(victim.status.podIP, 3000, '/').then(() => true, () => false);
    if (still) fail(`deleted Pod's IP ${victim.status.podIP} still answers`);
    else ok(`deleted Pod's IP ${victim.status.podIP} no longer answers`);
    const netns = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
    if (netns.includes(`fkl-${victim.metadata.uid.replace(/-/g, '').slice(0, 12)}`)) fail('deleted Pod netns still exists');
    else ok('deleted Pod netns removed');
  }
  const prefix = victim.metadata.name.replace(/-[a-z0-9]+$/, '');
  const replaced = await until('replacement Pod Ready', 60, async () =>
    (await listPods(victim.metadata.namespace)).some((q) => q.metadata.name.startsWith(prefix) && q.metadata.uid !== victim.metadata.uid && podReady(q)));
  if (replaced) ok('replacement Pod Ready');
}

// 7. Namespace deletion completes: the namespace controller deletes the Pods, the fakelet
// finishes them, and the namespaces disappear.
for (const ns of NAMESPACES) await kube.delete(`/api/v1/namespaces/${ns}`).catch(() => {});
const nsGone = await until('namespaces deleted', 120, async () => {
  const left = await Promise.all(NAMESPACES.map((ns) => kube.getOrNull(`/api/v1/namespaces/${ns}`)));
  return left.every((x) => x === null);
});
if (nsGone) ok(`namespaces deleted, ${elapsed()} in total`);
const leftover = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').filter((l) => l.startsWith('fkl-'));
if (leftover.length) fail(`netns left after namespace deletion: ${leftover.length}`);
else if (nsGone) ok('no Pod netns left');

console.log(failures ? `self-test: ${failures} check(s) failed` : 'self-test: all checks passed');
process.exit(failures ? 1 : 0);
