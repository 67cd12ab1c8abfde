// Shared pieces of the data-plane tests: free ports, echo backends, hand-built IRs, a client.
import { createServer as createHttpServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Cluster, Filter, IR, IRListener, IRPort, RouteMatch, RouteRule, VirtualHost, WeightedBackend } from '../../src/ir/types.ts';
import { Registry } from '../../src/metrics/registry.ts';
import { createDataPlane, type DataPlaneOptions, type WicketDataPlane } from '../../src/proxy/index.ts';

/** A port free right now, below the ephemeral range (test/helpers/free-port.ts says why). */
export { freePort } from '../helpers/free-port.ts';

export interface EchoSeen {
  method: string;
  url: string;
  rawHeaders: string[];
  headers: IncomingMessage['headers'];
  bodyBytes: number;
}

export interface Backend {
  name: string;
  port: number;
  server: Server;
  seen: EchoSeen[];
  close(): Promise<void>;
}

/**
 * An echo backend: answers 200 with JSON describing the request it got (name, method, url,
 * headers), after reading the whole body. `handler` overrides the answer.
 */
export async function startBackend(
  name: string,
  handler?: (req: IncomingMessage, res: ServerResponse, seen: EchoSeen) => void,
): Promise<Backend> {
  const seen: EchoSeen[] = [];
  const server = createHttpServer((req, res) => {
    const entry: EchoSeen = { method: req.method!, url: req.url!, rawHeaders: req.rawHeaders, headers: req.headers, bodyBytes: 0 };
    seen.push(entry);
    if (handler) return handler(req, res, entry);
    req.on('data', (c: Buffer) => (entry.bodyBytes += c.length));
    req.on('end', () => {
      const body = JSON.stringify({ backend: name, method: req.method, url: req.url, headers: req.headers, bodyBytes: entry.bodyBytes });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    name,
    port,
    server,
    seen,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export function cluster(name: string, ...backends: { port: number; weight?: number }[]): Cluster {
  return {
    name,
    protocol: 'http1',
    endpoints: backends.map((b) => ({ address: '127.0.0.1', port: b.port, weight: b.weight ?? 1 })),
  };
}

export function match(path: RouteMatch['path'] = { type: 'PathPrefix', value: '/' }, extra: Partial<RouteMatch> = {}): RouteMatch {
  return { path, headers: [], queryParams: [], ...extra };
}

let ruleSeq = 0;
export function rule(m: RouteMatch, backends: WeightedBackend[] | string, filters: Filter[] = [], extra: Partial<RouteRule> = {}): RouteRule {
  const bs = typeof backends === 'string' ? [{ cluster: backends, weight: 1, filters: [] }] : backends;
  const n = ruleSeq++;
  return { id: `HTTPRoute/default/r${n}/0/0`, route: `HTTPRoute/default/r${n}`, match: m, filters, backends: bs, ...extra };
}

export function vhost(hostname: string, rules: RouteRule[]): VirtualHost {
  return { hostname, rules };
}

export function listener(name: string, vhosts: VirtualHost[], hostname?: string, extra: Partial<IRListener> = {}): IRListener {
  return { name: `default/gw/${name}`, gateway: 'default/gw', protocol: 'HTTP', ...(hostname ? { hostname } : {}), virtualHosts: vhosts, ...extra };
}

export function httpPort(port: number, listeners: IRListener[], address = '127.0.0.1'): IRPort {
  return { name: `${address}:${port}/http`, address, port, kind: 'http', listeners };
}

export function ir(ports: IRPort[], clusters: Cluster[]): IR {
  return { version: 1, ports, clusters: Object.fromEntries(clusters.map((c) => [c.name, c])) };
}

export function newDataPlane(options: DataPlaneOptions = {}): WicketDataPlane {
  return createDataPlane({ registry: new Registry(), accessLog: false, ...options });
}

export interface Reply {
  status: number;
  headers: IncomingMessage['headers'];
  rawHeaders: string[];
  body: string;
}

/** One request with node:http (no keep-alive unless an agent is given); never throws on status. */
export function get(
  port: number,
  path: string,
  opts: { method?: string; headers?: Record<string, string | string[]>; body?: string | Buffer; host?: string; agent?: import('node:http').Agent } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path,
        method: opts.method ?? 'GET',
        headers: { host: opts.host ?? 'example.com', ...opts.headers },
        agent: opts.agent ?? false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode!, headers: res.headers, rawHeaders: res.rawHeaders, body: Buffer.concat(chunks).toString() }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

export function json(r: Reply): { backend: string; method: string; url: string; headers: Record<string, string>; bodyBytes: number } {
  return JSON.parse(r.body);
}
