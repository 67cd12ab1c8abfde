// URLRewrite: replace the Host header and/or the path before forwarding. The query is kept.
import type { Filter } from '../../ir/types.ts';
import { setHeader } from '../headers.ts';
import type { RequestHead } from '../request-head.ts';
import { PathRewriter, withQuery } from './path-modifier.ts';
import type { Outgoing, RequestStep } from './types.ts';

type RewriteFilter = Extract<Filter, { type: 'URLRewrite' }>;

export class URLRewrite implements RequestStep {
  private readonly hostname: string | undefined;
  private readonly path: PathRewriter | null;

  constructor(f: RewriteFilter) {
    this.hostname = f.hostname;
    this.path = f.path ? new PathRewriter(f.path) : null;
  }

  onRequest(head: RequestHead, out: Outgoing): void {
    if (this.hostname !== undefined) setHeader(out.headers, 'host', 'host', this.hostname);
    if (this.path !== null) out.target = withQuery(this.path.rewrite(out.matchedPath), head.query);
  }
}
