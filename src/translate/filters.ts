// HTTPRoute / GRPCRoute filters → IR filters, with the spec's validity rules: URLRewrite and
// RequestRedirect never together; ReplacePrefixMatch only with a PathPrefix match; an unknown
// ExtensionRef cannot be skipped, so its requests get a 500 (DirectResponse).
import type { Filter, PathModifier } from '../ir/types.ts';
import type { HTTPHeaderFilter, HTTPPathModifier, HTTPRouteFilter, RouteKind } from '../resources/types.ts';
import { resolveBackend, type BackendContext } from './backends.ts';
import type * as C from './conditions.ts';
import type { PolicyNode } from './graph.ts';
import { routeInvalidKind } from './conditions.ts';
import { NO_FILTERS } from './empty-lists.ts';
import { objects, strings } from './sanitize.ts';

export interface FilterResult {
  filters: Filter[];
  /** Rule-level problem: the rule cannot be served as written. */
  invalid?: { reason: 'UnsupportedValue' | 'IncompatibleFilters'; message: string };
  /** Reference problems (mirror backends, extension refs): ResolvedRefs False. */
  refProblems: C.Cond[];
  /** BackendTLSPolicies on mirror backends (for their ancestor status). */
  policies?: PolicyNode[];
}

function headerFilter(f: HTTPHeaderFilter | undefined) {
  return {
    set: objects(f?.set).map((h) => ({ name: h.name, value: h.value })),
    add: objects(f?.add).map((h) => ({ name: h.name, value: h.value })),
    remove: [...strings(f?.remove)],
  };
}

/**
 * `prefix` is the PathPrefix value of the match this rule entry serves, or undefined when the
 * match is not a prefix match (ReplacePrefixMatch is then invalid).
 */
function pathModifier(m: HTTPPathModifier | undefined, prefix: string | undefined, where: string): PathModifier | string | undefined {
  if (!m) return undefined;
  if (m.type === 'ReplaceFullPath') return { type: 'ReplaceFullPath', value: m.replaceFullPath ?? '/' };
  if (m.type === 'ReplacePrefixMatch') {
    if (prefix === undefined) return `${where}: ReplacePrefixMatch needs a PathPrefix match`;
    return { type: 'ReplacePrefixMatch', value: m.replacePrefixMatch ?? '/', prefix };
  }
  return `${where}: unknown path modifier type ${JSON.stringify((m as { type: string }).type)}`;
}

const NO_PROBLEMS: C.Cond[] = [];
/** The result for no filters, shared (callers only read it): most rules have none. */
const NOTHING: FilterResult = Object.freeze({ filters: NO_FILTERS, refProblems: NO_PROBLEMS });

export function compileFilters(
  ctx: BackendContext,
  kind: RouteKind,
  ns: string,
  filters: readonly HTTPRouteFilter[] | undefined,
  prefix: string | undefined,
  where: string,
): FilterResult {
  if (!filters || filters.length === 0) return NOTHING;
  const out: FilterResult = { filters: [], refProblems: [] };
  const list = objects(filters);
  if (list.some((f) => f.type === 'URLRewrite') && list.some((f) => f.type === 'RequestRedirect')) {
    out.invalid = { reason: 'IncompatibleFilters', message: `${where}: URLRewrite and RequestRedirect cannot be combined` };
    return out;
  }
  for (const [i, f] of list.entries()) {
    const at = `${where}.filters[${i}]`;
    switch (f.type) {
      case 'RequestHeaderModifier':
        out.filters.push({ type: 'RequestHeaderModifier', ...headerFilter(f.requestHeaderModifier) });
        break;
      case 'ResponseHeaderModifier':
        out.filters.push({ type: 'ResponseHeaderModifier', ...headerFilter(f.responseHeaderModifier) });
        break;
      case 'RequestRedirect': {
        const r = f.requestRedirect ?? {};
        const path = pathModifier(r.path, prefix, at);
        if (typeof path === 'string') return { ...out, invalid: { reason: 'UnsupportedValue', message: path } };
        const code = r.statusCode ?? 302;
        if (![301, 302, 303, 307, 308].includes(code)) {
          return { ...out, invalid: { reason: 'UnsupportedValue', message: `${at}: redirect statusCode ${code} is not supported` } };
        }
        out.filters.push({
          type: 'RequestRedirect',
          ...(r.scheme ? { scheme: r.scheme } : {}),
          ...(r.hostname ? { hostname: r.hostname } : {}),
          ...(path ? { path } : {}),
          ...(r.port !== undefined ? { port: r.port } : {}),
          statusCode: code,
        });
        break;
      }
      case 'URLRewrite': {
        const r = f.urlRewrite ?? {};
        const path = pathModifier(r.path, prefix, at);
        if (typeof path === 'string') return { ...out, invalid: { reason: 'UnsupportedValue', message: path } };
        out.filters.push({ type: 'URLRewrite', ...(r.hostname ? { hostname: r.hostname } : {}), ...(path ? { path } : {}) });
        break;
      }
      case 'RequestMirror': {
        const m = f.requestMirror;
        if (!m?.backendRef) return { ...out, invalid: { reason: 'UnsupportedValue', message: `${at}: requestMirror.backendRef is required` } };
        const b = resolveBackend(ctx, kind, ns, m.backendRef);
        if (b.problem) out.refProblems.push(b.problem);
        if (b.policies) (out.policies ??= []).push(...b.policies);
        const fraction =
          m.percent !== undefined
            ? { numerator: m.percent, denominator: 100 }
            : m.fraction
              ? { numerator: m.fraction.numerator, denominator: m.fraction.denominator ?? 100 }
              : { numerator: 100, denominator: 100 };
        out.filters.push({ type: 'RequestMirror', cluster: b.cluster, fraction });
        break;
      }
      case 'CORS': {
        const c = f.cors ?? {};
        out.filters.push({
          type: 'CORS',
          allowOrigins: [...strings(c.allowOrigins)],
          allowCredentials: c.allowCredentials ?? false,
          allowMethods: [...strings(c.allowMethods)],
          allowHeaders: [...strings(c.allowHeaders)],
          exposeHeaders: [...strings(c.exposeHeaders)],
          maxAge: c.maxAge ?? 5,
        });
        break;
      }
      case 'ExtensionRef': {
        // Wicket defines no extension kinds: the reference cannot be resolved, and the filter must
        // not be skipped, so the requests it would have processed get a 500.
        const e = f.extensionRef;
        out.refProblems.push(routeInvalidKind(`${at}: extensionRef ${e?.group ?? ''}/${e?.kind ?? '?'} ${e?.name ?? '?'} is not a filter kind Wicket knows`));
        out.filters.push({ type: 'DirectResponse', statusCode: 500 });
        break;
      }
      default:
        return { ...out, invalid: { reason: 'UnsupportedValue', message: `${at}: filter type ${JSON.stringify(f.type)} is not supported` } };
    }
  }
  return out;
}
