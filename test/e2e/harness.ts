// End-to-end helpers: spawn the real `wicket` process (src/cli/main.ts on this Node), real backend
// HTTP servers on 127.0.0.1, free ports from the OS, and manifests that wire them together.
// Everything started here is stopped by the caller's t.after hooks.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const MAIN = join(REPO, 'src/cli/main.ts');

export { freePort } from '../helpers/free-port.ts';

export async function tempDir(t: { after(fn: () => unknown): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'wicket-e2e-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

export interface Backend {
  name: string;
  port: number;
  /** Requests seen, newest last. */
  seen: { method: string; path: string; headers: IncomingHttpHeaders }[];
  /** Paths under /slow/ wait this long before answering (drain tests). */
  close(): Promise<void>;
}

/** An echo backend: answers JSON {backend, method, path, headers}; /slow?ms=N waits N ms first. */
export async function startBackend(name: string): Promise<Backend> {
  const seen: Backend['seen'] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    seen.push({ method: req.method ?? '', path: url.pathname, headers: req.headers });
    const answer = () => {
      const body = JSON.stringify({ backend: name, method: req.method, path: url.pathname, headers: req.headers });
      res.writeHead(200, { 'content-type': 'application/json', 'x-backend': name });
      res.end(body);
    };
    req.resume();
    const wait = Number(url.searchParams.get('ms') ?? 0);
    if (url.pathname.startsWith('/slow') && wait > 0) setTimeout(answer, wait);
    else answer();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  return {
    name,
    port,
    seen,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

export type LogLine = Record<string, unknown> & { msg: string; level: string };

export class WicketProcess {
  readonly child: ChildProcess;
  readonly logs: LogLine[] = [];
  stdout = '';
  stderr = '';
  adminAddress = '';
  readonly exited: Promise<number | null>;

  constructor(child: ChildProcess) {
    this.child = child;
    let buf = '';
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr += chunk;
      buf += chunk;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          this.logs.push(JSON.parse(line) as LogLine);
        } catch {
          // not a log line (e.g. a usage message)
        }
      }
    });
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (this.stdout += chunk));
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  }

  /**
   * Starts `wicket <args>` with a free admin port and waits for the admin server to listen.
   * Registers its shutdown with `t.after`.
   */
  static async start(
    t: { after(fn: () => unknown): void },
    args: string[],
    opts: { waitReady?: boolean; adminPort?: number } = {},
  ): Promise<WicketProcess> {
    // With a known admin port the "admin listening" line is not needed (quiet log levels drop it).
    const admin = `127.0.0.1:${opts.adminPort ?? 0}`;
    const child = spawn(process.execPath, [MAIN, ...args, '--admin-address', admin], {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const p = new WicketProcess(child);
    t.after(() => p.kill());
    if (opts.adminPort) p.adminAddress = admin;
    else p.adminAddress = String((await p.waitForLog((l) => l.msg === 'admin listening', 'admin listening'))['address']);
    if (opts.waitReady !== false) {
      await eventually(async () => {
        const res = await fetch(p.admin('/readyz'));
        if (res.status !== 200) throw new Error(`readyz ${res.status}`);
      }, 'wicket ready', 30000).catch((err: Error) => {
        throw new Error(`${err.message}\nwicket stderr:\n${p.stderr.slice(-4000)}`);
      });
    }
    return p;
  }

  admin(path: string): string {
    return `http://${this.adminAddress}${path}`;
  }

  async adminJson<T = any>(path: string): Promise<T> {
    const res = await fetch(this.admin(path));
    return (await res.json()) as T;
  }

  async waitForLog(pred: (l: LogLine) => boolean, what: string, timeoutMs = 30000): Promise<LogLine> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const hit = this.logs.find(pred);
      if (hit) return hit;
      if (this.child.exitCode !== null) break;
      await sleep(20);
    }
    throw new Error(`no log line for ${what}; exit=${this.child.exitCode}; stderr:\n${this.stderr.slice(-4000)}`);
  }

  /** Sends a signal and waits for the exit code. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }

  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Retries `fn` until it stops throwing (bounded by `timeoutMs`), then returns its value. */
export async function eventually<T>(fn: () => Promise<T>, what: string, timeoutMs = 15000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      return await fn();
    } catch (err) {
      last = err;
      await sleep(25);
    }
  }
  throw new Error(`timed out waiting for ${what}: ${(last as Error)?.message ?? last}`);
}

/**
 * A request through the gateway with a Host header (node:http: fetch does not let a caller set
 * Host); returns status, headers and the JSON body when there is one.
 */
export function get(port: number, path: string, host: string, headers: Record<string, string> = {}, method = 'GET') {
  return new Promise<{ status: number; headers: IncomingHttpHeaders; body: any }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers: { host, ...headers }, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        let body: any = text;
        try {
          body = JSON.parse(text);
        } catch {
          // not JSON
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

// ---- manifests -------------------------------------------------------------------------------

export function gatewayYaml(opts: { name?: string; listeners: { name: string; port: number; hostname?: string }[] }): string {
  const listeners = opts.listeners
    .map((l) => `  - name: ${l.name}\n    protocol: HTTP\n    port: ${l.port}\n${l.hostname ? `    hostname: ${l.hostname}\n` : ''}`)
    .join('');
  return `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata:
  name: wicket
spec:
  controllerName: wicket.dev/gateway-controller
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: ${opts.name ?? 'gw'}
  namespace: default
spec:
  gatewayClassName: wicket
  listeners:
${listeners}`;
}

/** A Service named after the backend, and its EndpointSlice pointing at the backend's port. */
export function serviceYaml(b: { name: string; port: number }): string {
  return `apiVersion: v1
kind: Service
metadata:
  name: ${b.name}
  namespace: default
spec:
  ports:
  - name: http
    port: 80
    targetPort: ${b.port}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: ${b.name}
  namespace: default
  labels:
    kubernetes.io/service-name: ${b.name}
addressType: IPv4
endpoints:
- addresses: ["127.0.0.1"]
  conditions: { ready: true }
ports:
- name: http
  port: ${b.port}
  protocol: TCP
`;
}

export function routeYaml(opts: { name: string; hostnames?: string[]; parent?: string; sectionName?: string; rules: { path: string; backend: string; exact?: boolean }[] }): string {
  const rules = opts.rules
    .map(
      (r) => `  - matches:
    - path: { type: ${r.exact ? 'Exact' : 'PathPrefix'}, value: ${r.path} }
    backendRefs:
    - { name: ${r.backend}, port: 80 }
`,
    )
    .join('');
  return `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: ${opts.name}
  namespace: default
spec:
  parentRefs:
  - name: ${opts.parent ?? 'gw'}${opts.sectionName ? `\n    sectionName: ${opts.sectionName}` : ''}
${opts.hostnames ? `  hostnames: [${opts.hostnames.map((h) => JSON.stringify(h)).join(', ')}]\n` : ''}  rules:
${rules}`;
}
