// Micro-benchmarks of the hot paths (STYLE.md #10), in this process: translate (snapshot → IR) and
// router compile time for N routes, route match per request with the compiled router against the
// reference (linear) one, and header handling per request. The modules are loaded by path at run
// time so the bench keeps working (and says "unavailable") while they are being written or moved.
import { row, type Check, type Row, type ScenarioResult } from '../lib/result.ts';
import { round } from '../lib/stats.ts';
import { makeRoute, makeRouteSet, sampleRequests } from '../peers/routes.ts';
import { emptySnapshot, type Snapshot } from '../../src/resources/snapshot.ts';
import type { IR, IRPort } from '../../src/ir/types.ts';
import type { Context } from './context.ts';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { wicketRoot } from '../lib/wicket-tree.ts';

interface RouterLike {
  match(head: unknown): unknown;
}
type RouterCtor = new (port: IRPort, factory: (rule: { id: string }) => string) => RouterLike;

/** Loads a module of the Wicket being measured, by its path from the repository root. */
async function load<T>(rel: string): Promise<T> {
  return (await import(pathToFileURL(join(wicketRoot(), rel)).href)) as T;
}

const SIZES = [10, 100, 1000, 5000, 10000];

function snapshotOf(n: number): Snapshot {
  const set = makeRouteSet(n, { listenPort: 8080, backend: { address: '127.0.0.1', port: 9000 }, services: 50 });
  const s = emptySnapshot();
  s.gatewayClasses.push(set.gatewayClass);
  s.gateways.push(set.gateway);
  s.services.push(...set.services);
  s.endpointSlices.push(...set.endpointSlices);
  s.httpRoutes.push(...set.routes);
  return s;
}

/**
 * Runs fn repeatedly for about budgetMs (bounded in count) in three rounds; returns nanoseconds per
 * call of the fastest round: on a shared machine the fastest round is the one least disturbed.
 */
function nsPerOp(fn: (i: number) => void, budgetMs: number): number {
  for (let i = 0; i < 10_000; i++) fn(i); // warm-up, so the optimised code is measured
  let best = Infinity;
  for (let round = 0; round < 3; round++) {
    let ops = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < budgetMs / 3 && ops < 50_000_000) {
      for (let i = 0; i < 1000; i++) fn(ops + i);
      ops += 1000;
    }
    best = Math.min(best, ((performance.now() - t0) * 1e6) / ops);
  }
  return best;
}

