// HTTPRoute → compiled rules: matches (path, headers, query, method), filters, weighted backends
// with their own filters, timeouts (GEP-2257, backendRequest ≤ request), retry and session
// persistence. Attachment to parents is parent-refs.ts's job.
import type { RouteMatch } from '../ir/types.ts';
import type { HTTPRoute, HTTPRouteMatch, HTTPRouteRule } from '../resources/types.ts';
import { parseDuration } from '../resources/validate/duration.ts';
import type { BackendContext } from './backends.ts';
import type * as C from './conditions.ts';
import { compileFilters } from './filters.ts';
import { NO_FILTERS, NO_HEADER_MATCHES, NO_QUERY_MATCHES } from './empty-lists.ts';
import type { CompiledMatch, CompiledRule, PolicyNode, RouteNode } from './graph.ts';
import { invalidRuleFilters, newRouteNode, resolveRuleBackends, summarizeRoute, weighted } from './route-common.ts';
import { objects, strings } from './sanitize.ts';

export function compileHTTPRoute(ctx: BackendContext, route: HTTPRoute, policiesUsed: Set<PolicyNode>): RouteNode {
  const ns = route.metadata.namespace ?? 'default';
  const node = newRouteNode(route, strings(route.spec?.hostnames));
  const problems: C.Cond[] = [];
  // The CRD defaults an absent rules list to one rule matching every path (with no backends: 500).
  // map(), not push() onto []: a pushed-to empty array reserves room for 17 (per route, kept).
  node.rules = (route.spec?.rules === undefined ? [{}] : objects(route.spec.rules)).map((rule, i) => compileRule(ctx, ns, rule, i, problems, policiesUsed));
  summarizeRoute(node, problems);
  return node;
}

/** The IR match for one HTTPRoute match, with defaults applied and duplicate names dropped. */
export function compileMatch(m: HTTPRouteMatch): RouteMatch {
  const path = { type: m.path?.type ?? 'PathPrefix', value: m.path?.value ?? '/' } as RouteMatch['path'];
  // The shared empty lists unless there is something to hold: most matches have neither.
  let headers = NO_HEADER_MATCHES;
  for (const h of objects(m.headers)) {
    const name = String(h.name).toLowerCase();
    if (headers === NO_HEADER_MATCHES) headers = [];
    if (!headers.some((x) => x.name === name)) headers.push({ name, type: h.type ?? 'Exact', value: h.value });
  }
  let queryParams = NO_QUERY_MATCHES;
  for (const q of objects(m.queryParams)) {
    if (queryParams === NO_QUERY_MATCHES) queryParams = [];
    if (!queryParams.some((x) => x.name === q.name)) queryParams.push({ name: q.name, type: q.type ?? 'Exact', value: q.value });
  }
  const out: RouteMatch = { path, headers, queryParams };
  if (m.method) out.method = m.method.toUpperCase();
  return out;
}

function compileRule(
  ctx: BackendContext,
  ns: string,
  rule: HTTPRouteRule,
  index: number,
  problems: C.Cond[],
  policiesUsed: Set<PolicyNode>,
): CompiledRule {
  const where = `spec.rules[${index}]`;
  // Plain assignments and indexed loops: this runs for every rule of every route at startup, and
  // each temporary (spread, entries() pair, closure, unused message string) is garbage to collect.
  const out: CompiledRule = { index, matches: NO_MATCHES };
  if (rule.name) out.name = rule.name;
  const backends = resolveRuleBackends(ctx, 'HTTPRoute', ns, objects(rule.backendRefs));
  if (backends.problems.length > 0) problems.push(...backends.problems);
  for (const p of backends.policies) policiesUsed.add(p);
  const written = objects(rule.matches);
  const matches: HTTPRouteMatch[] = written.length > 0 ? written : [{}];
  // Exact size from the start (no copy): one entry per match.
  const compiled = new Array<CompiledMatch>(matches.length);
  for (let mi = 0; mi < matches.length; mi++) {
    const match = compileMatch(matches[mi]!);
    const badRegex = invalidRegexIn(match);
    if (badRegex) out.invalid ??= { reason: 'UnsupportedValue', message: `${where}.matches[${mi}].${badRegex}: invalid regular expression` };
    const prefix = match.path.type === 'PathPrefix' ? match.path.value : undefined;
    const f = compileFilters(ctx, 'HTTPRoute', ns, rule.filters, prefix, where);
    if (mi === 0 && f.refProblems.length > 0) problems.push(...f.refProblems);
    if (f.policies) for (const p of f.policies) policiesUsed.add(p);
    if (f.invalid) out.invalid ??= f.invalid;
    let backendInvalid: CompiledRule['invalid'];
    const wb = weighted(backends, (bi) => {
      const written = rule.backendRefs?.[bi]?.filters;
      // Nothing to compile (the common case): no field path to spell out either.
      if (!written || written.length === 0) return NO_FILTERS;
      const bf = compileFilters(ctx, 'HTTPRoute', ns, written, prefix, `${where}.backendRefs[${bi}]`);
      if (mi === 0) problems.push(...bf.refProblems);
      if (bf.invalid) backendInvalid ??= bf.invalid;
      return bf.filters;
    });
    if (backendInvalid) out.invalid ??= backendInvalid;
    compiled[mi] = { index: mi, match, filters: f.filters, backends: wb } satisfies CompiledMatch;
  }
  out.matches = compiled;
  compileTimeouts(rule, out, where);
  compileRetry(rule, out, where);
  compileSession(rule, out, where);
  if (out.invalid) invalidRuleFilters(out);
  return out;
}

