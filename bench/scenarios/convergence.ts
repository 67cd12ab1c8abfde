// Scenario 4: convergence. With M routes already served, N new routes are added one at a time and
// we time each from the change (Wicket: the manifest file renamed into place; peers: their config
// regenerated and the reload signal sent) to the first 200 on the new route, probing every
// millisecond. Wicket in file mode (Kubernetes mode later). Peers take fewer samples: each of their
// changes is a full reload.
import { freePort } from '../lib/net.ts';
import { percentile, round } from '../lib/stats.ts';
import { row, type Check, type Row, type ScenarioResult } from '../lib/result.ts';
import { makeRoute, makeRouteSet, requestFor } from '../peers/routes.ts';
import { waitFor200 } from '../lib/net.ts';
import { startBackend } from '../targets/backend.ts';
import { Unavailable, type Target } from '../targets/types.ts';
import { markUnavailable, PROXIES, scenarioDir, startProxy, type Context } from './context.ts';

export function convergencePlan(quick: boolean): { existing: number; wicketAdds: number; peerAdds: number; budgetMs: number } {
  // budgetMs bounds each target's adding loop in time as well as in count.
  return quick ? { existing: 1000, wicketAdds: 50, peerAdds: 10, budgetMs: 30_000 } : { existing: 5000, wicketAdds: 1000, peerAdds: 20, budgetMs: 120_000 };
}

const PER_ROUTE_TIMEOUT_MS = 5000;

export async function runConvergence(ctx: Context): Promise<ScenarioResult> {
  const dir = scenarioDir(ctx, 'convergence');
  const plan = convergencePlan(ctx.quick);
  const backend = await startBackend(ctx.tools.nginx, dir);
  const p50 = row(`p50, ${plan.existing} existing`, 'ms', 'lower');
  const p99 = row(`p99, ${plan.existing} existing`, 'ms', 'lower');
  const max = row('max', 'ms', 'lower');
  const samples = row('routes added', 'count', 'higher');
  const failed = row('routes never served (5 s)', 'count', 'lower');
  const rows: Row[] = [p50, p99, max, samples, failed];
  const details: Record<string, number[]> = {};
  try {
    for (const kind of PROXIES) {
      const listenPort = await freePort();
      const set = makeRouteSet(plan.existing, { listenPort, backend: { address: '127.0.0.1', port: backend.port }, services: 50 });
      const t = await startProxy(ctx, kind, { workRoot: dir, set, workers: 1, probe: requestFor(plan.existing - 1), startTimeoutMs: 120_000 });
      if (t instanceof Unavailable) {
        for (const r of rows) {
          r.values[kind] = null;
          (r.unavailable ??= {})[kind] = t.reason;
        }
        continue;
      }
      try {
        const n = kind === 'wicket' ? plan.wicketAdds : plan.peerAdds;
        const times = await addOneByOne(t, plan.existing, n, plan.budgetMs);
        const ok = times.filter((x): x is number => x !== null);
        details[kind] = ok.map((x) => round(x, 3)!);
        p50.values[kind] = round(percentile(ok, 50), 2);
        p99.values[kind] = round(percentile(ok, 99), 2);
        max.values[kind] = round(ok.length ? Math.max(...ok) : null, 2);
        samples.values[kind] = times.length;
        failed.values[kind] = times.length - ok.length;
        ctx.log(`  ${kind}: ${times.length} routes added, p50 ${p50.values[kind]} ms, p99 ${p99.values[kind]} ms, never served ${failed.values[kind]}`);
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
    name: 'convergence',
    title: `Convergence: manifest change → first 200 on the new route (${plan.existing} routes already served)`,
    rows,
    checks: [convergenceCheck(p50, p99, failed, plan.existing)],
    details: { samplesMs: details },
  };
}

async function addOneByOne(t: Target, base: number, n: number, budgetMs: number): Promise<(number | null)[]> {
  const out: (number | null)[] = [];
  let misses = 0;
  const start = performance.now();
  for (let k = 0; k < n && performance.now() - start < budgetMs; k++) {
    const i = base + k;
    const since = performance.now();
    await t.addRoute(makeRoute(i, 50));
    const req = requestFor(i);
    const ms = await waitFor200(t.port, req.host, req.path, { since, timeoutMs: PER_ROUTE_TIMEOUT_MS, pollMs: 1, abort: () => t.died() });
    out.push(ms);
    if (t.died()) break;
    misses = ms === null ? misses + 1 : 0;
    // Five misses in a row means changes are not being applied at all: stop rather than wait 5 s each.
    if (misses >= 5) break;
  }
  return out;
}

function convergenceCheck(p50: Row, p99: Row, failed: Row, existing: number): Check {
  const target = 'convergence p50 < 10 ms and p99 < 50 ms at 5,000 existing routes';
  const a = p50.values.wicket;
  const b = p99.values.wicket;
  if (typeof a !== 'number' || typeof b !== 'number') return { target, met: null, detail: `Wicket unavailable: ${p50.unavailable?.wicket ?? 'no samples'}` };
  const note = existing === 5000 ? '' : ` (measured at ${existing} existing routes, not 5,000: quick run)`;
  const f = failed.values.wicket ?? 0;
  return { target, met: existing === 5000 ? a < 10 && b < 50 && f === 0 : null, detail: `Wicket p50 ${a} ms, p99 ${b} ms, ${f} never served${note}` };
}
