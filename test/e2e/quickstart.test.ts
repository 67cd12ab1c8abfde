// `npm start` on a fresh checkout: the quickstart starts its demo backends, serves
// examples/quickstart on 127.0.0.1:8080, prints where to send requests, and answers them.
// It needs fixed ports (8080, 9081, 9082); when something else holds one, the test is skipped with
// the reason rather than failing on someone else's process. The admin server gets a free port
// (`-- --admin-address 127.0.0.1:0`) since 9901 is also the default of every other wicket run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { QUICKSTART } from '../../src/cli/quickstart.ts';
import { eventually, get, REPO, sleep } from './harness.ts';

async function portFree(port: number): Promise<boolean> {
  const s = createServer();
  const ok = await new Promise<boolean>((resolve) => {
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => resolve(true));
  });
  if (ok) await new Promise<void>((r) => s.close(() => r()));
  return ok;
}

test('npm start runs the quickstart and answers the requests it prints', async (t) => {
  const ports = [QUICKSTART.gatewayPort, ...QUICKSTART.backends.map((b) => b.port)];
  const busy = [];
  for (const p of ports) if (!(await portFree(p))) busy.push(p);
  if (busy.length > 0) {
    t.skip(`ports ${busy.join(', ')} are in use on this machine`);
    return;
  }

  // detached: npm starts node through a shell; signalling the group reaches the real process.
  const child = spawn('npm', ['start', '--silent', '--', '--admin-address', '127.0.0.1:0'], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  t.after(async () => {
    if (child.exitCode === null) {
      process.kill(-child.pid!, 'SIGKILL');
      await exited;
    }
  });

  await eventually(async () => {
    if (child.exitCode !== null) throw new Error(`npm start exited ${child.exitCode}: ${stderr.slice(-2000)}`);
    assert.match(stdout, /Try:/);
  }, 'the quickstart banner', 30000);
  assert.match(stdout, /curl -H 'Host: demo\.example' http:\/\/127\.0\.0\.1:8080\//);

  const root = await get(8080, '/', 'demo.example');
  assert.equal(root.status, 200);
  assert.equal(root.body.backend, 'echo-v1');
  const v2 = await get(8080, '/v2/hello', 'demo.example');
  assert.equal(v2.body.backend, 'echo-v2');
  assert.equal(v2.body.path, '/v2/hello');
  assert.equal(v2.body.headers['x-routed-by'], 'wicket');
  assert.equal((await get(8080, '/', 'demo.example', { 'x-canary': 'yes' })).body.backend, 'echo-v2');
  const old = await get(8080, '/old', 'demo.example');
  assert.equal(old.status, 301);
  assert.match(String(old.headers.location), /\/v2$/);
  const seen = new Set<string>();
  for (let i = 0; i < 40 && seen.size < 2; i++) seen.add((await get(8080, '/split', 'demo.example')).body.backend);
  assert.deepEqual([...seen].sort(), ['echo-v1', 'echo-v2'], '/split reaches both backends');

  const admin = /Admin: http:\/\/([\d.]+:\d+)\//.exec(stdout)?.[1];
  assert.ok(admin, `admin address in the banner:\n${stdout}`);
  const ready = await fetch(`http://${admin}/readyz`);
  assert.equal(ready.status, 200);

  // The whole group gets SIGTERM (as from a terminal's Ctrl-C): npm itself dies of the signal, so
  // the check is that Wicket drained and said so.
  process.kill(-child.pid!, 'SIGTERM');
  await eventually(async () => assert.match(stderr, /"msg":"stopped"/), 'wicket stopped cleanly', 20000);
  for (let i = 0; i < 200 && child.exitCode === null && child.signalCode === null; i++) await sleep(50);
});