/** Placeholder until a rule's matches are compiled (never written to). */
const NO_MATCHES = Object.freeze([]) as unknown as CompiledMatch[];

function validRegex(re: string): boolean {
  try {
    new RegExp(re);
    return true;
  } catch {
    return false;
  }
}

/** The field of a match holding a regular expression that does not compile, if any. */
export function invalidRegexIn(m: RouteMatch): string | undefined {
  if (m.path.type === 'RegularExpression' && !validRegex(m.path.value)) return 'path';
  if (m.headers.length === 0 && m.queryParams.length === 0) return undefined; // most matches: no search
  const h = m.headers.find((x) => x.type === 'RegularExpression' && !validRegex(x.value));
  if (h) return `headers[${h.name}]`;
  const q = m.queryParams.find((x) => x.type === 'RegularExpression' && !validRegex(x.value));
  return q ? `queryParams[${q.name}]` : undefined;
}

function compileTimeouts(rule: HTTPRouteRule, out: CompiledRule, where: string): void {
  const t = rule.timeouts;
  if (!t) return;
  const timeouts: NonNullable<CompiledRule['timeouts']> = {};
  for (const field of ['request', 'backendRequest'] as const) {
    const text = t[field];
    if (text === undefined) continue;
    const ms = parseDuration(text);
    if (ms === undefined) {
      out.invalid ??= { reason: 'UnsupportedValue', message: `${where}.timeouts.${field}: ${JSON.stringify(text)} is not a GEP-2257 duration` };
      return;
    }
    timeouts[field === 'request' ? 'requestMs' : 'backendRequestMs'] = ms;
  }
  const { requestMs, backendRequestMs } = timeouts;
  // As the CRD's rule: with a non-zero request timeout, backendRequest must not exceed it.
  if (requestMs && backendRequestMs !== undefined && backendRequestMs > requestMs) {
    out.invalid ??= { reason: 'UnsupportedValue', message: `${where}.timeouts: backendRequest must not exceed request` };
    return;
  }
  out.timeouts = timeouts;
}

function compileRetry(rule: HTTPRouteRule, out: CompiledRule, where: string): void {
  const r = rule.retry;
  if (!r) return;
  const backoffMs = r.backoff === undefined ? 0 : parseDuration(r.backoff);
  if (backoffMs === undefined) {
    out.invalid ??= { reason: 'UnsupportedValue', message: `${where}.retry.backoff: ${JSON.stringify(r.backoff)} is not a GEP-2257 duration` };
    return;
  }
  out.retry = { codes: [...new Set(Array.isArray(r.codes) ? r.codes.filter((c) => typeof c === 'number') : [])], attempts: r.attempts ?? 1, backoffMs };
}

export function compileSession(rule: { sessionPersistence?: HTTPRouteRule['sessionPersistence'] }, out: CompiledRule, where: string): void {
  const s = rule.sessionPersistence;
  if (!s) return;
  const type = s.type ?? 'Cookie';
  const sp: NonNullable<CompiledRule['sessionPersistence']> = { type, name: s.sessionName ?? (type === 'Cookie' ? 'wicket-session' : 'x-wicket-session') };
  if (s.absoluteTimeout !== undefined) {
    const ms = parseDuration(s.absoluteTimeout);
    if (ms === undefined) {
      out.invalid ??= { reason: 'UnsupportedValue', message: `${where}.sessionPersistence.absoluteTimeout: not a GEP-2257 duration` };
      return;
    }
    sp.absoluteTimeoutMs = ms;
  }
  if (type === 'Cookie') sp.lifetime = s.cookieConfig?.lifetimeType ?? 'Session';
  out.sessionPersistence = sp;
}
