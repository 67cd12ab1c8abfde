// Scenario 3: a route ladder. For each size N (10 … 10,000 HTTPRoutes, ten to a hostname, each
// with its own path prefix, spread over up to 50 Services), every proxy is started pinned to core 0
// with one worker, and measured for: time from manifests to serving (our generator + start for the
// peers; file load + translate + apply for Wicket, from the manifests on disk), RSS when idle,
// throughput and p99 under load that cycles through 100 routes spread over the table, and RSS at
// peak during that load.
import { freePort } from '../lib/net.ts';
import { sampleRss, treeRssMb } from '../lib/proc.ts';
import { row, type Check, type Row, type ScenarioResult } from '../lib/result.ts';
import { rotateScript, runWrk } from '../lib/wrk.ts';
import { makeRouteSet, requestFor, sampleRequests } from '../peers/routes.ts';
import { startBackend } from '../targets/backend.ts';
import { Unavailable } from '../targets/types.ts';
import { markUnavailable, PROXIES, scenarioDir, startProxy, type Context } from './context.ts';

export function ladderSizes(quick: boolean): number[] {
  return quick ? [10, 100, 1000] : [10, 100, 1000, 5000, 10000];
}

export async function runLadder(ctx: Context): Promise<ScenarioResult> {
  const dir = scenarioDir(ctx, 'ladder');
  const backend = await startBackend(ctx.tools.nginx, dir, '1');
  const rows: Row[] = [];
  const rssAt = new Map<number, Row>();
  const applyAt = new Map<number, Row>();
  try {
    for (const n of ladderSizes(ctx.quick)) {
      const r = {
        apply: row(`${n} routes: manifests → serving`, 'ms', 'lower'),
        translate: row(`${n} routes: translate + apply (Wicket's metric)`, 'ms', 'lower'),
        idle: row(`${n} routes: RSS idle`, 'MB', 'lower'),
        rps: row(`${n} routes: req/s, 64 conn`, 'req/s', 'higher'),
        p99: row(`${n} routes: p99, 64 conn`, 'ms', 'lower'),
        peak: row(`${n} routes: RSS under load`, 'MB', 'lower'),
        pss: row(`${n} routes: PSS under load (shared pages once)`, 'MB', 'lower'),
      };
      rows.push(r.apply, r.translate, r.idle, r.rps, r.p99, r.peak, r.pss);
      rssAt.set(n, r.peak);
      applyAt.set(n, r.translate);
      const script = rotateScript(sampleRequests(n, 100));
      for (const kind of PROXIES) {
        const listenPort = await freePort();
        const set = makeRouteSet(n, { listenPort, backend: { address: '127.0.0.1', port: backend.port }, services: 50 });
        const t = await startProxy(ctx, kind, { workRoot: dir, set, cpus: '0', workers: 1, probe: requestFor(n - 1), startTimeoutMs: 120_000 });
        if (t instanceof Unavailable) {
          for (const x of Object.values(r)) {
            x.values[kind] = null;
            (x.unavailable ??= {})[kind] = t.reason;
          }
          continue;
        }
        try {
          // From manifests to serving: a peer's figure includes our generator (it turns the
          // manifests into its config, the work Wicket does inside); Wicket's starts with the
          // manifests on disk. Writing them is the bench serialising its objects to YAML, not
          // Wicket's work (at 10,000 routes ~2.1 s of the figure before 2026-11-26 17:20).
          r.apply.values[kind] = Math.round((kind === 'wicket' ? 0 : t.generateMs) + t.startToServingMs);
          r.idle.values[kind] = treeRssMb(t.pids);
          if (t.lastApplyMs) r.translate.values[kind] = await t.lastApplyMs();
          const sampler = sampleRss(t.pids, 200);
          const w = await runWrk({ wrk: ctx.tools.wrk, url: `http://127.0.0.1:${t.port}/`, connections: 64, durationS: ctx.durationS, cpus: '1', workDir: dir, script });
          const { peakMb, peakPssMb } = sampler.stop();
          r.pss.values[kind] = peakPssMb;
          r.rps.values[kind] = w.rps;
          r.p99.values[kind] = w.p99Ms;
          r.peak.values[kind] = peakMb;
          ctx.log(`  ${n} routes, ${kind}: serving after ${r.apply.values[kind]} ms${kind === 'wicket' ? ` (+ ${Math.round(t.generateMs)} ms writing the manifests, not counted)` : ''}, ${w.rps.toFixed(0)} req/s, p99 ${w.p99Ms} ms, RSS ${r.idle.values[kind]} → ${peakMb} MB (PSS ${peakPssMb} MB)${w.failed ? `, FAILED ${w.failed}` : ''}`);
        } finally {
          const died = t.died();
          await t.stop();
          // A target that died mid-measurement has no figures: say why instead of reporting the wreck.
          if (died) markUnavailable(Object.values(r), kind, `died during the scenario: ${died}`);
        }
      }
    }
  } finally {
    await backend.stop();
  }
  const checks: Check[] = [rssCheck(rssAt.get(5000)), applyCheck(applyAt.get(10000))];
  return { name: 'ladder', title: 'Route ladder (proxy pinned to core 0, one worker; load cycles over 100 routes)', rows, checks };
}

function rssCheck(r: Row | undefined): Check {
  const target = 'data plane RSS < 150 MB with 5,000 routes';
  if (!r) return { target, met: null, detail: 'not measured in this run (quick mode stops at 1,000 routes)' };
  const v = r.values.wicket;
  if (typeof v !== 'number') return { target, met: null, detail: `Wicket unavailable: ${r.unavailable?.wicket ?? 'not measured'}` };
  return { target, met: v < 150, detail: `Wicket ${v} MB under load at 5,000 routes (nginx ${r.values.nginx ?? '—'} MB, HAProxy ${r.values.haproxy ?? '—'} MB)` };
}

function applyCheck(r: Row | undefined): Check {
  const target = '10,000 routes translate + apply < 500 ms (Wicket\'s own metric, running process)';
  if (!r) return { target, met: null, detail: 'not measured in this run (quick mode stops at 1,000 routes)' };
  const v = r.values.wicket;
  if (typeof v !== 'number') return { target, met: null, detail: `not available: ${r.unavailable?.wicket ?? 'no wicket_config_last_apply_duration_seconds in /metrics'}` };
  return { target, met: v < 500, detail: `wicket_config_last_apply_duration_seconds = ${v} ms at 10,000 routes` };
}
