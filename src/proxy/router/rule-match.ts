// What a rule asks of a request besides its host: path, headers, query parameters, method.
// Compiled once per IR (regular expressions included) so matching compiles nothing per request.
import type { RouteMatch } from '../../ir/types.ts';
import { logger } from '../../log.ts';
import { headerValue, queryValue, type RequestHead } from '../request-head.ts';

interface ValueTest {
  name: string;
  exact: string | null;
  re: RegExp | null;
}

/** Matches nothing: what an invalid expression compiles to. */
const NEVER = /(?!)/;

/**
 * Anchored full match, as the Gateway API means for RegularExpression. An expression JavaScript
 * cannot compile (the translator should have refused it) matches nothing and is logged once per
 * apply, so one bad rule never takes the rest of the configuration down.
 */
export function fullMatchRegExp(source: string, where: string): RegExp {
  try {
    return new RegExp(`^(?:${source})$`);
  } catch (err) {
    logger.warn('invalid regular expression matches nothing', { where, regex: source, error: (err as Error).message });
    return NEVER;
  }
}

/** Headers, query parameters and method: everything but the path. All must hold. */
export class Conditions {
  private readonly headers: ValueTest[];
  private readonly query: ValueTest[];
  private readonly method: string | null;
  /**
   * No method, header or query condition: true for any request, known without loading the arrays
   * (at thousands of rules they are cold in cache: two misses per candidate rule saved).
   */
  private readonly always: boolean;

  constructor(match: RouteMatch, where: string) {
    // Only the first entry for a name counts; later entries with an equivalent name are ignored
    // (header names case-insensitively, query names exactly).
    this.headers = [];
    const seenHeaders = new Set<string>();
    for (const h of match.headers) {
      const name = h.name.toLowerCase();
      if (seenHeaders.has(name)) continue;
      seenHeaders.add(name);
      this.headers.push(valueTest(name, h.type, h.value, `${where}: header ${h.name}`));
    }
    this.query = [];
    const seenQuery = new Set<string>();
    for (const q of match.queryParams) {
      if (seenQuery.has(q.name)) continue;
      seenQuery.add(q.name);
      this.query.push(valueTest(q.name, q.type, q.value, `${where}: query parameter ${q.name}`));
    }
    this.method = match.method ?? null;
    this.always = this.method === null && this.headers.length === 0 && this.query.length === 0;
  }

  test(head: RequestHead): boolean {
    if (this.always) return true;
    if (this.method !== null && head.method !== this.method) return false;
    const hs = this.headers;
    for (let i = 0; i < hs.length; i++) {
      const t = hs[i]!;
      const v = headerValue(head, t.name);
      if (v === undefined || !valueOk(t, v)) return false;
    }
    const qs = this.query;
    for (let i = 0; i < qs.length; i++) {
      const t = qs[i]!;
      const v = queryValue(head, t.name);
      if (v === undefined || !valueOk(t, v)) return false;
    }
    return true;
  }
}

function valueTest(name: string, type: 'Exact' | 'RegularExpression', value: string, where: string): ValueTest {
  return type === 'Exact'
    ? { name, exact: value, re: null }
    : { name, exact: null, re: fullMatchRegExp(value, where) };
}

function valueOk(t: ValueTest, v: string): boolean {
  return t.exact !== null ? v === t.exact : t.re!.test(v);
}

/** PathPrefix values ignore a trailing `/`: `/abc/` means `/abc`. */
export function normalisePrefix(value: string): string {
  return value.length > 1 && value.endsWith('/') ? value.slice(0, -1) : value;
}

/** Reference path semantics (the compiled router indexes the same rules). */
export function pathMatches(match: RouteMatch['path'], re: RegExp | null, path: string): boolean {
  switch (match.type) {
    case 'Exact':
      return path === match.value;
    case 'PathPrefix': {
      const p = normalisePrefix(match.value);
      if (p === '/') return path.startsWith('/');
      return path === p || (path.startsWith(p) && path.charCodeAt(p.length) === 47 /* / */);
    }
    case 'RegularExpression':
      return re!.test(path);
  }
}
