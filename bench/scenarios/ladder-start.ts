// A diagnostic for one rung of the route ladder (not part of `npm run bench`): starts
// `wicket run -f DIR` on the bench's manifests for N routes (bench/peers/routes.ts, written as the
// bench writes them), and prints the time from start to the first 200 on the last route, the CPU the
// process spent getting there (utime + stime from /proc: robust to other load on the machine), its
// RSS idle and under a few seconds of load that cycles over 100 routes, and /proc/PID/smaps_rollup
// (anonymous vs file-backed memory) and the process's wicket_config_last_apply_duration_seconds. With --root it measures another tree (e.g. an old commit
// unpacked with `git archive`), so old and new can be compared side by side.
//
//   node bench/scenarios/ladder-start.ts 5000 [--root DIR] [--load 3] [--cpus 0] [--repeat 3]
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { writeAtomic } from '../lib/files.ts';
import { cpuTimeMs } from '../lib/proc.ts';
import { freePort, get, sleep } from '../lib/net.ts';
import { rotateScript, runWrk } from '../lib/wrk.ts';
import { makeRouteSet, requestFor, sampleRequests, toYaml } from '../peers/routes.ts';
import { REPO } from '../lib/wicket-tree.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  allowNegative: true,
  options: {
    root: { type: 'string', default: REPO },
    load: { type: 'string', default: '3' },
    cpus: { type: 'string' },
    repeat: { type: 'string', default: '1' },
    build: { type: 'boolean', default: true },
  },
});
const n = Number(positionals[0] ?? 5000);
if (!Number.isInteger(n) || n < 1) throw new Error(`route count must be a positive integer, got ${positionals[0]}`);
const root = resolve(values.root!);
const loadS = Number(values.load);

if (values.build) execFileSync(join(REPO, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });

const backend = createServer((_req, res) => res.end('ok'));
await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
const backendPort = (backend.address() as { port: number }).port;
const work = mkdtempSync(join(tmpdir(), 'ladder-start-'));

function cpuMs(pid: number): number {
  const c = cpuTimeMs(pid);
  return c.user + c.system;
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 102.4) / 10 : NaN;
}

function rollup(pid: number): string {
  const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const pick = (k: string) => Math.round(Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0) / 1024);
  return `anon ${pick('Anonymous')} MB, file ${pick('Rss') - pick('Anonymous')} MB`;
}

try {
  for (let round = 0; round < Number(values.repeat); round++) {
    const listenPort = await freePort();
    const adminPort = await freePort();
    const set = makeRouteSet(n, { listenPort, backend: { address: '127.0.0.1', port: backendPort }, services: 50 });
    const dir = join(work, `m${round}`);
    mkdirSync(dir);
    writeAtomic(join(dir, 'base.yaml'), toYaml([set.gatewayClass, set.gateway, ...set.services, ...set.endpointSlices]));
    for (let i = 0; i * 500 < set.routes.length; i++) writeAtomic(join(dir, `routes-${String(i).padStart(4, '0')}.yaml`), toYaml(set.routes.slice(i * 500, (i + 1) * 500)));
    const args = [join(root, 'dist/cli/main.js'), 'run', '-f', dir, '--admin-address', `127.0.0.1:${adminPort}`, '--log-level', 'warn'];
    const [file, argv] = values.cpus !== undefined ? ['taskset', ['-c', values.cpus, process.execPath, ...args]] : [process.execPath, args];
    const t0 = performance.now();
    const child = spawn(file, argv, { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
    const pid = child.pid!;
    const probe = requestFor(n - 1);
    let servingMs = NaN;
    for (let i = 0; i < 60_000; i++) {
      if (child.exitCode !== null) throw new Error(`wicket exited with ${child.exitCode}`);
      if ((await get(listenPort, probe.host, probe.path, 1000).catch(() => 0)) === 200) {
        servingMs = performance.now() - t0;
        break;
      }
      await sleep(2);
    }
    const cpuServing = cpuMs(pid);
    await sleep(1500); // status computed after serving, then idle
    const idle = rssMb(pid);
    const idleRollup = rollup(pid);
    let peak = idle;
    let rps = 0;
    if (loadS > 0) {
      const sampler = setInterval(() => (peak = Math.max(peak, rssMb(pid))), 100);
      const w = await runWrk({ wrk: 'wrk', url: `http://127.0.0.1:${listenPort}/`, connections: 64, durationS: loadS, workDir: work, script: rotateScript(sampleRequests(n, 100)), cpus: values.cpus === '0' ? '1' : undefined });
      clearInterval(sampler);
      rps = w.rps;
    }
    const afterRollup = rollup(pid);
    // The serving process's own account of its last apply (translate + compile + swap), when it has one.
    const metrics = await fetch(`http://127.0.0.1:${adminPort}/metrics`).then((r) => r.text()).catch(() => '');
    const apply = /^wicket_config_last_apply_duration_seconds(?:\{[^}]*\})? ([0-9.e+-]+)$/m.exec(metrics)?.[1];
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
    console.log(
      `${n} routes: serving after ${Math.round(servingMs)} ms, CPU ${Math.round(cpuServing)} ms, last apply ${apply === undefined ? 'n/a' : Math.round(Number(apply) * 1000) + ' ms'}; RSS idle ${idle} MB (${idleRollup}), under load ${peak} MB (${afterRollup}), ${Math.round(rps)} req/s`,
    );
  }
} finally {
  backend.close();
  rmSync(work, { recursive: true, force: true });
}
