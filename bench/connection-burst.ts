// `node bench/connection-burst.ts [--conns 64] [--rounds 10] [--gap 6000] [--cpus 0] [--root DIR]`:
// what a burst of new client connections costs a warm `wicket run` serving one route — the start
// of every load round in `npm run bench` (wrk opens all its connections at once, after the pause
// in which the other targets had their turn). Each round waits `--gap` ms, then opens `--conns`
// connections at once, sends one GET on each and waits for every first response. Printed per
// round and as medians: the CPU time of Wicket's main thread for the burst (from
// /proc/PID/task/PID/schedstat, nanoseconds, robust to other load on the machine) and the time
// to the last first response. With wrk's latency correction one such stall can set a round's p99
// (bench/README.md, Caveats), so this is the figure to compare before/after a change to
// connection set-up or upstream pooling (`--root` measures another tree, e.g. an unpacked older
// commit with node_modules linked in). Not part of `npm run bench`. Loopback only.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { freePort, waitFor200 } from './lib/net.ts';
import { median } from './lib/stats.ts';
import { REPO } from './lib/wicket-tree.ts';
import { makeRouteSet, requestFor, toYaml } from './peers/routes.ts';

const { values } = parseArgs({
  options: { conns: { type: 'string' }, rounds: { type: 'string' }, gap: { type: 'string' }, cpus: { type: 'string' }, root: { type: 'string' } },
});
const CONNS = Math.min(1000, Math.max(1, Number(values.conns ?? 64) || 64));
const ROUNDS = Math.min(100, Math.max(1, Number(values.rounds ?? 10) || 10));
const GAP_MS = Math.min(60_000, Math.max(0, Number(values.gap ?? 6000)));
const ROOT = resolve(values.root ?? REPO);

/** Nanoseconds the thread has run (first field of schedstat). */
function threadCpuNs(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'latin1').split(' ')[0]);
}

/** Opens n connections at once, one GET on each; resolves when every first response has begun. */
async function burst(port: number, host: string, path: string, n: number): Promise<{ sockets: Socket[]; lastMs: number }> {
  const t0 = performance.now();
  const sockets: Socket[] = [];
  let lastMs = 0;
  await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<void>((ok, fail) => {
          const s = connect(port, '127.0.0.1');
          sockets.push(s);
          s.setNoDelay(true);
          s.once('error', fail);
          s.once('connect', () => s.write(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\n\r\n`));
          s.once('data', (d: Buffer) => {
            if (!d.toString('latin1', 0, 12).startsWith('HTTP/1.1 200')) fail(new Error(`unexpected answer: ${d.toString('latin1', 0, 40)}`));
            lastMs = performance.now() - t0;
            ok();
          });
        }),
    ),
  );
  return { sockets, lastMs };
}

const backend = createServer((_req, res) => res.end('ok'));
// Idle connections kept as long as the bench's backend nginx keeps them (keepalive_timeout 120s):
// Node's default (5 s, announced as Keep-Alive: timeout=5) would close them during each gap.
backend.keepAliveTimeout = 120_000;
await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
const dir = mkdtempSync(join(tmpdir(), 'wicket-burst-'));
let child: ReturnType<typeof spawn> | undefined;
try {
  const listenPort = await freePort();
  const set = makeRouteSet(1, { listenPort, backend: { address: '127.0.0.1', port: (backend.address() as { port: number }).port } });
  writeFileSync(join(dir, 'all.yaml'), toYaml([set.gatewayClass, set.gateway, ...set.services, ...set.endpointSlices, ...set.routes]));
  const admin = await freePort();
  const args = ['src/cli/main.ts', 'run', '-f', dir, '--admin-address', `127.0.0.1:${admin}`, '--log-level', 'warn'];
  const [file, argv] = values.cpus !== undefined ? ['taskset', ['-c', values.cpus, process.execPath, ...args]] : [process.execPath, args];
  const proc = spawn(file, argv, { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  child = proc;
  const { host, path } = requestFor(0);
  if ((await waitFor200(listenPort, host, path, { since: performance.now(), timeoutMs: 30_000, pollMs: 50 })) === null) throw new Error('Wicket did not serve the route within 30 s');
  // The process that serves (taskset execs node; node may re-exec itself, keeping its pid).
  const pid = proc.pid!;
  // Warm-up, unmeasured, as each target gets in the bench (there, many rounds of load came before
  // most bursts): 3 s of keep-alive requests on the burst's connections, then a few more bursts,
  // so that the JIT has compiled both the request and the connection paths.
  const w = await burst(listenPort, host, path, CONNS);
  const until = performance.now() + 3_000;
  await Promise.all(
    w.sockets.map(
      (s) =>
        new Promise<void>((ok) => {
          const again = () => (performance.now() < until ? s.write(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\n\r\n`) : ok());
          s.on('data', again);
          again();
        }),
    ),
  );
  for (const s of w.sockets) s.destroy();
  for (let i = 0; i < 10; i++) {
    const b = await burst(listenPort, host, path, CONNS);
    for (const s of b.sockets) s.destroy();
    await sleep(100);
  }
  const cpuMs: number[] = [];
  const lastMs: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    await sleep(GAP_MS);
    const c0 = threadCpuNs(pid);
    const b = await burst(listenPort, host, path, CONNS);
    cpuMs.push((threadCpuNs(pid) - c0) / 1e6);
    lastMs.push(b.lastMs);
    for (const s of b.sockets) s.destroy();
  }
  const f = (xs: number[]) => xs.map((x) => x.toFixed(1)).join(' ');
  console.log(`${CONNS} new connections, one GET each, after ${GAP_MS} ms idle; ${ROUNDS} rounds (${ROOT})`);
  console.log(`  Wicket main-thread CPU per burst (ms): median ${(median(cpuMs) ?? NaN).toFixed(2)}; rounds ${f(cpuMs)}`);
  console.log(`  last first response after (ms):       median ${(median(lastMs) ?? NaN).toFixed(1)}; rounds ${f(lastMs)}`);
} finally {
  child?.kill('SIGTERM');
  backend.close();
  backend.closeAllConnections();
  rmSync(dir, { recursive: true, force: true });
}
