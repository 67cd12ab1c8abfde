// `node bench/relay-floor.ts [--rounds 6] [--seconds 2] [--conns 64] [--gap MS] [--root DIR]`:
// how much of Wicket's per-core cost is Node's and how much is Wicket's own. Runs, pinned like the
// bench's "pinned" scenario (proxy on core 0; backend nginx and wrk on core 1), a bare byte relay
// on Node that moves bytes the way Wicket's fast path does and nothing else
// (bench/lib/bare-relay.ts), and `wicket run` serving one route to the same backend. Rounds
// alternate between the two (`--gap`: a pause before each, as the bench's other targets take
// their turns between two rounds of one target); each prints req/s, p99 and the proxy's CPU per
// request from /proc/PID/stat (user and system, µs). Medians at the end, with Wicket ÷ relay: what
// is left above the relay is Wicket's parsing, routing, filters and pooling; what the relay costs
// is the runtime and the kernel. Not part of `npm run bench` (it measures no peer). Loopback
// only; bounded by --rounds × (--seconds + --gap).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { installTools } from './lib/install.ts';
import { freePort, sleep, waitFor200 } from './lib/net.ts';
import { cpuTimeMs, start, stop, type Owned } from './lib/proc.ts';
import { median } from './lib/stats.ts';
import { REPO } from './lib/wicket-tree.ts';
import { runWrk } from './lib/wrk.ts';
import { makeRouteSet, requestFor, toYaml } from './peers/routes.ts';
import { startBackend } from './targets/backend.ts';

const { values } = parseArgs({
  options: { rounds: { type: 'string' }, seconds: { type: 'string' }, conns: { type: 'string' }, gap: { type: 'string' }, root: { type: 'string' } },
});
const ROUNDS = Math.min(50, Math.max(1, Number(values.rounds ?? 6) || 6));
const SECONDS = Math.min(30, Math.max(1, Number(values.seconds ?? 2) || 2));
const CONNS = Math.min(1000, Math.max(1, Number(values.conns ?? 64) || 64));
const GAP_MS = Math.min(60_000, Math.max(0, Number(values.gap ?? 0) || 0));
const ROOT = resolve(values.root ?? REPO);
interface Round {
  rps: number;
  p99Ms: number | null;
  userUs: number;
  systemUs: number;
}

const tools = installTools();
const dir = mkdtempSync(join(tmpdir(), 'wicket-relay-floor-'));
const owned: Owned[] = [];
let stopBackend: (() => Promise<void>) | null = null;
try {
  const backend = await startBackend(tools.nginx, dir, '1');
  stopBackend = backend.stop;
  const { host, path } = requestFor(0);
  const node = process.execPath;

  const relayPort = await freePort();
  const relay = start('relay', node, [join(REPO, 'bench/lib/bare-relay.ts'), String(relayPort), String(backend.port)], { cpus: '0', logFile: join(dir, 'relay.log') });
  owned.push(relay);

  const wicketPort = await freePort();
  const set = makeRouteSet(1, { listenPort: wicketPort, backend: { address: '127.0.0.1', port: backend.port } });
  writeFileSync(join(dir, 'all.yaml'), toYaml([set.gatewayClass, set.gateway, ...set.services, ...set.endpointSlices, ...set.routes]));
  const admin = await freePort();
  const wicket = start('wicket', node, ['src/cli/main.ts', 'run', '-f', dir, '--admin-address', `127.0.0.1:${admin}`, '--log-level', 'warn'], { cpus: '0', cwd: ROOT, logFile: join(dir, 'wicket.log') });
  owned.push(wicket);

  const targets = [
    { proc: relay, port: relayPort, rounds: [] as Round[] },
    // taskset execs node, and node re-executes itself with its heap flags keeping the pid.
    { proc: wicket, port: wicketPort, rounds: [] as Round[] },
  ];
  for (const t of targets) {
    if ((await waitFor200(t.port, host, path, { since: performance.now(), timeoutMs: 30_000, pollMs: 50 })) === null) throw new Error(`${t.proc.name} did not answer within 30 s: ${t.proc.tail()}`);
  }
  const load = (port: number, conns: number, seconds: number) =>
    runWrk({ wrk: tools.wrk, url: `http://127.0.0.1:${port}${path}`, host, connections: conns, threads: 1, durationS: seconds, cpus: '1', workDir: dir });
  // Warm-up, unmeasured, as in the bench: the JIT compiles the hot paths of both.
  for (const t of targets) {
    await load(t.port, 64, 2);
    await load(t.port, 1, 2);
  }
  for (let r = 0; r < ROUNDS; r++) {
    for (const t of targets) {
      if (GAP_MS > 0) await sleep(GAP_MS);
      const c0 = cpuTimeMs(t.proc.pid);
      const w = await load(t.port, CONNS, SECONDS);
      const c1 = cpuTimeMs(t.proc.pid);
      const n = Math.max(1, w.requests);
      const round = { rps: w.rps, p99Ms: w.p99Ms, userUs: ((c1.user - c0.user) * 1000) / n, systemUs: ((c1.system - c0.system) * 1000) / n };
      t.rounds.push(round);
      if (w.failed > 0) console.log(`  ${t.proc.name}: ${w.failed} failed requests in round ${r + 1}`);
      console.log(`round ${r + 1} ${t.proc.name.padEnd(6)} ${round.rps.toFixed(0).padStart(6)} req/s  p99 ${round.p99Ms} ms  CPU per request: user ${round.userUs.toFixed(1)} µs, system ${round.systemUs.toFixed(1)} µs`);
    }
  }
  const m = (t: (typeof targets)[number], f: (r: Round) => number | null) => median(t.rounds.map(f)) ?? NaN;
  console.log(`\n${CONNS} connections, ${ROUNDS} × ${SECONDS} s per target, proxy pinned to core 0 (${ROOT})`);
  for (const t of targets) {
    console.log(`  ${t.proc.name.padEnd(6)} median ${m(t, (r) => r.rps).toFixed(0).padStart(6)} req/s, p99 ${m(t, (r) => r.p99Ms).toFixed(2)} ms, user ${m(t, (r) => r.userUs).toFixed(1)} µs + system ${m(t, (r) => r.systemUs).toFixed(1)} µs per request`);
  }
  const [r, w] = targets as [(typeof targets)[number], (typeof targets)[number]];
  console.log(`  Wicket ÷ relay: req/s ${(m(w, (x) => x.rps) / m(r, (x) => x.rps)).toFixed(2)}×, user CPU per request ${(m(w, (x) => x.userUs) / m(r, (x) => x.userUs)).toFixed(2)}×, system ${(m(w, (x) => x.systemUs) / m(r, (x) => x.systemUs)).toFixed(2)}×`);
} finally {
  // Both gone before their directory is: Wicket watches it and would report it missing.
  await Promise.all(owned.map((p) => stop(p)));
  await stopBackend?.();
  rmSync(dir, { recursive: true, force: true });
}
