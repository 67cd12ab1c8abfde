// Scenarios 1 and 2: one route, small responses, keep-alive, 1 and 64 connections; req/s and
// p50/p99 for direct, nginx, HAProxy and Wicket.
//   throughput: nothing pinned, peers with their all-cores defaults (worker_processes auto,
//               nbthread = cores): what a user gets out of the box on this machine.
//   pinned:     the proxy on core 0 with one worker/thread; backend and wrk on core 1: the fair
//               per-core figure. "direct" there is wrk (core 1) to a backend on core 0, the
//               cost of serving HTTP on one core with nothing in between.
// Wicket runs as many data-plane processes as the peers have workers (`--workers auto` unpinned,
// one pinned). Unpinned, a second Wicket with `--workers 1` joins the same rounds, so the gain of
// the workers is measured against the single process under the same load ("… Wicket --workers 1"
// rows: the peers' columns repeat the main rows' figures so its ratios can be read off).
import { runWrk, type WrkResult } from '../lib/wrk.ts';
import { median } from '../lib/stats.ts';
import { freePort } from '../lib/net.ts';
import { row, type Check, type Row, type ScenarioResult } from '../lib/result.ts';
import { makeRouteSet, requestFor } from '../peers/routes.ts';
import { directTarget, startBackend } from '../targets/backend.ts';
import { Unavailable, type Target } from '../targets/types.ts';
import { markUnavailable, PROXIES, scenarioDir, startProxy, type Context } from './context.ts';

const CONNS = [1, 64];

export async function runThroughput(ctx: Context, pinned: boolean): Promise<ScenarioResult> {
  const name = pinned ? 'pinned' : 'throughput';
  const dir = scenarioDir(ctx, name);
  const cores = pinned ? { proxy: '0', client: '1', backend: '1' } : { proxy: undefined, client: undefined, backend: undefined };
  const backend = await startBackend(ctx.tools.nginx, dir, cores.backend);
  // Pinned "direct": a backend of its own on the proxy's core, so the client and the server are
  // on different cores just as with a proxy in between.
  const directBackend = pinned ? await startBackend(ctx.tools.nginx, dir, '0') : backend;
  const rows: Row[] = [];
  const byConns = new Map<number, { rps: Row; p50: Row; p99: Row }>();
  for (const c of CONNS) {
    const r = { rps: row(`req/s, ${c} conn`, 'req/s', 'higher'), p50: row(`p50, ${c} conn`, 'ms', 'lower'), p99: row(`p99, ${c} conn`, 'ms', 'lower') };
    byConns.set(c, r);
    rows.push(r.rps, r.p50, r.p99);
  }
  const req = requestFor(0);
  // Every target is started first and the rounds interleave them (direct, nginx, HAProxy, Wicket,
  // direct, …), each point the median of its rounds: on a shared machine, a burst of someone
  // else's work then lands on all targets alike instead of on whichever ran at that moment.
  const targets: Target[] = [directTarget(directBackend.port, directBackend.pid)];
  let single: Target | null = null;
  const rounds = ctx.quick ? 2 : 4;
  const roundS = Math.max(1, Math.round(ctx.durationS / rounds));
  try {
    for (const kind of PROXIES) {
      const listenPort = await freePort();
      const set = makeRouteSet(1, { listenPort, backend: { address: '127.0.0.1', port: backend.port } });
      const t = await startProxy(ctx, kind, { workRoot: dir, set, cpus: cores.proxy, workers: pinned ? 1 : 'auto', probe: req, startTimeoutMs: 30_000 });
      if (t instanceof Unavailable) markUnavailable(rows, kind, t.reason);
      else targets.push(t);
    }
    if (!pinned) {
      const listenPort = await freePort();
      const set = makeRouteSet(1, { listenPort, backend: { address: '127.0.0.1', port: backend.port } });
      const t = await startProxy(ctx, 'wicket', { workRoot: dir, set, workers: 1, probe: req, startTimeoutMs: 30_000 });
      if (!(t instanceof Unavailable)) single = t;
    }
    /** `c` connections of load on one target for `durationS` seconds (wrk on the client cores). */
    const load = (t: Target, c: number, durationS: number) =>
      runWrk({
        wrk: ctx.tools.wrk,
        url: `http://127.0.0.1:${t.port}${req.path}`,
        host: req.host,
        connections: c,
        threads: pinned ? 1 : Math.min(2, c),
        durationS,
        cpus: cores.client,
        workDir: dir,
      });
    // One unmeasured warm-up per target, the same for all: a fresh Node process compiles its hot
    // functions in the first seconds of load, on compiler threads that share the pinned core, and
    // the first measured rounds (1 connection) would otherwise time the JIT, not the steady state.
    // nginx and HAProxy get the same load, so their caches and pools are as warm.
    for (const t of single === null ? targets : [...targets, single]) {
      if (t.died()) continue;
      for (const c of [64, 1]) {
        await load(t, c, ctx.quick ? 1 : 2);
      }
    }
    const singleRows = new Map<number, { rps: Row; p50: Row; p99: Row }>();
    for (const c of CONNS) {
      const got = new Map<Target, WrkResult[]>();
      for (let round = 0; round < rounds; round++) {
        for (const t of single === null ? targets : [...targets, single]) {
          if (t.died()) continue;
          const w = await load(t, c, roundS);
          got.set(t, [...(got.get(t) ?? []), w]);
        }
      }
      const r = byConns.get(c)!;
      for (const [t, ws] of got) {
        if (t === single) continue;
        const kind = t.kind;
        r.rps.values[kind] = median(ws.map((w) => w.rps));
        r.p50.values[kind] = median(ws.map((w) => w.p50Ms));
        r.p99.values[kind] = median(ws.map((w) => w.p99Ms));
        const failed = ws.reduce((a, w) => a + w.failed, 0);
        ctx.log(`  ${kind} c=${c}: ${r.rps.values[kind]} req/s p50 ${r.p50.values[kind]} ms p99 ${r.p99.values[kind]} ms (median of ${ws.length} × ${roundS} s: ${ws.map((w) => w.rps.toFixed(0)).join(', ')} req/s; p90/p99 ms ${ws.map((w) => `${w.p90Ms}/${w.p99Ms}`).join(', ')})${failed ? ` FAILED ${failed}` : ''}`);
      }
      const ws1 = single === null ? undefined : got.get(single);
      if (ws1 !== undefined) {
        const one = { rps: { ...r.rps, metric: `${r.rps.metric}, Wicket --workers 1` }, p50: { ...r.p50, metric: `${r.p50.metric}, Wicket --workers 1` }, p99: { ...r.p99, metric: `${r.p99.metric}, Wicket --workers 1` } };
        for (const x of [one.rps, one.p50, one.p99]) x.values = { ...x.values };
        one.rps.values.wicket = median(ws1.map((w) => w.rps));
        one.p50.values.wicket = median(ws1.map((w) => w.p50Ms));
        one.p99.values.wicket = median(ws1.map((w) => w.p99Ms));
        singleRows.set(c, one);
        const failed = ws1.reduce((a, w) => a + w.failed, 0);
        ctx.log(`  wicket --workers 1 c=${c}: ${one.rps.values.wicket} req/s p50 ${one.p50.values.wicket} ms p99 ${one.p99.values.wicket} ms (median of ${ws1.length} × ${roundS} s: ${ws1.map((w) => w.rps.toFixed(0)).join(', ')} req/s)${failed ? ` FAILED ${failed}` : ''}`);
      }
    }
    for (const t of targets) if (t.died()) markUnavailable(rows, t.kind, `died during the run: ${t.died()}`);
    for (const c of CONNS) {
      const one = singleRows.get(c);
      if (one !== undefined && single?.died() == null) rows.push(one.rps, one.p50, one.p99);
    }
  } finally {
    for (const t of targets) await t.stop();
    await single?.stop();
    await backend.stop();
    if (directBackend !== backend) await directBackend.stop();
  }
  const checks: Check[] = pinned ? [perCoreCheck(byConns.get(64)!.rps, byConns.get(64)!.p99, 64), perCoreCheck(byConns.get(1)!.rps, byConns.get(1)!.p99, 1)] : [];
  return { name, title: pinned ? 'One route, pinned: proxy on core 0, backend + wrk on core 1' : 'One route, unpinned, peers on all cores', rows, checks };
}

