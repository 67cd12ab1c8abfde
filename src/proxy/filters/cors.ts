// CORS: preflight requests (OPTIONS with Origin and Access-Control-Request-Method) are answered by
// the gateway; actual cross-origin requests get Access-Control-Allow-Origin (and friends) added to
// the backend's response when their Origin is allowed. Origins may use `*` as a greedy match to
// the left of the host (`https://*.bar.com` matches `https://a.b.bar.com`); `*` alone is any.
import type { Filter } from '../../ir/types.ts';
import { headerValue, type RequestHead } from '../request-head.ts';
import { removeHeader } from '../headers.ts';
import { fullMatchRegExp } from '../router/rule-match.ts';
import type { LocalResponse, Responder, ResponseStep } from './types.ts';

type CorsFilter = Extract<Filter, { type: 'CORS' }>;

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** `scheme://host[:port]`, port made explicit (80/443 when absent) so equal origins compare equal. */
function canonicalOrigin(o: string): string {
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/([^/:]+|\[[^\]]+\])(?::(\d+))?\/?$/.exec(o);
  if (m === null) return o.toLowerCase();
  const scheme = m[1]!.toLowerCase();
  const port = m[3] ?? (scheme === 'https' ? '443' : scheme === 'http' ? '80' : '');
  return `${scheme}://${m[2]!.toLowerCase()}${port ? `:${port}` : ''}`;
}

export class Cors {
  private readonly anyOrigin: boolean;
  private readonly origins: RegExp[];
  private readonly credentials: boolean;
  private readonly methods: string[];
  private readonly anyMethod: boolean;
  private readonly headers: string[];
  private readonly anyHeader: boolean;
  private readonly expose: string;
  private readonly maxAge: string;
  readonly responder: Responder;
  readonly response: ResponseStep;

  constructor(f: CorsFilter) {
    this.anyOrigin = f.allowOrigins.includes('*');
    this.origins = f.allowOrigins
      .filter((o) => o !== '*')
      .map((o) => {
        const canon = canonicalOrigin(o);
        return fullMatchRegExp(canon.split('*').map(escapeRe).join('.*'), `CORS allowOrigin ${o}`);
      });
    this.credentials = f.allowCredentials;
    this.anyMethod = f.allowMethods.includes('*');
    this.methods = f.allowMethods;
    this.anyHeader = f.allowHeaders.includes('*');
    this.headers = f.allowHeaders;
    this.expose = f.exposeHeaders.includes('*') && f.allowCredentials ? '' : f.exposeHeaders.join(', ');
    this.maxAge = String(f.maxAge > 0 ? f.maxAge : 5);
    this.responder = { respond: (head) => this.preflight(head) };
    this.response = { onResponse: (head, _status, headers) => this.actual(head, headers) };
  }

  private allowed(origin: string | undefined): origin is string {
    if (origin === undefined || origin === '') return false;
    if (this.anyOrigin) return true;
    const canon = canonicalOrigin(origin);
    return this.origins.some((re) => re.test(canon));
  }

  private originHeaders(origin: string, out: string[]): void {
    out.push('access-control-allow-origin', this.anyOrigin && !this.credentials ? '*' : origin);
    if (this.credentials) out.push('access-control-allow-credentials', 'true');
    if (!this.anyOrigin || this.credentials) out.push('vary', 'Origin');
  }

  preflight(head: RequestHead): LocalResponse | null {
    if (head.method !== 'OPTIONS') return null;
    const origin = headerValue(head, 'origin');
    const reqMethod = headerValue(head, 'access-control-request-method');
    if (origin === undefined || reqMethod === undefined) return null;
    const out: string[] = [];
    if (!this.allowed(origin)) return { status: 204, headers: out, body: '' };
    this.originHeaders(origin, out);
    if (this.methods.length > 0) {
      out.push('access-control-allow-methods', this.anyMethod ? (this.credentials ? reqMethod : '*') : this.methods.join(', '));
    }
    const reqHeaders = headerValue(head, 'access-control-request-headers');
    if (this.headers.length > 0 && reqHeaders !== undefined) {
      out.push('access-control-allow-headers', this.anyHeader ? (this.credentials ? reqHeaders : '*') : this.headers.join(', '));
    }
    if (this.expose.length > 0) out.push('access-control-expose-headers', this.expose);
    out.push('access-control-max-age', this.maxAge);
    return { status: 204, headers: out, body: '' };
  }

  actual(head: RequestHead, headers: string[]): void {
    // A preflight answered by `preflight` already carries its headers.
    if (head.method === 'OPTIONS' && headerValue(head, 'access-control-request-method') !== undefined) return;
    const origin = headerValue(head, 'origin');
    if (!this.allowed(origin)) return;
    // The gateway's answer replaces whatever the backend said about CORS.
    removeHeader(headers, 'access-control-allow-origin');
    removeHeader(headers, 'access-control-allow-credentials');
    const extra: string[] = [];
    this.originHeaders(origin, extra);
    if (this.expose.length > 0) {
      removeHeader(headers, 'access-control-expose-headers');
      extra.push('access-control-expose-headers', this.expose);
    }
    for (const v of extra) headers.push(v);
  }
}
