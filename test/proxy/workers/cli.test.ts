// `wicket run --workers 2` end to end: the real command, two worker processes serving one port,
// /metrics merging their counters with the primary's, access logs naming the worker, and SIGTERM
// draining every worker (the request in flight completes, the processes are gone, exit 0).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseCommandLine } from '../../../src/cli/args.ts';
import { workerExecArgv } from '../../../src/proxy/workers/worker-process.ts';
import { eventually, freePort, gatewayYaml, get, MAIN, REPO, routeYaml, serviceYaml, sleep, startBackend, tempDir, WicketProcess } from '../../e2e/harness.ts';

test('--workers takes a count from 1 to 256 or auto, and defaults to 1', () => {
  assert.equal(parseCommandLine(['run']).flags.workers, 1);
  assert.equal(parseCommandLine(['run', '--workers', '4']).flags.workers, 4);
  assert.equal(parseCommandLine(['run', '--workers', 'auto']).flags.workers, 'auto');
  for (const bad of ['0', '-1', '2.5', 'two', '257', '']) {
    assert.throws(() => parseCommandLine(['run', `--workers=${bad}`]), { code: 'WICKET_ERR_USAGE', message: new RegExp(`--workers ${bad}:`) }, bad);
  }
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('wicket run --workers 2: both workers serve the port, /metrics merges them, SIGTERM drains all', async (t) => {
  const dir = await tempDir(t);
  const backend = await startBackend('b');
  t.after(() => backend.close());
  const port = await freePort();
  await writeFile(join(dir, 'all.yaml'), [gatewayYaml({ listeners: [{ name: 'http', port }] }), serviceYaml(backend), routeYaml({ name: 'r', rules: [{ path: '/', backend: 'b' }] })].join('---\n'));
  const w = await WicketProcess.start(t, ['run', '-f', dir, '--default-address', '127.0.0.1', '--workers', '2', '--drain-timeout', '10s']);

  const status = await w.adminJson<{ items: { kind: string; status: { conditions?: { type: string; status: string }[] } }[] }>('/status');
  const gw = status.items.find((i) => i.kind === 'Gateway')!;
  assert.equal(gw.status.conditions?.find((c) => c.type === 'Programmed')?.status, 'True');

  // Fresh connections until both workers have served some (the kernel spreads them by hash).
  const perWorker = async (): Promise<Map<string, number>> => {
    const text = await (await fetch(w.admin('/metrics'))).text();
    return new Map([...text.matchAll(/^wicket_worker_http_requests_total\{worker="(\d+)"\} (\d+)$/gm)].map((m) => [m[1]!, Number(m[2])]));
  };
  let sent = 0;
  await eventually(async () => {
    for (let i = 0; i < 20; i++, sent++) assert.equal((await get(port, '/', 'any.example')).body.backend, 'b');
    const served = await perWorker();
    assert.equal(served.size, 2);
    for (const [k, n] of served) assert.ok(n > 0, `worker ${k} served nothing yet`);
  }, 'requests on both workers');

  // Worker metrics reach the primary within a push interval (250 ms here).
  let text = '';
  await eventually(async () => {
    text = await (await fetch(w.admin('/metrics'))).text();
    const merged = /^wicket_http_requests_total\{[^}]*code="2xx"\} (\d+)$/m.exec(text);
    assert.equal(Number(merged?.[1]), sent, 'the workers\' 2xx counters summed into one series');
  }, 'merged request count');
  // Two worker processes, neither of them the primary.
  const pids = [...text.matchAll(/^wicket_worker_up\{worker="\d+",pid="(\d+)"\} 1$/gm)].map((m) => Number(m[1]));
  assert.equal(new Set(pids).size, 2);
  assert.ok(!pids.includes(w.child.pid!));
  // The primary's own metrics are there too.
  assert.equal(text.match(/^# TYPE wicket_http_requests_total counter$/gm)?.length, 1, 'one family, not one per worker');
  assert.match(text, /^wicket_config_applied_total \d+$/m);
  // Access logs come from the workers and say which one.
  await eventually(async () => assert.ok(w.logs.some((l) => l.msg === 'access' && typeof l['worker'] === 'number' && pids.includes(Number(l['pid'])))), 'worker access logs');

  // SIGTERM with a request in flight: it completes, then every process is gone.
  const inflight = get(port, '/slow?ms=1000', 'any.example');
  for (let i = 0; i < 200 && !backend.seen.some((r) => r.path === '/slow'); i++) await sleep(10);
  w.child.kill('SIGTERM');
  const res = await inflight;
  assert.equal(res.status, 200);
  assert.equal(res.body.path, '/slow');
  assert.equal(await w.exited, 0);
  assert.deepEqual(pids.filter(alive), [], 'worker processes exited with the primary');
});

test('a primary killed outright takes its workers with it', async (t) => {
  const dir = await tempDir(t);
  const port = await freePort();
  await writeFile(join(dir, 'gw.yaml'), gatewayYaml({ listeners: [{ name: 'http', port }] }));
  const w = await WicketProcess.start(t, ['run', '-f', dir, '--default-address', '127.0.0.1', '--workers', '2']);
  const text = await (await fetch(w.admin('/metrics'))).text();
  const pids = [...text.matchAll(/^wicket_worker_up\{worker="\d+",pid="(\d+)"\} 1$/gm)].map((m) => Number(m[1]));
  assert.equal(pids.length, 2);
  await w.kill();
  await eventually(async () => assert.deepEqual(pids.filter(alive), []), 'workers gone after the primary died');
});

test('Ctrl-C reaches the whole process group: the workers leave the drain to the primary', async (t) => {
  const dir = await tempDir(t);
  const backend = await startBackend('b');
  t.after(() => backend.close());
  const port = await freePort();
  await writeFile(join(dir, 'all.yaml'), [gatewayYaml({ listeners: [{ name: 'http', port }] }), serviceYaml(backend), routeYaml({ name: 'r', rules: [{ path: '/', backend: 'b' }] })].join('---\n'));
  // A process group of its own, as a shell gives a foreground job.
  const child = spawn(process.execPath, [MAIN, 'run', '-f', dir, '--default-address', '127.0.0.1', '--workers', '2', '--admin-address', '127.0.0.1:0'], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const w = new WicketProcess(child);
  t.after(() => w.kill());
  w.adminAddress = String((await w.waitForLog((l) => l.msg === 'admin listening', 'admin listening'))['address']);
  // Ready: every worker serves the configuration (one worker would already answer on the port).
  await eventually(async () => assert.equal((await fetch(w.admin('/readyz'))).status, 200), 'ready');
  assert.equal((await get(port, '/', 'any.example')).status, 200);

  const inflight = get(port, '/slow?ms=1000', 'any.example');
  for (let i = 0; i < 200 && !backend.seen.some((r) => r.path === '/slow'); i++) await sleep(10);
  process.kill(-child.pid!, 'SIGINT');
  const res = await inflight;
  assert.equal(res.status, 200, 'the request in flight finished although its worker got SIGINT too');
  assert.equal(await w.exited, 0);
  const died = w.logs.filter((l) => l.msg.startsWith('data-plane worker exited'));
  assert.deepEqual(died, [], 'no worker died and was restarted during the drain');
});

test('workers get the primary\'s Node flags except inspector and test-runner ones', () => {
  assert.deepEqual(
    workerExecArgv(['--max-semi-space-size=4', '--inspect=9229', '--inspect-port', '9230', '--test-reporter=spec', '--test-name-pattern', 'HTTPS', '--cpu-prof', '--test', '--enable-source-maps', '--stack-size', '2000']),
    ['--max-semi-space-size=4', '--cpu-prof', '--enable-source-maps', '--stack-size', '2000'],
  );
});