/** Throughput on one core ≥ 0.8 × the faster of nginx and HAProxy, with p99 ≤ 1.5 × that peer's. */
function perCoreCheck(rps: Row, p99: Row, conns: number): Check {
  const target = `pinned ${conns} conn: Wicket req/s ≥ 0.8 × faster peer, p99 ≤ 1.5 × its p99`;
  const w = rps.values.wicket;
  const peers = (['nginx', 'haproxy'] as const).filter((k) => typeof rps.values[k] === 'number');
  if (peers.length === 0) return { target, met: null, detail: 'no peer measured' };
  const best = peers.reduce((a, b) => (rps.values[a]! >= rps.values[b]! ? a : b));
  const bestRps = rps.values[best]!;
  const bestP99 = p99.values[best];
  if (typeof w !== 'number') return { target, met: null, detail: `Wicket unavailable: ${rps.unavailable?.wicket ?? 'not measured'}` };
  const wp = p99.values.wicket;
  const okRps = w >= 0.8 * bestRps;
  const okP99 = typeof wp === 'number' && typeof bestP99 === 'number' && wp <= 1.5 * bestP99;
  return {
    target,
    met: okRps && okP99,
    detail: `Wicket ${w.toFixed(0)} req/s vs ${best} ${bestRps.toFixed(0)} (${(w / bestRps).toFixed(2)}×, need ≥ 0.80); p99 ${wp} ms vs ${bestP99} ms (need ≤ ${typeof bestP99 === 'number' ? (1.5 * bestP99).toFixed(3) : '?'})`,
  };
}
