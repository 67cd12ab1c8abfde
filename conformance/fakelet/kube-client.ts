// A deliberately tiny Kubernetes REST client: JSON requests and line-delimited
// watch streams over HTTPS with a client certificate. The fakelet needs nothing more,
// and owning it keeps the harness independent of Wicket's own client code.
import https from 'node:https';
import type { ClusterAccess } from './kubeconfig.ts';

export class KubeError extends Error {
  status: number;
  body: unknown;
  constructor(status: number, method: string, path: string, body: unknown) {
    const msg = (body as { message?: string } | undefined)?.message ?? '';
    super(`${method} ${path}: HTTP ${status} ${msg}`);
    this.status = status;
    this.body = body;
  }
}

export type Obj = Record<string, any>;

export interface WatchEvent { type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR'; object: Obj }

export class KubeClient {
  private agent: https.Agent;
  private url: URL;

  constructor(access: ClusterAccess) {
    this.url = new URL(access.server);
    this.agent = new https.Agent({ ca: access.ca, cert: access.cert, key: access.key, keepAlive: true, maxSockets: 16 });
  }

  request(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<Obj> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const req = https.request({
        host: this.url.hostname, port: this.url.port, path, method, agent: this.agent,
        headers: { accept: 'application/json, */*', ...(payload ? { 'content-type': contentType, 'content-length': payload.length } : {}) },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try { parsed = text ? JSON.parse(text) : {}; } catch { /* keep text */ }
          if ((res.statusCode ?? 0) >= 300) reject(new KubeError(res.statusCode ?? 0, method, path, parsed));
          else resolve(parsed as Obj);
        });
        res.on('error', reject);
      });
      req.setTimeout(30_000, () => req.destroy(new Error(`${method} ${path}: timeout`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  get(path: string) { return this.request('GET', path); }
  post(path: string, body: unknown) { return this.request('POST', path, body); }
  put(path: string, body: unknown) { return this.request('PUT', path, body); }
  mergePatch(path: string, body: unknown) { return this.request('PATCH', path, body, 'application/merge-patch+json'); }
  delete(path: string, body?: unknown) { return this.request('DELETE', path, body); }

  /** Returns null on 404 instead of throwing. */
  async getOrNull(path: string): Promise<Obj | null> {
    try { return await this.get(path); } catch (e) {
      if (e instanceof KubeError && e.status === 404) return null;
      throw e;
    }
  }

  /**
   * Streams watch events until the server closes the stream or abort() is called.
   * Resolves when the stream ends; the caller re-lists and re-watches.
   */
  watch(path: string, onEvent: (e: WatchEvent) => void, signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const req = https.request({
        host: this.url.hostname, port: this.url.port, path, method: 'GET', agent: false,
        ca: (this.agent.options as https.AgentOptions).ca, cert: (this.agent.options as https.AgentOptions).cert,
        key: (this.agent.options as https.AgentOptions).key, signal,
        headers: { accept: 'application/json' },
      }, (res) => {
        if ((res.statusCode ?? 0) >= 300) {
          res.resume();
          reject(new KubeError(res.statusCode ?? 0, 'WATCH', path, undefined));
          return;
        }
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buf += chunk;
          let nl: number;
          while ((nl = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, nl).trim();
            buf = buf.slice(nl + 1);
            if (line) onEvent(JSON.parse(line) as WatchEvent);
          }
        });
        res.on('end', () => resolve());
        res.on('error', (e) => (signal.aborted ? resolve() : reject(e)));
      });
      req.on('error', (e) => (signal.aborted ? resolve() : reject(e)));
      req.end();
    });
  }
}