export async function runMicro(ctx: Context): Promise<ScenarioResult> {
  const rows: Row[] = [];
  const checks: Check[] = [];
  const budget = ctx.quick ? 300 : 1000;
  const target = '10,000 routes translate + compile < 500 ms';
  // Header handling first, on a small heap, before the route tables are built.
  rows.push(...(await headerRows(ctx, budget)));
  let translate: (s: Snapshot, o: { controllerName: string; defaultAddress: string }) => { ir: IR };
  let Compiled: RouterCtor;
  let Reference: RouterCtor;
  let makeHead: (...a: unknown[]) => unknown;
  try {
    translate = (await load<{ translate: typeof translate }>('src/translate/index.ts')).translate;
    Compiled = (await load<{ CompiledRouter: RouterCtor }>('src/proxy/router/compiled.ts')).CompiledRouter;
    Reference = (await load<{ ReferenceRouter: RouterCtor }>('src/proxy/router/reference.ts')).ReferenceRouter;
    makeHead = (await load<{ makeHead: typeof makeHead }>('src/proxy/request-head.ts')).makeHead;
  } catch (e) {
    const reason = `translator/router modules not loadable: ${(e as Error).message.split('\n')[0]}`;
    checks.push({ target, met: null, detail: reason });
    const r = row('translate and route match', 'ms', 'lower');
    r.values.wicket = null;
    r.unavailable = { wicket: reason };
    rows.push(r);
    return { name: 'micro', title: TITLE, rows, checks };
  }
  const opts = { controllerName: 'wicket.dev/gateway-controller', defaultAddress: '0.0.0.0' };
  // The data plane's whole compile (what its apply runs: routers, rule runtimes with their filter
  // plans, backends and metric children, clusters with pools), not only the router's indexes.
  const compileIR = await loadCompileIR().catch(() => null);
  let at10k: number | null = null;
  for (const n of SIZES) {
    const snap = snapshotOf(n);
    const t0 = performance.now();
    const { ir } = translate(snap, opts);
    const t1 = performance.now();
    const port = ir.ports[0];
    if (!port) throw new Error(`translate produced no port for ${n} routes`);
    const compiled = new Compiled(port, (rule) => rule.id);
    const t2 = performance.now();
    const full = compileIR === null ? null : await compileIR(ir);
    const reference = new Reference(port, (rule) => rule.id);
    const heads = sampleRequests(n, 100).map((q) => makeHead('GET', 'http', q.path, ['Host', q.host, 'User-Agent', 'wrk', 'Accept', '*/*'], '127.0.0.1', 8080, null));
    if (compiled.match(heads[0]) === null) throw new Error(`compiled router found no rule for ${JSON.stringify(sampleRequests(n, 1)[0])} with ${n} routes`);
    const cNs = nsPerOp((i) => compiled.match(heads[i % heads.length]), budget);
    const rNs = n <= 1000 ? nsPerOp((i) => reference.match(heads[i % heads.length]), budget) : null;
    const r1 = row(`${n} routes: translate`, 'ms', 'lower');
    const r2 = row(`${n} routes: router compile`, 'ms', 'lower');
    const r3 = row(`${n} routes: match, compiled router`, 'ns/op', 'lower');
    const r4 = row(`${n} routes: match, reference (linear) router`, 'ns/op', 'lower');
    r1.values.wicket = round(t1 - t0, 1);
    r2.values.wicket = round(t2 - t1, 1);
    r3.values.wicket = round(cNs, 0);
    r4.values.wicket = rNs === null ? null : round(rNs, 0);
    if (rNs === null) r4.unavailable = { wicket: 'skipped above 1,000 routes (linear)' };
    const r5 = row(`${n} routes: data-plane compile (compileIR)`, 'ms', 'lower');
    r5.values.wicket = full === null ? null : round(full, 1);
    if (full === null) r5.unavailable = { wicket: 'src/proxy/compile.ts not loadable' };
    rows.push(r1, r2, r5, r3, r4);
    if (n === 5000) rows.push(changeRow(translate, snap, opts, ctx));
    if (n === 10000) at10k = t1 - t0 + (full ?? t2 - t1);
    ctx.log(`  ${n} routes: translate ${r1.values.wicket} ms, router compile ${r2.values.wicket} ms, compileIR ${r5.values.wicket ?? '—'} ms, match ${r3.values.wicket} ns (reference ${r4.values.wicket ?? '—'} ns)`);
  }
  const what = compileIR === null ? 'translate + router compile' : 'translate + compileIR';
  checks.push(at10k === null ? { target, met: null, detail: 'not measured' } : { target, met: at10k < 500, detail: `${what} took ${round(at10k, 1)} ms (in process, one run, warmed up by the smaller sizes; the serving process's own metric is the ladder's)` });
  return { name: 'micro', title: TITLE, rows, checks };
}

/**
 * translate() of a snapshot with one HTTPRoute more than the last one translated (a file or an
 * API object added, as convergence measures end to end): the median of 20, each after translating
 * the snapshot without it again (new arrays, the same objects, as providers hand them over).
 */
