// A quick local load probe (not a test): `npx node test/proxy/load-probe.ts [seconds] [connections]`.
// Starts a backend in a child process, the data plane here, and a load generator in a second
// child process (undici Pool, keep-alive, small responses); prints requests/s direct and through
// the proxy, and their ratio. Bounded in time; every process it starts is stopped at the end.
import { fork } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';
import { Registry } from '../../src/metrics/registry.ts';
import { createDataPlane } from '../../src/proxy/index.ts';

const role = process.argv[2];

if (role === '--backend') {
  const body = Buffer.from('hello world\n');
  const srv = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length });
    res.end(body);
  });
  srv.listen(0, '127.0.0.1', () => process.send!((srv.address() as AddressInfo).port));
  process.on('message', () => srv.close(() => process.exit(0)));
} else if (role === '--load') {
  const [port, seconds, conns] = process.argv.slice(3).map(Number) as [number, number, number];
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: conns, pipelining: 1 });
  let done = 0;
  let failed = 0;
  const end = Date.now() + seconds * 1000;
  const worker = async (): Promise<void> => {
    while (Date.now() < end) {
      try {
        const r = await pool.request({ path: '/', method: 'GET', headers: { host: 'bench.example.com' } });
        await r.body.dump();
        if (r.statusCode === 200) done++;
        else failed++;
      } catch {
        failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: conns }, worker));
  await pool.close();
  process.send!({ rps: done / seconds, failed });
} else {
  const seconds = Number(process.argv[2] ?? 5);
  const conns = Number(process.argv[3] ?? 16);
  const self = new URL(import.meta.url).pathname;
  const backend = fork(self, ['--backend'], { execArgv: [] });
  const backendPort = await new Promise<number>((r) => backend.once('message', (m) => r(m as number)));
  const dp = createDataPlane({ registry: new Registry(), accessLog: false });
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  await dp.apply({
    version: 1,
    ports: [
      {
        name: 'bench',
        address: '127.0.0.1',
        port,
        kind: 'http',
        listeners: [
          {
            name: 'bench/gw/http',
            gateway: 'bench/gw',
            protocol: 'HTTP',
            virtualHosts: [
              {
                hostname: '*',
                rules: [
                  {
                    id: 'bench',
                    route: 'bench',
                    match: { path: { type: 'PathPrefix', value: '/' }, headers: [], queryParams: [] },
                    filters: [],
                    backends: [{ cluster: 'b', weight: 1, filters: [] }],
                  },
                ],
              },
            ],
          },
        ],
      },
    ],
    clusters: { b: { name: 'b', protocol: 'http1', endpoints: [{ address: '127.0.0.1', port: backendPort, weight: 1 }] } },
  });
  const run = (p: number) =>
    new Promise<{ rps: number; failed: number }>((resolve) => {
      const child = fork(self, ['--load', String(p), String(seconds), String(conns)], { execArgv: [] });
      child.once('message', (m) => {
        resolve(m as { rps: number; failed: number });
        child.kill();
      });
    });
  const direct = await run(backendPort);
  const cpu0 = process.cpuUsage();
  const proxied = await run(port);
  const cpu = process.cpuUsage(cpu0);
  // CPU the proxy process spent per proxied request: robust to a busy machine, unlike req/s.
  const cpuPerRequestUs = Math.round((cpu.user + cpu.system) / (proxied.rps * seconds));
  console.log(
    JSON.stringify({ seconds, conns, direct_rps: Math.round(direct.rps), proxy_rps: Math.round(proxied.rps), ratio: +(proxied.rps / direct.rps).toFixed(2), proxy_cpu_us_per_req: cpuPerRequestUs, failed: direct.failed + proxied.failed }),
  );
  await dp.drain(1000);
  backend.send('stop');
}
