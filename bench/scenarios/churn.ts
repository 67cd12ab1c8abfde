// Scenario 5: churn. Under steady load over the stable half of a route table, routes are added and
// removed continuously (one change every 100 ms: a new route in, the oldest churned route out) and,
// half-way, the whole table is swapped for another that still holds the stable routes. Every
// non-2xx/3xx response and every socket error (connect, read — which includes a connection closed
// under the client — write, timeout) counts as a failed request. Target: zero.
import { freePort, sleep } from '../lib/net.ts';
import { row, type Check, type Row, type ScenarioResult } from '../lib/result.ts';
import { round } from '../lib/stats.ts';
import { rotateScript, runWrk } from '../lib/wrk.ts';
import { makeRoute, makeRouteSet, sampleRequests, type RouteSet } from '../peers/routes.ts';
import { startBackend } from '../targets/backend.ts';
import { Unavailable, type Target } from '../targets/types.ts';
import { markUnavailable, PROXIES, scenarioDir, startProxy, type Context } from './context.ts';

const SERVICES = 10;
const CHANGE_EVERY_MS = 100;
const LIVE_CHURNED = 20;

export async function runChurn(ctx: Context): Promise<ScenarioResult> {
  const dir = scenarioDir(ctx, 'churn');
  const tableSize = ctx.quick ? 100 : 1000;
  const stable = tableSize / 2;
  const durationS = ctx.quick ? 6 : 15;
  const backend = await startBackend(ctx.tools.nginx, dir);
  const changes = row('route changes made', 'count', 'higher');
  const requests = row('requests', 'count', 'higher');
  const before = row('req/s before churn (same load, no changes)', 'req/s', 'higher');
  const rps = row('req/s under churn', 'req/s', 'higher');
  const kept = row('throughput kept under churn (during ÷ before)', 'ratio', 'higher');
  const p99 = row('p99 under churn', 'ms', 'lower');
  const failedRow = row('failed requests (non-2xx/3xx + socket errors)', 'count', 'lower');
  const resets = row('of which socket errors', 'count', 'lower');
  const rows: Row[] = [changes, requests, before, rps, kept, p99, failedRow, resets];
  const errorDetail: Record<string, unknown> = {};
  try {
    for (const kind of PROXIES) {
      const listenPort = await freePort();
      const backendAddr = { address: '127.0.0.1', port: backend.port };
      const set = makeRouteSet(tableSize, { listenPort, backend: backendAddr, services: SERVICES });
      const t = await startProxy(ctx, kind, { workRoot: dir, set, workers: 1, probe: sampleRequests(stable, 1)[0]!, startTimeoutMs: 60_000 });
      if (t instanceof Unavailable) {
        for (const r of rows) {
          r.values[kind] = null;
          (r.unavailable ??= {})[kind] = t.reason;
        }
        continue;
      }
      try {
        const script = rotateScript(sampleRequests(stable, 50));
        // The same load without changes first: a data plane that stalls while it applies a change
        // answers few requests and fails none, so zero failures alone would flatter it.
        const base = await runWrk({ wrk: ctx.tools.wrk, url: `http://127.0.0.1:${t.port}/`, connections: 16, durationS: Math.min(3, durationS), workDir: dir, script });
        before.values[kind] = base.rps;
        let stop = false;
        const load = runWrk({ wrk: ctx.tools.wrk, url: `http://127.0.0.1:${t.port}/`, connections: 16, durationS, workDir: dir, script }).finally(() => (stop = true));
        const made = await churn(t, set, tableSize, stable, durationS * 1000, () => stop);
        const w = await load;
        changes.values[kind] = made;
        requests.values[kind] = w.requests;
        rps.values[kind] = w.rps;
        kept.values[kind] = base.rps > 0 ? round(w.rps / base.rps, 3) : null;
        p99.values[kind] = w.p99Ms;
        failedRow.values[kind] = w.failed;
        resets.values[kind] = w.failed - w.errors.non2xx;
        errorDetail[kind] = w.errors;
        ctx.log(`  ${kind}: ${made} changes under load, ${w.requests} requests, ${w.failed} failed ${JSON.stringify(w.errors)}${t.died() ? ` — DIED: ${t.died()}` : ''}`);
      } finally {
        const died = t.died();
        await t.stop();
        // A target that died mid-measurement has no figures: say why instead of reporting the wreck.
        if (died) markUnavailable(rows, kind, `died during the scenario: ${died}`);
      }
    }
  } finally {
    await backend.stop();
  }
  return {
    name: 'churn',
    title: `Churn: a change every ${CHANGE_EVERY_MS} ms plus one full table swap, under load (${tableSize} routes, 16 conn)`,
    rows,
    checks: [churnCheck(failedRow, requests, kept)],
    details: { errors: errorDetail },
  };
}

/** Adds and removes routes until told to stop (bounded by time and count); returns the changes made. */
async function churn(t: Target, set: RouteSet, tableSize: number, stable: number, durationMs: number, stopped: () => boolean): Promise<number> {
  const start = performance.now();
  const live: string[] = [];
  let next = tableSize;
  let made = 0;
  let swapped = false;
  const maxChanges = Math.ceil(durationMs / CHANGE_EVERY_MS) + 10;
  await sleep(300); // let the load settle first
  while (!stopped() && made < maxChanges && performance.now() - start < durationMs - 300) {
    if (!swapped && performance.now() - start > durationMs / 2) {
      // Full swap: the stable routes stay, every other route is replaced by new ones.
      const routes = [...set.routes.slice(0, stable)];
      for (let k = 0; k < tableSize - stable; k++) routes.push(makeRoute(next + k, SERVICES));
      next += tableSize - stable;
      live.length = 0;
      await t.replaceAll({ ...set, routes });
      swapped = true;
      made++;
    } else if (live.length >= LIVE_CHURNED) {
      await t.removeRoute(live.shift()!);
      made++;
    } else {
      const r = makeRoute(next++, SERVICES, `churn-${next}`);
      live.push(r.metadata.name);
      await t.addRoute(r);
      made++;
    }
    await sleep(CHANGE_EVERY_MS);
  }
  return made;
}

function churnCheck(failed: Row, requests: Row, kept: Row): Check {
  const target = 'zero failed requests during churn and a full config swap';
  const v = failed.values.wicket;
  if (typeof v !== 'number') return { target, met: null, detail: `Wicket unavailable: ${failed.unavailable?.wicket ?? 'not measured'}` };
  // Zero failures out of very few requests would hide a stalled data plane: say how many were served.
  const n = (k: 'nginx' | 'haproxy' | 'wicket'): string => `${failed.values[k] ?? '—'} of ${requests.values[k] ?? '—'}`;
  const k = (x: 'nginx' | 'haproxy' | 'wicket'): string => (typeof kept.values[x] === 'number' ? `${Math.round(kept.values[x]! * 100)}%` : '—');
  return {
    target,
    met: v === 0,
    detail: `failed: Wicket ${n('wicket')}, nginx ${n('nginx')}, HAProxy ${n('haproxy')}; throughput kept under churn: Wicket ${k('wicket')}, nginx ${k('nginx')}, HAProxy ${k('haproxy')}`,
  };
}
