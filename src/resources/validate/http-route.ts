// HTTPRoute (v1; v1beta1 is served with the same schema).
import { childIndex, childKey } from '../field-path.ts';
import {
  backendRefProperties,
  duration,
  headerName,
  headerValue,
  hostname,
  parentRefs,
  PATH_CHARS_PATTERN,
  routeRuleName,
  ruleNamesUnique,
  serviceNeedsPort,
  sessionPersistence,
} from './common.ts';
import { httpRouteFilters } from './filters.ts';
import { int, list, obj, str, type ObjectSchema, type Problem, type Rule } from './schema.ts';
import { parseDuration } from './duration.ts';

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH'];
const PATH_CHARS = new RegExp(PATH_CHARS_PATTERN);

/** Exact and PathPrefix values are clean absolute paths; RegularExpression is free-form. */
const pathValueRule: Rule = (p, path) => {
  const type = p.type ?? 'PathPrefix';
  if (type !== 'Exact' && type !== 'PathPrefix') return [];
  const value: unknown = p.value ?? '/';
  if (typeof value !== 'string') return [];
  const field = childKey(path, 'value');
  const bad = (message: string): Problem[] => [{ field, message: `${message} (path type ${type})` }];
  if (!value.startsWith('/')) return bad('must be an absolute path starting with "/"');
  for (const seq of ['//', '/./', '/../', '%2f', '%2F', '#']) if (value.includes(seq)) return bad(`must not contain "${seq}"`);
  for (const end of ['/..', '/.']) if (value.endsWith(end)) return bad(`must not end with "${end}"`);
  if (!PATH_CHARS.test(value)) return bad('may contain only path characters and percent-encodings');
  return [];
};

const match = () =>
  obj({
    path: obj({ type: str({ enum: ['Exact', 'PathPrefix', 'RegularExpression'] }), value: str({ maxLength: 1024 }) }, { rules: [pathValueRule] }),
    headers: list(obj({ type: str({ enum: ['Exact', 'RegularExpression'] }), name: headerName(), value: headerValue() }, { required: ['name', 'value'] }), {
      maxItems: 16,
      listType: 'map',
      listMapKeys: ['name'],
    }),
    queryParams: list(
      obj({ type: str({ enum: ['Exact', 'RegularExpression'] }), name: headerName(), value: str({ minLength: 1, maxLength: 1024 }) }, { required: ['name', 'value'] }),
      { maxItems: 16, listType: 'map', listMapKeys: ['name'] },
    ),
    method: str({ enum: METHODS }),
  });

const timeoutsRule: Rule = (t, path) => {
  if (t.request === undefined || t.backendRequest === undefined) return [];
  const request = parseDuration(t.request);
  const backend = parseDuration(t.backendRequest);
  if (request === undefined || backend === undefined || request === 0) return [];
  return backend > request ? [{ field: childKey(path, 'backendRequest'), message: `must not be longer than request (${t.backendRequest} > ${t.request})` }] : [];
};

/** A rule's matches after defaulting: none given means one match of PathPrefix "/". */
function effectiveMatches(rule: any): any[] {
  return Array.isArray(rule.matches) ? rule.matches : [{ path: { type: 'PathPrefix', value: '/' } }];
}

function replacePrefixFilters(filters: unknown, field: 'requestRedirect' | 'urlRewrite'): number {
  if (!Array.isArray(filters)) return 0;
  return filters.filter((f) => f?.[field]?.path?.type === 'ReplacePrefixMatch' && f[field].path.replacePrefixMatch !== undefined).length;
}

/**
 * ReplacePrefixMatch needs exactly one match, of type PathPrefix, to know which prefix to replace.
 * The CRD's rule fires when exactly one filter (or exactly one backendRef) uses it — `exists_one`
 * in CEL — and so does this one, to accept exactly what the API server accepts.
 */
const replacePrefixNeedsOnePrefixMatch: Rule = (rule, path) => {
  const matches = effectiveMatches(rule);
  // Each match's path defaults to PathPrefix "/", so a match without a path counts as one.
  const ok = matches.length === 1 && (matches[0]?.path?.type ?? 'PathPrefix') === 'PathPrefix';
  if (ok) return [];
  const problems: Problem[] = [];
  for (const field of ['requestRedirect', 'urlRewrite'] as const) {
    const name = field === 'requestRedirect' ? 'RequestRedirect' : 'URLRewrite';
    if (replacePrefixFilters(rule.filters, field) === 1) {
      problems.push({ field: childKey(path, 'matches'), message: `a ${name} filter with path.replacePrefixMatch requires exactly one match, of path type PathPrefix` });
    }
    const backendRefs: unknown[] = Array.isArray(rule.backendRefs) ? rule.backendRefs : [];
    if (backendRefs.filter((b: any) => replacePrefixFilters(b?.filters, field) === 1).length === 1) {
      problems.push({ field: childKey(path, 'matches'), message: `a backendRef's ${name} filter with path.replacePrefixMatch requires exactly one match, of path type PathPrefix` });
    }
  }
  return problems;
};

const redirectWithoutBackends: Rule = (rule, path) => {
  if (!Array.isArray(rule.backendRefs) || rule.backendRefs.length === 0 || !Array.isArray(rule.filters)) return [];
  const i = rule.filters.findIndex((f: any) => f?.requestRedirect !== undefined);
  return i >= 0 ? [{ field: childIndex(childKey(path, 'filters'), i), message: 'a RequestRedirect filter cannot be used in a rule with backendRefs' }] : [];
};

/** At most 128 matches over all rules (rules without matches count one, their default). */
const totalMatches: Rule = (rules: any[], path) => {
  const total = rules.reduce((n, r) => n + (r && typeof r === 'object' ? effectiveMatches(r).length : 0), 0);
  return total > 128 ? [{ field: path, message: `must have at most 128 matches over all rules (got ${total})` }] : [];
};

const httpRouteRule = () =>
  obj(
    {
      name: routeRuleName(),
      matches: list(match(), { maxItems: 64, listType: 'atomic' }),
      filters: httpRouteFilters(),
      backendRefs: list(obj({ ...backendRefProperties(), filters: httpRouteFilters() }, { required: ['name'], rules: [serviceNeedsPort] }), {
        maxItems: 16,
        listType: 'atomic',
      }),
      timeouts: obj({ request: duration(), backendRequest: duration() }, { rules: [timeoutsRule] }),
      retry: obj({
        codes: list(int({ minimum: 400, maximum: 599 }), { listType: 'set' }),
        attempts: int({ minimum: 1 }),
        backoff: duration(),
      }),
      sessionPersistence: sessionPersistence(),
    },
    { rules: [redirectWithoutBackends, replacePrefixNeedsOnePrefixMatch] },
  );

export const httpRouteSchema = (): ObjectSchema =>
  obj(
    {
      parentRefs: parentRefs(),
      useDefaultGateways: str({ enum: ['All', 'None'] }),
      hostnames: list(hostname(), { maxItems: 16, listType: 'atomic' }),
      rules: list(httpRouteRule(), { minItems: 1, maxItems: 16, listType: 'atomic', rules: [ruleNamesUnique, totalMatches] }),
    },
  );
