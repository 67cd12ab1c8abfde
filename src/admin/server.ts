// The admin HTTP server (DESIGN.md, external contract):
//   GET /healthz  200 while the process runs
//   GET /readyz   200 once the first configuration is serving, 503 before
//   GET /metrics  Prometheus text
//   GET /config   the IR in force, JSON
//   GET /status   {"items":[…]}: one entry per Gateway API object read, shaped like the object
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from '../node-http.ts';
import type { AddressInfo } from 'node:net';
import type { IR } from '../ir/types.ts';
import type { ObjectStatus } from '../translate/api.ts';
import { CONTENT_TYPE, type Registry } from '../metrics/registry.ts';
import { parseHostPort } from './address.ts';

export interface AdminSource {
  readonly ready: boolean;
  config(): IR | undefined;
  statuses(): ObjectStatus[];
}

export interface AdminServer {
  /** The bound address, `host:port` (useful with port 0). */
  readonly address: string;
  close(): Promise<void>;
}

export async function startAdminServer(address: string, source: AdminSource, registry: Registry): Promise<AdminServer> {
  const { host, port } = parseHostPort(address, '--admin-address');
  const server = createServer((req, res) => handle(req, res, source, registry));
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;
  const shown = bound.family === 'IPv6' ? `[${bound.address}]:${bound.port}` : `${bound.address}:${bound.port}`;
  return { address: shown, close: () => closeServer(server) };
}

function handle(req: IncomingMessage, res: ServerResponse, source: AdminSource, registry: Registry): void {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    return send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n', { allow: 'GET, HEAD' });
  }
  switch (path) {
    case '/healthz':
      return send(res, 200, 'text/plain; charset=utf-8', 'ok\n');
    case '/readyz':
      return source.ready
        ? send(res, 200, 'text/plain; charset=utf-8', 'ready\n')
        : send(res, 503, 'text/plain; charset=utf-8', 'not ready: no configuration serving yet\n');
    case '/metrics':
      return send(res, 200, CONTENT_TYPE, registry.expose());
    case '/config': {
      const ir = source.config();
      return ir ? json(res, 200, ir) : json(res, 503, { error: 'no configuration serving yet' });
    }
    case '/status':
      return json(res, 200, { items: source.statuses() });
    default:
      return send(res, 404, 'text/plain; charset=utf-8', 'not found: try /healthz /readyz /metrics /config /status\n');
  }
}

function json(res: ServerResponse, code: number, body: unknown): void {
  send(res, code, 'application/json', JSON.stringify(body, null, 2) + '\n');
}

function send(res: ServerResponse, code: number, type: string, body: string, extra: Record<string, string> = {}): void {
  res.writeHead(code, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store', ...extra });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}
