// Wicket in file mode: manifests written to a directory it watches (`wicket run -f DIR`), readiness
// from the admin /readyz, then the probe route. Route changes are file writes (write a temporary
// name, then rename, so the watcher never reads half a file) and removals.
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { writeAtomic } from '../lib/files.ts';
import { wicketEntry, wicketRoot } from '../lib/wicket-tree.ts';
import { join } from 'node:path';
import type { HTTPRoute } from '../../src/resources/types.ts';
import { freePort, get, waitFor200 } from '../lib/net.ts';
import { start, stop } from '../lib/proc.ts';
import { toYaml, type RouteSet } from '../peers/routes.ts';
import { Unavailable, type Target, type TargetOptions } from './types.ts';

const CHUNK = 500;
let seq = 0;

function writeSet(dir: string, set: RouteSet): void {
  writeAtomic(join(dir, 'base.yaml'), toYaml([set.gatewayClass, set.gateway, ...set.services, ...set.endpointSlices]));
  const keep = new Set(['base.yaml']);
  for (let i = 0; i * CHUNK < set.routes.length; i++) {
    const name = `routes-${String(i).padStart(4, '0')}.yaml`;
    keep.add(name);
    writeAtomic(join(dir, name), toYaml(set.routes.slice(i * CHUNK, (i + 1) * CHUNK)));
  }
  for (const f of readdirSync(dir)) if (f.endsWith('.yaml') && !keep.has(f)) rmSync(join(dir, f), { force: true });
}

export async function startWicket(o: TargetOptions): Promise<Target> {
  const dir = join(o.workRoot, `wicket-${seq++}`);
  const manifests = join(dir, 'manifests');
  mkdirSync(manifests, { recursive: true });
  const port = Number(o.set.gateway.spec.listeners[0]!.port);
  const adminPort = await freePort();
  const t0g = performance.now();
  writeSet(manifests, o.set);
  const generateMs = performance.now() - t0g;
  // The entry first: the first call builds the tree, which is not Wicket's start-up.
  const entry = wicketEntry();
  const t0 = performance.now();
  // Access logs off, as for the peers (they run with access_log off / no log target).
  const args = [entry, 'run', '-f', manifests, '--admin-address', `127.0.0.1:${adminPort}`, '--log-level', 'warn'];
  // As many data-plane processes as the peers have workers/threads ('auto' = one per core).
  if (o.workers !== 1) args.push('--workers', String(o.workers));
  const p = start('wicket', process.execPath, args, { cpus: o.cpus, cwd: wicketRoot(), logFile: join(dir, 'wicket.log') });
  let exit: string | null = null;
  void p.exited.then((c) => (exit = `\`wicket run\` exited (${c}) before serving: ${p.tail().split('\n').slice(-3).join(' | ') || 'no output'}`));
  // Readiness first (the contract), then the probe route itself.
  const deadline = t0 + o.startTimeoutMs;
  let ready = false;
  for (let i = 0; i < 100_000 && !exit && performance.now() < deadline; i++) {
    if ((await get(adminPort, '127.0.0.1', '/readyz', 1000)) === 200) {
      ready = true;
      break;
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  const ms = ready ? await waitFor200(port, o.probe.host, o.probe.path, { since: t0, timeoutMs: Math.max(1, deadline - t0), abort: () => exit }) : null;
  if (ms === null) {
    await stop(p);
    const reason = exit ?? (ready ? `ready, but no 200 on ${o.probe.host}${o.probe.path} within ${o.startTimeoutMs} ms` : `/readyz not 200 within ${o.startTimeoutMs} ms`);
    // Not remembered: in a shared checkout a failure can be someone's edit in progress, so each
    // scenario tries again and reports its own reason.
    throw new Unavailable('wicket', reason);
  }
  const routeFile = (name: string): string => join(manifests, `route-${name}.yaml`);
  return {
    kind: 'wicket',
    port,
    pids: [p.pid],
    startToServingMs: ms,
    generateMs,
    addRoute: async (r: HTTPRoute) => writeAtomic(routeFile(r.metadata.name), toYaml([r])),
    removeRoute: async (name: string) => rmSync(routeFile(name), { force: true }),
    replaceAll: async (set: RouteSet) => writeSet(manifests, set),
    lastApplyMs: () => lastApplyMs(adminPort),
    died: () => exit,
    stop: () => stop(p),
  };
}

/** Reads `wicket_config_last_apply_duration_seconds` from the admin /metrics; null if absent. */
async function lastApplyMs(adminPort: number): Promise<number | null> {
  try {
    const res = await fetch(`http://127.0.0.1:${adminPort}/metrics`, { signal: AbortSignal.timeout(15_000) });
    const m = /^wicket_config_last_apply_duration_seconds(?:\{[^}]*\})?\s+([\d.eE+-]+)/m.exec(await res.text());
    return m ? Math.round(Number(m[1]) * 1e5) / 100 : null;
  } catch {
    return null;
  }
}