function changeRow(translate: (s: Snapshot, o: { controllerName: string; defaultAddress: string }) => { ir: IR }, snap: Snapshot, opts: { controllerName: string; defaultAddress: string }, ctx: Context): Row {
  const times: number[] = [];
  for (let i = 0; i < 20; i++) {
    translate({ ...snap, httpRoutes: [...snap.httpRoutes] }, opts);
    const extra = makeRoute(snap.httpRoutes.length + i, 50, `route-added-${i}`);
    const next = { ...snap, httpRoutes: [...snap.httpRoutes, extra] };
    const t0 = performance.now();
    translate(next, opts);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const r = row(`${snap.httpRoutes.length} routes: translate, one route added`, 'ms', 'lower');
  r.values.wicket = round(times[10]!, 2);
  ctx.log(`  ${snap.httpRoutes.length} routes: translate with one route added ${r.values.wicket} ms (median of 20)`);
  return r;
}

/**
 * compileIR of an IR as the data plane's first apply runs it (a fresh compile cache, real metrics
 * and pool registry), timed in ms; the pools it made are closed after.
 */
async function loadCompileIR(): Promise<(ir: IR) => Promise<number>> {
  const { compileIR, CompileCache } = await load<typeof import('../../src/proxy/compile.ts')>('src/proxy/compile.ts');
  const { proxyMetrics } = await load<typeof import('../../src/proxy/metrics.ts')>('src/proxy/metrics.ts');
  const { Registry } = await load<typeof import('../../src/metrics/registry.ts')>('src/metrics/registry.ts');
  const { PoolRegistry } = await load<typeof import('../../src/proxy/upstream/cluster.ts')>('src/proxy/upstream/cluster.ts');
  const { SecureContextCache } = await load<typeof import('../../src/proxy/tls/sni.ts')>('src/proxy/tls/sni.ts');
  return async (ir) => {
    const pools = new PoolRegistry({});
    pools.beginGeneration();
    const t0 = performance.now();
    compileIR(ir, { pools, tlsCache: new SecureContextCache(), metrics: proxyMetrics(new Registry()), routerKind: 'compiled', cache: new CompileCache() });
    const ms = performance.now() - t0;
    await pools.closeAll(true, 0);
    return ms;
  };
}

const TITLE = 'Micro-benchmarks of the hot paths (in process, Wicket only)';

async function headerRows(ctx: Context, budget: number): Promise<Row[]> {
  try {
    const h = await load<{ upstreamRequestHeaders: (raw: string[], info: unknown) => string[]; downstreamResponseHeaders: (raw: string[]) => string[] }>('src/proxy/headers.ts');
    const req = ['Host', 'h0.bench.example', 'User-Agent', 'Mozilla/5.0 (X11; Linux x86_64)', 'Accept', 'text/html,application/xhtml+xml', 'Accept-Encoding', 'gzip, deflate, br', 'Accept-Language', 'en-GB,en;q=0.9', 'Connection', 'keep-alive', 'Cookie', 'a=1; b=2', 'X-Forwarded-For', '10.0.0.1', 'X-Request-Id', 'abc', 'Cache-Control', 'no-cache'];
    const res = ['Content-Type', 'text/plain', 'Content-Length', '3', 'Date', 'Thu, 01 Jan 2026 00:00:00 GMT', 'Connection', 'keep-alive', 'Keep-Alive', 'timeout=5', 'Server', 'nginx', 'Cache-Control', 'max-age=60'];
    const info = { remoteAddress: '127.0.0.1', scheme: 'http', authority: 'h0.bench.example' };
    const a = row('request headers up (10 headers)', 'ns/op', 'lower');
    const b = row('response headers down (7 headers)', 'ns/op', 'lower');
    a.values.wicket = round(nsPerOp(() => h.upstreamRequestHeaders(req, info), budget), 0);
    b.values.wicket = round(nsPerOp(() => h.downstreamResponseHeaders(res), budget), 0);
    ctx.log(`  headers: up ${a.values.wicket} ns, down ${b.values.wicket} ns`);
    return [a, b];
  } catch (e) {
    const r = row('header handling', 'ns/op', 'lower');
    r.values.wicket = null;
    r.unavailable = { wicket: `src/proxy/headers.ts not loadable: ${(e as Error).message.split('\n')[0]}` };
    return [r];
  }
}
