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

/** Shared by every Conditions without header or query tests (never written to). */
const NO_TESTS: ValueTest[] = [];

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

  /** `rule`: the rule's id, named in the warning about an invalid expression. */
  constructor(match: RouteMatch, rule: string) {
    // Only the first entry for a name counts; later entries with an equivalent name are ignored
    // (header names case-insensitively, query names exactly). Lists hold a few entries: a scan of
    // what is kept finds a repeat without a Set per rule (this runs for every rule of an apply).
    let headers = NO_TESTS;
    for (const h of match.headers) {
      const name = h.name.toLowerCase();
      if (headers.some((t) => t.name === name)) continue;
      if (headers === NO_TESTS) headers = [];
      headers.push(valueTest(name, h.type, h.value, rule, 'header', h.name));
    }
    let query = NO_TESTS;
    for (const q of match.queryParams) {
      if (query.some((t) => t.name === q.name)) continue;
      if (query === NO_TESTS) query = [];
      query.push(valueTest(q.name, q.type, q.value, rule, 'query parameter', q.name));
    }
    this.headers = headers;
    this.query = query;
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

const ANY = new Conditions({ path: { type: 'PathPrefix', value: '/' }, headers: [], queryParams: [] }, '');

/** A match's conditions: one shared object for the many matches with none (no method, header or query). */
export function conditionsOf(match: RouteMatch, rule: string): Conditions {
  return match.method === undefined && match.headers.length === 0 && match.queryParams.length === 0 ? ANY : new Conditions(match, rule);
}

function valueTest(name: string, type: 'Exact' | 'RegularExpression', value: string, rule: string, what: string, written: string): ValueTest {
  return type === 'Exact'
    ? { name, exact: value, re: null }
    : { name, exact: null, re: fullMatchRegExp(value, `rule ${rule}: ${what} ${written}`) };
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
