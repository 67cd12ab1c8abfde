// A quick local load probe for the HTTP/2 paths (not a test):
//   npx node test/proxy/http2/h2-load-probe.ts [seconds] [concurrency]
// Backends (HTTP/1.1 and h2c) and the load generator run in child processes, the data plane here;
// for each client → backend protocol pair it prints requests/s and the CPU the proxy process spent
// per request (the most stable figure on a shared machine). HTTP/2 clients use one session with
// `concurrency` streams in flight; HTTP/1.1 clients `concurrency` keep-alive connections.
import { fork } from 'node:child_process';
import { createServer } from 'node:http';
import { connect, createServer as createH2Server } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';
import { Registry } from '../../../src/metrics/registry.ts';
import { createDataPlane } from '../../../src/proxy/index.ts';
import type { IR } from '../../../src/ir/types.ts';

const role = process.argv[2];
const body = Buffer.from('hello world\n');

if (role === '--backends') {
  const h1 = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length });
    res.end(body);
  });
  const h2 = createH2Server((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length });
    res.end(body);
  });
  h1.listen(0, '127.0.0.1', () =>
    h2.listen(0, '127.0.0.1', () => process.send!({ h1: (h1.address() as AddressInfo).port, h2: (h2.address() as AddressInfo).port })),
  );
  process.on('message', () => process.exit(0));
} else if (role === '--load') {
  const [proto, port, seconds, conc] = [process.argv[3]!, ...process.argv.slice(4).map(Number)] as [string, number, number, number];
  const end = Date.now() + seconds * 1000;
  let done = 0;
  let failed = 0;
  if (proto === 'h2') {
    const s = connect(`http://127.0.0.1:${port}`);
    const one = (): Promise<void> =>
      new Promise((resolve) => {
        const q = s.request({ ':path': '/', ':authority': 'bench.example.com' });
        let status = 0;
        q.on('response', (h) => (status = Number(h[':status'])));
        q.on('data', () => {});
        q.on('end', () => {
          if (status === 200) done++;
          else failed++;
          resolve();
        });
        q.on('error', () => {
          failed++;
          resolve();
        });
      });
    await Promise.all(Array.from({ length: conc }, async () => { while (Date.now() < end) await one(); }));
    s.close();
  } else {
    const pool = new Pool(`http://127.0.0.1:${port}`, { connections: conc });
    await Promise.all(
      Array.from({ length: conc }, async () => {
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
      }),
    );
    await pool.close();
  }
  process.send!({ rps: done / seconds, failed });
} else {
  const seconds = Number(process.argv[2] ?? 4);
  const conc = Number(process.argv[3] ?? 16);
  const self = new URL(import.meta.url).pathname;
  const backends = fork(self, ['--backends'], { execArgv: [] });
  const ports = await new Promise<{ h1: number; h2: number }>((r) => backends.once('message', (m) => r(m as { h1: number; h2: number })));
  const dp = createDataPlane({ registry: new Registry(), accessLog: false });
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  const rule = (id: string, prefix: string, cluster: string) => ({
    id,
    route: id,
    match: { path: { type: 'PathPrefix' as const, value: prefix }, headers: [], queryParams: [] },
    filters: [],
    backends: [{ cluster, weight: 1, filters: [] }],
  });
  const ir = (cluster: 'h1' | 'h2'): IR => ({
    version: 1,
    ports: [
      {
        name: 'bench',
        address: '127.0.0.1',
        port,
        kind: 'http',
        listeners: [{ name: 'bench/gw/http', gateway: 'bench/gw', protocol: 'HTTP', virtualHosts: [{ hostname: '*', rules: [rule('bench', '/', cluster)] }] }],
      },
    ],
    clusters: {
      h1: { name: 'h1', protocol: 'http1', endpoints: [{ address: '127.0.0.1', port: ports.h1, weight: 1 }] },
      h2: { name: 'h2', protocol: 'h2c', endpoints: [{ address: '127.0.0.1', port: ports.h2, weight: 1 }] },
    },
  });
  const run = (proto: string, p: number) =>
    new Promise<{ rps: number; failed: number }>((resolve) => {
      const child = fork(self, ['--load', proto, String(p), String(seconds), String(conc)], { execArgv: [] });
      child.once('message', (m) => {
        resolve(m as { rps: number; failed: number });
        child.kill();
      });
    });
  const rows: Record<string, unknown>[] = [];
  for (const [client, backend] of [['h1', 'h1'], ['h2', 'h1'], ['h1', 'h2'], ['h2', 'h2']] as const) {
    await dp.apply(ir(backend));
    // Direct only where the client can speak to that backend itself.
    const direct = client === backend ? await run(client, backend === 'h1' ? ports.h1 : ports.h2) : null;
    const cpu0 = process.cpuUsage();
    const proxied = await run(client, port);
    const cpu = process.cpuUsage(cpu0);
    rows.push({
      path: `${client} → proxy → ${backend}`,
      direct_rps: direct === null ? null : Math.round(direct.rps),
      proxy_rps: Math.round(proxied.rps),
      proxy_cpu_us_per_req: Math.round((cpu.user + cpu.system) / Math.max(1, proxied.rps * seconds)),
      failed: (direct?.failed ?? 0) + proxied.failed,
    });
  }
  for (const r of rows) console.log(JSON.stringify(r));
  await dp.drain(1000);
  backends.send('stop');
}
