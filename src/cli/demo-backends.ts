// The quickstart's demo backends: small HTTP servers on 127.0.0.1 that answer every request with
// JSON saying which backend answered and what it received (method, path, query, headers), so a
// user can see routing, header filters and traffic splitting at work with nothing but curl.
import type { Server } from 'node:http';
import { createServer } from '../node-http.ts';
import type { AddressInfo } from 'node:net';
import { ErrorCodes, WicketError } from '../errors.ts';

export interface DemoBackend {
  name: string;
  port: number;
}

export interface RunningBackends {
  addresses: { name: string; address: string }[];
  close(): Promise<void>;
}

export async function startDemoBackends(backends: DemoBackend[], host = '127.0.0.1'): Promise<RunningBackends> {
  const servers: Server[] = [];
  const addresses: RunningBackends['addresses'] = [];
  const close = () => Promise.all(servers.map((s) => new Promise<void>((r) => { s.close(() => r()); s.closeAllConnections(); }))).then(() => {});
  for (const b of backends) {
    const server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://backend');
      const body = JSON.stringify(
        { backend: b.name, method: req.method, path: url.pathname, query: url.search, headers: req.headers },
        null,
        2,
      ) + '\n';
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-backend': b.name });
        res.end(body);
      });
    });
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(b.port, host, () => resolve());
      });
    } catch (err) {
      await close();
      const code = (err as NodeJS.ErrnoException).code;
      throw new WicketError(
        ErrorCodes.BIND,
        `cannot start demo backend ${b.name} on ${host}:${b.port} (${code ?? (err as Error).message}); ` +
          `the quickstart manifests point at this port — stop whatever is using it and try again`,
        { cause: err },
      );
    }
    servers.push(server);
    addresses.push({ name: b.name, address: `${host}:${(server.address() as AddressInfo).port}` });
  }
  return { addresses, close };
}

/** Fails with a clear message when a port the quickstart needs is taken. */
export async function ensurePortFree(host: string, port: number, what: string): Promise<void> {
  const server = createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new WicketError(ErrorCodes.BIND, `${what} needs ${host}:${port}, which is not available (${code}); stop whatever is using it and try again`, { cause: err });
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
}
