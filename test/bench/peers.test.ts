// The bench's peer generator and report parsing: the nginx and HAProxy configs generated from
// Gateway API objects route what the objects say (and, where the peers are installed, the peers
// themselves accept the configs), and wrk's report is read correctly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { customRoute, makeRouteSet, withService } from '../../bench/peers/routes.ts';
import { peerTable } from '../../bench/peers/table.ts';
import { nginxConfig } from '../../bench/peers/nginx.ts';
import { haproxyConfig } from '../../bench/peers/haproxy.ts';
import { parseWrk, rotateScript } from '../../bench/lib/wrk.ts';
import { median, percentile } from '../../bench/lib/stats.ts';

const backend = { address: '127.0.0.1', port: 9999 };

test('peerTable resolves each route to its Service endpoints through EndpointSlices', () => {
  let set = makeRouteSet(12, { listenPort: 8080, backend, services: 3 });
  set = withService(set, 'sink', '127.0.0.2', 7777);
  set = { ...set, routes: [...set.routes, customRoute('upload', 'up.example', '/up', 'sink')] };
  const t = peerTable(set);
  assert.equal(t.routes.length, 13);
  const up = t.routes.find((r) => r.host === 'up.example')!;
  assert.deepEqual(t.upstreams.find((u) => u.id === up.upstream)!.endpoints, [{ address: '127.0.0.2', port: 7777 }]);
  const r11 = t.routes.find((r) => r.path === '/r11')!;
  assert.equal(r11.host, 'h1.bench.example');
  assert.equal(r11.upstream, 'bench_svc_2_80');
});

test('peerTable names the object and field when a route cannot be generated', () => {
  const set = makeRouteSet(1, { listenPort: 8080, backend });
  set.routes[0]!.spec.hostnames = [];
  assert.throws(() => peerTable(set), /HTTPRoute bench\/route-0: spec\.hostnames/);
  const set2 = makeRouteSet(1, { listenPort: 8080, backend });
  set2.routes[0]!.spec.rules![0]!.backendRefs![0]!.name = 'missing';
  assert.throws(() => peerTable(set2), /backendRefs\[0\]: Service bench\/missing has no ready endpoints/);
});

test('nginx config: a server per hostname, element-wise prefix locations, keep-alive upstreams', () => {
  const conf = nginxConfig(peerTable(makeRouteSet(20, { listenPort: 8080, backend, services: 2 })), { workDir: '/w', listenPort: 8080, workers: 1 });
  assert.match(conf, /server_name h1\.bench\.example;\n(\s+location .*\n)+/);
  assert.match(conf, /location = \/r13 \{ proxy_pass http:\/\/bench_svc_1_80; \}/);
  assert.match(conf, /location \/r13\/ \{ proxy_pass http:\/\/bench_svc_1_80; \}/);
  assert.match(conf, /upstream bench_svc_0_80 \{\n\s+server 127\.0\.0\.1:9999;\n\s+keepalive \d+;/);
  assert.match(conf, /listen 127\.0\.0\.1:8080 default_server[^;]*; server_name _; return 404;/);
});

test('HAProxy maps: exact entries, prefixes longest first so map_beg picks the most specific', () => {
  let set = makeRouteSet(1, { listenPort: 8080, backend });
  set = { ...set, routes: [...set.routes, customRoute('deep', 'h0.bench.example', '/r0/deeper', 'svc-0')] };
  const f = haproxyConfig(peerTable(set), { workDir: '/w', listenPort: 8080, threads: 1 });
  const prefixes = f.prefixMap.trim().split('\n').map((l) => l.split(' ')[0]);
  assert.deepEqual(prefixes, ['h0.bench.example/r0/deeper/', 'h0.bench.example/r0/']);
  assert.match(f.exactMap, /^h0\.bench\.example\/r0 bench_svc_0_80$/m);
  assert.match(f.config, /bind 127\.0\.0\.1:8080/);
  assert.match(f.config, /backend bench_svc_0_80\n\s+server s0 127\.0\.0\.1:9999/);
});

test('the peers accept the generated configs (where nginx and HAProxy are installed)', (t) => {
  if (!existsSync('/usr/sbin/nginx') || !existsSync('/usr/sbin/haproxy')) return t.skip('nginx or haproxy not installed (npm run bench installs them)');
  const dir = mkdtempSync(join(tmpdir(), 'bench-peers-'));
  try {
    mkdirSync(join(dir, 'tmp'));
    const table = peerTable(makeRouteSet(50, { listenPort: 8080, backend, services: 5 }));
    writeFileSync(join(dir, 'nginx.conf'), nginxConfig(table, { workDir: dir, listenPort: 8080, workers: 1 }));
    execFileSync('/usr/sbin/nginx', ['-t', '-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: 'pipe' });
    const f = haproxyConfig(table, { workDir: dir, listenPort: 8080, threads: 1 });
    writeFileSync(join(dir, 'haproxy.cfg'), f.config);
    writeFileSync(join(dir, 'exact.map'), f.exactMap);
    writeFileSync(join(dir, 'prefix.map'), f.prefixMap);
    execFileSync('/usr/sbin/haproxy', ['-c', '-q', '-f', join(dir, 'haproxy.cfg')], { stdio: 'pipe' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('parseWrk reads rate, percentiles in any unit, and every kind of failure', () => {
  const out = `Running 2s test @ http://127.0.0.1:8080/
  1 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     2.10ms    1.00ms  40.00ms   90.00%
  Latency Distribution
     50%  850.00us
     75%    1.20ms
     90%    2.00ms
     99%    1.05s
  40000 requests in 2.00s, 5.50MB read
  Socket errors: connect 1, read 2, write 3, timeout 4
  Non-2xx or 3xx responses: 5
Requests/sec:  20000.50
Transfer/sec:      2.75MB
`;
  const r = parseWrk(out);
  assert.equal(r.rps, 20000.5);
  assert.equal(r.p50Ms, 0.85);
  assert.equal(r.p99Ms, 1050);
  assert.equal(r.requests, 40000);
  assert.equal(r.readBytesPerSec, 2.75 * 1024 * 1024);
  assert.deepEqual(r.errors, { connect: 1, read: 2, write: 3, timeout: 4, non2xx: 5 });
  assert.equal(r.failed, 15);
  assert.throws(() => parseWrk('garbage'), /no Requests\/sec/);
});

test('rotateScript pre-formats one request per target, with a body when asked', () => {
  const s = rotateScript([{ host: 'a.example', path: '/x' }, { host: 'b.example', path: '/y' }], 'POST', 10);
  assert.match(s, /wrk\.format\("POST", "\/x", \{Host = "a\.example"\}, body\)/);
  assert.match(s, /wrk\.format\("POST", "\/y", \{Host = "b\.example"\}, body\)/);
  assert.match(s, /string\.rep\("x", 10\)/);
});

test('percentile and median', () => {
  assert.equal(percentile([5, 1, 3, 2, 4], 50), 3);
  assert.equal(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 99), 10);
  assert.equal(percentile([], 50), null);
  assert.equal(median([4, 1, null, 3, 2]), 2.5);
  assert.equal(median([null]), null);
});
