// GRPCRoute → compiled rules. A method match becomes a path match on `/service/method`: both
// given → Exact; service only → PathPrefix `/service`; method only → RegularExpression
// `/[^/]+/method`; RegularExpression type → a regex over both parts. Header matches as HTTP.
// Backends speak HTTP/2 cleartext (or TLS with a BackendTLSPolicy); errors answer gRPC codes.
import type { RouteMatch } from '../ir/types.ts';
import type { GRPCRoute, GRPCRouteMatch, GRPCRouteRule, HTTPRouteFilter } from '../resources/types.ts';
import type { BackendContext } from './backends.ts';
import type * as C from './conditions.ts';
import { NO_HEADER_MATCHES, NO_QUERY_MATCHES } from './empty-lists.ts';
import { compileFilters } from './filters.ts';
import type { CompiledRule, PolicyNode, RouteNode } from './graph.ts';
import { compileSession, invalidRegexIn } from './http-route.ts';
import { invalidRuleFilters, newRouteNode, resolveRuleBackends, summarizeRoute, weighted } from './route-common.ts';
import { objects, strings } from './sanitize.ts';

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

export function grpcPath(m: GRPCRouteMatch['method']): RouteMatch['path'] {
  const service = m?.service;
  const method = m?.method;
  if (!service && !method) return { type: 'PathPrefix', value: '/' };
  if ((m?.type ?? 'Exact') === 'RegularExpression') {
    return { type: 'RegularExpression', value: `/${service || '[^/]+'}/${method || '[^/]+'}` };
  }
  if (service && method) return { type: 'Exact', value: `/${service}/${method}` };
  if (service) return { type: 'PathPrefix', value: `/${service}` };
  return { type: 'RegularExpression', value: `/[^/]+/${escape(method!)}` };
}

export function compileGRPCRoute(ctx: BackendContext, route: GRPCRoute, policiesUsed: Set<PolicyNode>): RouteNode {
  const ns = route.metadata.namespace ?? 'default';
  const node = newRouteNode(route, strings(route.spec?.hostnames));
  const problems: C.Cond[] = [];
  node.rules = objects(route.spec?.rules).map((rule, i) => compileRule(ctx, ns, rule, i, problems, policiesUsed));
  summarizeRoute(node, problems);
  return node;
}

function compileRule(
  ctx: BackendContext,
  ns: string,
  rule: GRPCRouteRule,
  index: number,
  problems: C.Cond[],
  policiesUsed: Set<PolicyNode>,
): CompiledRule {
  const where = `spec.rules[${index}]`;
  const out: CompiledRule = { index, matches: [], ...(rule.name ? { name: rule.name } : {}) };
  const backends = resolveRuleBackends(ctx, 'GRPCRoute', ns, objects(rule.backendRefs));
  problems.push(...backends.problems);
  for (const p of backends.policies) policiesUsed.add(p);
  const f = compileFilters(ctx, 'GRPCRoute', ns, rule.filters as HTTPRouteFilter[] | undefined, undefined, where);
  problems.push(...f.refProblems);
  for (const p of f.policies ?? []) policiesUsed.add(p);
  if (f.invalid) out.invalid = f.invalid;
  const backendFilters = objects(rule.backendRefs).map((b, bi) => {
    const bf = compileFilters(ctx, 'GRPCRoute', ns, b.filters as HTTPRouteFilter[] | undefined, undefined, `${where}.backendRefs[${bi}]`);
    problems.push(...bf.refProblems);
    if (bf.invalid) out.invalid ??= bf.invalid;
    return bf.filters;
  });
  const matches = objects(rule.matches).length > 0 ? objects(rule.matches) : [{}];
  for (const [mi, m] of matches.entries()) {
    const headers: RouteMatch['headers'] = [];
    for (const h of objects(m.headers)) {
      const name = String(h.name).toLowerCase();
      if (!headers.some((x) => x.name === name)) headers.push({ name, type: h.type ?? 'Exact', value: h.value });
    }
    const match: RouteMatch = { path: grpcPath(m.method), headers: headers.length > 0 ? headers : NO_HEADER_MATCHES, queryParams: NO_QUERY_MATCHES };
    const badRegex = invalidRegexIn(match);
    if (badRegex) out.invalid ??= { reason: 'UnsupportedValue', message: `${where}.matches[${mi}].${badRegex === 'path' ? 'method' : badRegex}: invalid regular expression` };
    out.matches.push({
      index: mi,
      match,
      filters: f.filters,
      backends: weighted(backends, (bi) => backendFilters[bi] ?? []),
      grpc: { service: m.method?.service?.length ?? 0, method: m.method?.method?.length ?? 0 },
    });
  }
  compileSession(rule, out, where);
  if (out.invalid) invalidRuleFilters(out);
  return out;
}
