// Scenario 6: large bodies, 1 MB and 100 MB, down (the backend nginx sends a file) and up (a sink
// reads the whole body before answering). Throughput in MB/s, and the proxy's RSS sampled every
// 100 ms: a proxy that streams stays flat, one that buffers grows by about the body size times the
// connections. Target: Wicket's growth stays under 50 MB with 100 MB bodies.
import { freePort } from '../lib/net.ts';
import { sampleRss, stop, treeRssMb } from '../lib/proc.ts';
import { round } from '../lib/stats.ts';
import { row, type Check, type Row, type ScenarioResult } from '../lib/result.ts';
import { rotateScript, runWrk } from '../lib/wrk.ts';
import { customRoute, makeRouteSet, requestFor, withService } from '../peers/routes.ts';
import { directTarget, ensureBodyFile, startBackend, startSink } from '../targets/backend.ts';
import { Unavailable, type Target } from '../targets/types.ts';
import { markUnavailable, PROXIES, scenarioDir, startProxy, type Context } from './context.ts';

const SIZES = [
  { label: '1 MB', file: '1m.bin', bytes: 1 << 20, conns: 8, minS: 1 },
  // A 100 MB body takes about a second each way here: give each point time for several.
  { label: '100 MB', file: '100m.bin', bytes: 100 << 20, conns: 2, minS: 3 },
];
const FLAT_MB = 50;

export async function runBodies(ctx: Context): Promise<ScenarioResult> {
  const dir = scenarioDir(ctx, 'bodies');
  for (const s of SIZES) ensureBodyFile(dir, s.file, s.bytes);
  const backend = await startBackend(ctx.tools.nginx, dir);
  const sink = await startSink(dir);
  const rows: Row[] = [];
  const growth = new Map<string, Row>();
  const cells: { dir: 'down' | 'up'; size: (typeof SIZES)[number]; mbps: Row; grow: Row }[] = [];
  for (const d of ['down', 'up'] as const) {
    for (const s of SIZES) {
      const mbps = row(`${d} ${s.label} × ${s.conns} conn: MB/s`, 'MB/s', 'higher');
      const grow = row(`${d} ${s.label}: RSS growth`, 'MB', 'lower');
      rows.push(mbps, grow);
      growth.set(`${d} ${s.label}`, grow);
      cells.push({ dir: d, size: s, mbps, grow });
    }
  }
  const down = requestFor(0);
  const up = { host: down.host, path: '/up/x' };
  const measure = async (t: Target, direct: { downPort: number; upPort: number } | null): Promise<void> => {
    for (const c of cells) {
      const port = direct ? (c.dir === 'down' ? direct.downPort : direct.upPort) : t.port;
      const pids = direct ? (c.dir === 'down' ? [backend.pid] : [sink.owned.pid]) : t.pids;
      const before = treeRssMb(pids);
      const sampler = sampleRss(pids, 100);
      const w = await runWrk({
        wrk: ctx.tools.wrk,
        url: `http://127.0.0.1:${port}/`,
        connections: c.size.conns,
        durationS: Math.max(ctx.durationS, c.size.minS),
        workDir: dir,
        timeoutS: 60,
        script: c.dir === 'down' ? rotateScript([{ host: down.host, path: `/r0/files/${c.size.file}` }]) : rotateScript([up], 'POST', c.size.bytes),
      });
      const { peakMb } = sampler.stop();
      const bytesPerSec = c.dir === 'down' ? w.readBytesPerSec : w.rps * c.size.bytes;
      c.mbps.values[t.kind] = round(bytesPerSec / (1 << 20), 1);
      c.grow.values[t.kind] = round(peakMb - before, 1);
      ctx.log(`  ${t.kind} ${c.dir} ${c.size.label}: ${c.mbps.values[t.kind]} MB/s, RSS ${before} → ${peakMb} MB${w.failed ? `, FAILED ${w.failed} ${JSON.stringify(w.errors)}` : ''}`);
    }
  };
  try {
    await measure(directTarget(backend.port, backend.pid), { downPort: backend.port, upPort: sink.port });
    for (const kind of PROXIES) {
      const listenPort = await freePort();
      let set = withService(makeRouteSet(1, { listenPort, backend: { address: '127.0.0.1', port: backend.port } }), 'sink', '127.0.0.1', sink.port);
      set = { ...set, routes: [...set.routes, customRoute('upload', up.host, '/up', 'sink')] };
      const t = await startProxy(ctx, kind, { workRoot: dir, set, workers: 1, probe: down, startTimeoutMs: 30_000 });
      if (t instanceof Unavailable) {
        for (const r of rows) {
          r.values[kind] = null;
          (r.unavailable ??= {})[kind] = t.reason;
        }
        continue;
      }
      try {
        await measure(t, null);
      } finally {
        const died = t.died();
        await t.stop();
        // A target that died mid-measurement has no figures: say why instead of reporting the wreck.
        if (died) markUnavailable(rows, kind, `died during the scenario: ${died}`);
      }
    }
  } finally {
    await backend.stop();
    await stop(sink.owned);
  }
  const checks: Check[] = (['down', 'up'] as const).map((d) => flatCheck(d, growth.get(`${d} 100 MB`)!));
  return { name: 'bodies', title: 'Large bodies, streamed through (proxy unpinned, one worker)', rows, checks };
}

function flatCheck(d: string, r: Row): Check {
  const target = `memory stays flat with 100 MB bodies ${d} (RSS growth < ${FLAT_MB} MB)`;
  const v = r.values.wicket;
  if (typeof v !== 'number') return { target, met: null, detail: `Wicket unavailable: ${r.unavailable?.wicket ?? 'not measured'}` };
  return { target, met: v < FLAT_MB, detail: `Wicket grew ${v} MB (nginx ${r.values.nginx ?? '—'}, HAProxy ${r.values.haproxy ?? '—'})` };
}
