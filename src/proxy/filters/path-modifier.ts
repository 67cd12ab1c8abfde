// The path part of RequestRedirect and URLRewrite. ReplacePrefixMatch replaces the element-wise
// prefix the rule matched: with prefix `/foo`, replacement `/bar` turns `/foo/x` into `/bar/x`;
// replacement `/` turns `/foo/x` into `/x` and `/foo` into `/`.
import type { PathModifier } from '../../ir/types.ts';
import { normalisePrefix } from '../router/rule-match.ts';

export class PathRewriter {
  private readonly full: string | null;
  private readonly prefixLength: number;
  private readonly replacement: string;

  constructor(m: PathModifier) {
    if (m.type === 'ReplaceFullPath') {
      this.full = m.value;
      this.prefixLength = 0;
      this.replacement = '';
    } else {
      this.full = null;
      const p = normalisePrefix(m.prefix);
      this.prefixLength = p === '/' ? 0 : p.length;
      // A trailing slash on the replacement would double up with the rest of the path.
      this.replacement = m.value.endsWith('/') ? m.value.slice(0, -1) : m.value;
    }
  }

  /** The new path for a request path the rule's PathPrefix matched. */
  rewrite(path: string): string {
    if (this.full !== null) return this.full;
    // The rule matched element-wise, so the rest is '' or starts with '/'.
    const result = this.replacement + path.slice(this.prefixLength);
    return result.length === 0 ? '/' : result;
  }
}

/** Path plus the original query, if any. */
export function withQuery(path: string, query: string): string {
  return query.length === 0 ? path : `${path}?${query}`;
}
