// A diagnostic for the serving process's first apply (not part of `npm run bench`): in a fresh
// process, as `wicket run -f DIR` does at start, it reads the bench's manifests for N routes, then
// translates them and compiles the IR (compileIR with a fresh cache and real metrics, what the
// data plane's apply does apart from binding sockets), and prints each phase's wall time, CPU time
// (this process, all threads) and the bytes V8 allocated in it (from --trace-gc-nvp-free
// accounting: v8.getHeapStatistics() before and after, plus what each collection freed).
// Run it with the serving process's heap flags to measure what it measures, e.g.
//
//   node --max-semi-space-size=4 bench/scenarios/ladder-cold.ts 10000 [--repeat 3] [--alloc-prof compile]
//
// --alloc-prof PHASE samples that phase's allocations (objects collected since included) and
// prints the bytes by allocating function.
//
// Each repeat is a new process (a warm one would measure optimised code, not the cold start).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Session } from 'node:inspector';
import { PerformanceObserver } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import v8 from 'node:v8';
import { writeAtomic } from '../lib/files.ts';
import { makeRouteSet, toYaml } from '../peers/routes.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { repeat: { type: 'string', default: '1' }, dir: { type: 'string' }, 'alloc-prof': { type: 'string' } },
});
const n = Number(positionals[0] ?? 10000);
if (!Number.isInteger(n) || n < 1) throw new Error(`route count must be a positive integer, got ${positionals[0]}`);

interface SamplingNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: SamplingNode[];
}

let session: Session | undefined;
function post(method: string, params: object): Promise<unknown> {
  if (session === undefined) {
    session = new Session();
    session.connect();
  }
  const s = session;
  return new Promise((resolve, reject) => s.post(method, params, (err, res) => (err ? reject(err) : resolve(res))));
}

/** Bytes allocated in the phase (sampled, collected objects included) by function, most first. */
function printAllocations(root: SamplingNode): void {
  const self = new Map<string, number>();
  let total = 0;
  // A built-in (no script: Set, Array.prototype.map, ...) is counted as its caller's, named after it.
  const walk = (n: SamplingNode, caller: string) => {
    const f = n.callFrame;
    const own = `${f.functionName || '(anonymous)'} ${f.url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}`;
    const k = f.url === '' && caller !== '' ? `${caller} [${f.functionName}]` : own;
    self.set(k, (self.get(k) ?? 0) + n.selfSize);
    total += n.selfSize;
    for (const c of n.children) walk(c, f.url === '' ? caller : own);
  };
  walk(root, '');
  console.log(`allocated (sampled) ${(total / 1048576).toFixed(1)} MB`);
  for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log(`${(v / 1048576).toFixed(2).padStart(8)} MB  ${k}`);
}

async function measure(dir: string): Promise<void> {
  const { buildSnapshot, loadManifests } = await import('../../src/resources/load.ts');
  const { translate } = await import('../../src/translate/index.ts');
  const { compileIR, CompileCache } = await import('../../src/proxy/compile.ts');
  const { proxyMetrics } = await import('../../src/proxy/metrics.ts');
  const { Registry } = await import('../../src/metrics/registry.ts');
  const { PoolRegistry } = await import('../../src/proxy/upstream/cluster.ts');
  const { SecureContextCache } = await import('../../src/proxy/tls/sni.ts');

  let gcMs = 0;
  let gcs = 0;
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gcMs += e.duration;
      gcs++;
    }
  });
  obs.observe({ entryTypes: ['gc'] });
  const phase = async <T>(name: string, fn: () => T | Promise<T>): Promise<T> => {
    await new Promise((r) => setTimeout(r, 20)); // let the observer report the last phase's collections
    const g0 = gcMs;
    const c0 = gcs;
    if (values['alloc-prof'] === name) await post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const out = await fn();
    const wall = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    if (values['alloc-prof'] === name) printAllocations(((await post('HeapProfiler.stopSampling', {})) as { profile: { head: SamplingNode } }).profile.head);
    await new Promise((r) => setTimeout(r, 20));
    const heap = v8.getHeapStatistics();
    console.log(
      `${name.padEnd(10)} wall ${wall.toFixed(0).padStart(5)} ms, CPU ${((cpu.user + cpu.system) / 1000).toFixed(0).padStart(5)} ms, GC ${(gcMs - g0).toFixed(0).padStart(4)} ms in ${gcs - c0} pauses; heap used ${(heap.used_heap_size / 1048576).toFixed(0)} MB`,
    );
    return out;
  };
  const snapshot = await phase('read', async () => buildSnapshot((await loadManifests([dir])).objects));
  const result = await phase('translate', () => translate(snapshot, { controllerName: 'wicket.dev/gateway-controller', defaultAddress: '127.0.0.1' } as never));
  const pools = new PoolRegistry({});
  await phase('compile', () => {
    pools.beginGeneration();
    return compileIR(result.ir, { pools, tlsCache: new SecureContextCache(), metrics: proxyMetrics(new Registry()), routerKind: 'compiled', cache: new CompileCache() });
  });
  obs.disconnect();
  await pools.closeAll(true, 0);
  session?.disconnect();
  if (result.ir.ports.length !== 1) throw new Error(`expected one port, got ${result.ir.ports.length}`);
}

if (values.dir === undefined) {
  // Parent: write the manifests once, then measure each repeat in a fresh child with our flags.
  const dir = mkdtempSync(join(tmpdir(), 'ladder-cold-'));
  try {
    const set = makeRouteSet(n, { listenPort: 18080, backend: { address: '127.0.0.1', port: 18081 }, services: 50 });
    writeAtomic(join(dir, 'base.yaml'), toYaml([set.gatewayClass, set.gateway, ...set.services, ...set.endpointSlices]));
    for (let i = 0; i * 500 < set.routes.length; i++) writeAtomic(join(dir, `routes-${String(i).padStart(4, '0')}.yaml`), toYaml(set.routes.slice(i * 500, (i + 1) * 500)));
    for (let r = 0; r < Number(values.repeat); r++) {
      const prof = values['alloc-prof'] === undefined ? [] : ['--alloc-prof', values['alloc-prof']];
      execFileSync(process.execPath, [...process.execArgv, process.argv[1]!, String(n), '--dir', dir, ...prof], { stdio: 'inherit' });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
} else {
  await measure(values.dir);
}
