// `node bench/reload.ts [N] [--existing M] [--root DIR] [--node-arg FLAG]...`: how fast a change on disk is served by a
// warm `wicket run -f DIR` that already serves M routes (default 5,000, the convergence
// setting; the same route set as `npm run bench -- --scenario convergence`). Each of N iterations
// (default 40, at most 500) renames a new HTTPRoute manifest into the watched directory and times
// it to the first 200 on its host and path (probing every millisecond). Prints the percentiles and,
// since a shared machine skews wall-clock times, figures that depend less on load: the CPU time the
// serving process spent per change (probes and their access log lines included), and its own translate / apply / manifest-read
// times (from its debug log). `--root` measures another tree (e.g. an unpacked older commit with
// node_modules linked in) for before/after comparisons on the same machine state. `--node-arg`
// passes a flag to the serving process's node (e.g. `--node-arg=--cpu-prof --node-arg=--cpu-prof-dir=/tmp/p`).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort, waitFor200 } from './lib/net.ts';
import { REPO } from './lib/wicket-tree.ts';
import { makeRoute, makeRouteSet, requestFor, toYaml } from './peers/routes.ts';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { existing: { type: 'string' }, root: { type: 'string' }, 'node-arg': { type: 'string', multiple: true } } });
const N = Math.min(500, Math.max(1, Number(positionals[0] ?? 40) || 40));
const EXISTING = Math.max(1, Number(values.existing ?? 5000) || 5000);
const ROOT = resolve(values.root ?? REPO);

const backend = createServer((_req, res) => res.end('ok'));
await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
const dir = mkdtempSync(join(tmpdir(), 'wicket-reload-'));
let child: ReturnType<typeof spawn> | undefined;
try {
  const listenPort = await freePort();
  // 50 Services as in the bench (fewer when there are fewer routes: makeRouteSet caps it so).
  const services = Math.min(50, EXISTING);
  const set = makeRouteSet(EXISTING, { listenPort, backend: { address: '127.0.0.1', port: (backend.address() as { port: number }).port }, services });
  let seq = 0;
  // Written under a dot-name the provider skips, then renamed into place (as the bench does).
  const writeAtomic = (file: string, text: string) => {
    const tmp = join(dir, `.tmp-${seq++}`);
    writeFileSync(tmp, text);
    renameSync(tmp, file);
  };
  writeAtomic(join(dir, 'base.yaml'), toYaml([set.gatewayClass, set.gateway, ...set.services, ...set.endpointSlices]));
  for (let i = 0; i * 500 < set.routes.length; i++) writeAtomic(join(dir, `routes-${String(i).padStart(4, '0')}.yaml`), toYaml(set.routes.slice(i * 500, (i + 1) * 500)));

  const admin = await freePort();
  const logs: Record<string, unknown>[] = [];
  // Debug level for the process's own timings (which also logs each probe's access line).
  const proc = spawn(process.execPath, [...(values['node-arg'] ?? []), 'src/cli/main.ts', 'run', '-f', dir, '--admin-address', `127.0.0.1:${admin}`, '--log-level', 'debug'], {
    cwd: ROOT,
    stdio: ['ignore', process.env['RELOAD_STDOUT'] ? 'inherit' : 'ignore', 'pipe'],
  });
  child = proc;
  let buf = '';
  proc.stderr!.on('data', (d: Buffer) => {
    buf += d.toString();
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (line.includes('"msg":"access"')) continue;
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // not a log line
      }
    }
  });
  const started = performance.now();
  const probe = requestFor(EXISTING - 1);
  if ((await waitFor200(listenPort, probe.host, probe.path, { since: started, timeoutMs: 180_000, pollMs: 20, abort: () => (proc.exitCode !== null ? 'exited' : null) })) === null) {
    throw new Error(`wicket did not serve the ${EXISTING} routes within 180 s`);
  }
  await new Promise((r) => setTimeout(r, 500));

  // utime + stime of the serving process, in ms (clock ticks of 10 ms).
  const cpuMs = () => {
    const f = readFileSync(`/proc/${proc.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  };
  const cpu0 = cpuMs();
  const logFrom = logs.length;
  const samples: number[] = [];
  for (let k = 0; k < N; k++) {
    const route = makeRoute(EXISTING + k, services);
    const since = performance.now();
    writeAtomic(join(dir, `route-${route.metadata.name}.yaml`), toYaml([route]));
    const req = requestFor(EXISTING + k);
    const ms = await waitFor200(listenPort, req.host, req.path, { since, timeoutMs: 5000, pollMs: 1 });
    if (ms === null) throw new Error(`route ${req.host} was never served; the serving process's last log lines:\n${logs.slice(-12).map((l) => JSON.stringify(l).slice(0, 400)).join('\n')}`);
    samples.push(ms);
  }
  const cpuPerChange = (cpuMs() - cpu0) / N;
  samples.sort((a, b) => a - b);
  const pct = (p: number) => samples[Math.min(samples.length - 1, Math.ceil((p / 100) * samples.length) - 1)]!;
  const median = (xs: number[]) => (xs.length === 0 ? NaN : [...xs].sort((a, b) => a - b)[xs.length >> 1]!);
  const mine = logs.slice(logFrom);
  const applied = mine.filter((l) => typeof l['translateMs'] === 'number');
  const reads = mine.filter((l) => l['msg'] === 'manifests read' && typeof l['ms'] === 'number');
  console.log(`reload: rename a new route into place -> first 200, ${N} iterations, ${EXISTING} routes served (${ROOT})`);
  console.log(`  p50 ${pct(50).toFixed(1)} ms   p90 ${pct(90).toFixed(1)} ms   p99 ${pct(99).toFixed(1)} ms   max ${samples.at(-1)!.toFixed(1)} ms   min ${samples[0]!.toFixed(1)} ms`);
  console.log(
    `  serving process: CPU ${cpuPerChange.toFixed(1)} ms per change (probes and their access log lines included); median translate ${median(applied.map((l) => l['translateMs'] as number)).toFixed(1)} ms, apply ${median(applied.map((l) => l['applyMs'] as number)).toFixed(1)} ms, manifests read ${median(reads.map((l) => l['ms'] as number)).toFixed(1)} ms`,
  );
  console.log(`  machine: ${cpus().length} cores, load average ${loadavg()[0]!.toFixed(1)} at the end`);
  console.log(`  target (issue 4): p50 < 10 ms and p99 < 50 ms -> ${pct(50) < 10 && pct(99) < 50 ? 'met' : 'not met'}`);
} finally {
  if (child && child.exitCode === null) {
    child.kill('SIGTERM');
    await new Promise((r) => child!.once('exit', r));
  }
  backend.close();
  rmSync(dir, { recursive: true, force: true });
}
