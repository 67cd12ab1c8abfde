// RequestRedirect: answer at the gateway with a Location built from the request and the filter.
// Port: the filter's port; else, when the filter sets a scheme, that scheme's well-known port;
// else the listener's port. The port is left out for http:80 and https:443.
import type { Filter } from '../../ir/types.ts';
import type { RequestHead } from '../request-head.ts';
import { PathRewriter, withQuery } from './path-modifier.ts';
import type { ListenerContext, LocalResponse, Responder } from './types.ts';

type RedirectFilter = Extract<Filter, { type: 'RequestRedirect' }>;

export class RequestRedirect implements Responder {
  private readonly scheme: 'http' | 'https' | undefined;
  private readonly hostname: string | undefined;
  private readonly port: number | undefined;
  private readonly status: number;
  private readonly path: PathRewriter | null;

  constructor(f: RedirectFilter) {
    this.scheme = f.scheme;
    this.hostname = f.hostname;
    this.port = f.port;
    this.status = f.statusCode;
    this.path = f.path ? new PathRewriter(f.path) : null;
  }

  location(head: RequestHead, listener: ListenerContext): string {
    const scheme = this.scheme ?? head.scheme;
    const host = this.hostname ?? head.host;
    const port = this.port ?? (this.scheme === 'http' ? 80 : this.scheme === 'https' ? 443 : listener.port);
    const showPort = !((scheme === 'http' && port === 80) || (scheme === 'https' && port === 443));
    const hostPart = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
    const path = this.path === null ? head.path : this.path.rewrite(head.path);
    return `${scheme}://${hostPart}${showPort ? `:${port}` : ''}${withQuery(path, head.query)}`;
  }

  respond(head: RequestHead, listener: ListenerContext): LocalResponse {
    return { status: this.status, headers: ['location', this.location(head, listener)], body: '' };
  }
}
