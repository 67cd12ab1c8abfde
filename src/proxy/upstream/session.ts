// Session persistence (GEP-1619): once a client has been served by an endpoint, later requests
// carrying the session token go to the same backend and endpoint while it is still there. The
// token travels in a cookie (type Cookie) or a header (type Header) named by the rule; it encodes
// the cluster, the endpoint and when the session began, so no state is kept in the proxy and
// every worker process agrees. An absolute timeout ends a session however it travels.
import type { RouteRule } from '../../ir/types.ts';
import { headerValue, type RequestHead } from '../request-head.ts';
import type { EndpointRuntime } from './cluster.ts';

/** What the rule's backends look like to the session logic. */
export interface SessionBackend {
  name: string;
  cluster: { find(label: string): EndpointRuntime | undefined } | null;
}

export interface Pinned<B> {
  backend: B;
  endpoint: EndpointRuntime;
}

type Spec = NonNullable<RouteRule['sessionPersistence']>;

export class SessionAffinity {
  private readonly type: 'Cookie' | 'Header';
  private readonly name: string;
  private readonly lowerName: string;
  private readonly timeoutMs: number;
  private readonly permanent: boolean;
  private readonly cookiePath: string;
  private readonly now: () => number;

  constructor(spec: Spec, cookiePath: string, now: () => number = Date.now) {
    this.type = spec.type;
    this.name = spec.name;
    this.lowerName = spec.name.toLowerCase();
    this.timeoutMs = spec.absoluteTimeoutMs ?? 0;
    this.permanent = spec.lifetime === 'Permanent';
    this.cookiePath = cookiePath;
    this.now = now;
  }

  private token(head: RequestHead): string | undefined {
    if (this.type === 'Header') return headerValue(head, this.lowerName);
    const cookies = headerValue(head, 'cookie');
    if (cookies === undefined) return undefined;
    for (const part of cookies.split(/;\s*|,\s*/)) {
      const eq = part.indexOf('=');
      if (eq > 0 && part.slice(0, eq).trim() === this.name) return part.slice(eq + 1).trim();
    }
    return undefined;
  }

  /** The backend and endpoint the request's session is pinned to, if any is still valid. */
  lookup<B extends SessionBackend>(head: RequestHead, backends: readonly B[]): Pinned<B> | null {
    const raw = this.token(head);
    if (raw === undefined || raw.length === 0) return null;
    let decoded: string;
    try {
      decoded = Buffer.from(raw, 'base64url').toString('utf8');
    } catch {
      return null;
    }
    const [cluster, label, started] = decoded.split('|');
    if (cluster === undefined || label === undefined || started === undefined) return null;
    if (this.timeoutMs > 0 && this.now() - Number(started) > this.timeoutMs) return null;
    for (const b of backends) {
      if (b.name !== cluster || b.cluster === null) continue;
      const endpoint = b.cluster.find(label);
      if (endpoint !== undefined) return { backend: b, endpoint };
    }
    return null;
  }

  /** Start a session on this response. */
  stamp(headers: string[], clusterName: string, endpoint: EndpointRuntime): void {
    const token = Buffer.from(`${clusterName}|${endpoint.label}|${this.now()}`, 'utf8').toString('base64url');
    if (this.type === 'Header') {
      headers.push(this.name, token);
      return;
    }
    let cookie = `${this.name}=${token}; Path=${this.cookiePath}; HttpOnly`;
    // Never Max-Age=0: that would delete the cookie at once.
    if (this.permanent && this.timeoutMs > 0) cookie += `; Max-Age=${Math.max(1, Math.ceil(this.timeoutMs / 1000))}`;
    headers.push('set-cookie', cookie);
  }
}

/** The cookie path for a rule: its path match when that is a path (prefix or exact), else `/`. */
export function cookiePathFor(rule: RouteRule): string {
  const p = rule.match.path;
  if (p.type === 'RegularExpression') return '/';
  return p.value.length > 1 && p.value.endsWith('/') ? p.value.slice(0, -1) : p.value;
}
