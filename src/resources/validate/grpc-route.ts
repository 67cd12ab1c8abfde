// GRPCRoute (v1).
import { childKey } from '../field-path.ts';
import { backendRefProperties, headerName, hostname, parentRefs, routeRuleName, ruleNamesUnique, serviceNeedsPort, sessionPersistence } from './common.ts';
import { grpcRouteFilters } from './filters.ts';
import { list, obj, str, type ObjectSchema, type Problem, type Rule } from './schema.ts';

const SERVICE = /^\.?[a-z_][a-z_0-9]*(\.[a-z_][a-z_0-9]*)*$/i;
const METHOD = /^[A-Za-z_][A-Za-z_0-9]*$/;

/** A method match names a service or a method (or both); exact names use gRPC's characters. */
const methodMatchRule: Rule = (m, path) => {
  const problems: Problem[] = [];
  if (m.service === undefined && m.method === undefined) problems.push({ field: path, message: 'must name a service, a method, or both' });
  if ((m.type ?? 'Exact') === 'Exact') {
    if (typeof m.service === 'string' && !SERVICE.test(m.service)) {
      problems.push({ field: childKey(path, 'service'), message: `invalid service name ${JSON.stringify(m.service)}: must be a dotted name of letters, digits and "_"` });
    }
    if (typeof m.method === 'string' && !METHOD.test(m.method)) {
      problems.push({ field: childKey(path, 'method'), message: `invalid method name ${JSON.stringify(m.method)}: must be letters, digits and "_", not starting with a digit` });
    }
  }
  return problems;
};

const totalMatches: Rule = (rules: any[], path) => {
  const total = rules.reduce((n, r) => n + (Array.isArray(r?.matches) ? r.matches.length : 0), 0);
  return total > 128 ? [{ field: path, message: `must have at most 128 matches over all rules (got ${total})` }] : [];
};

const grpcRouteRule = () =>
  obj({
    name: routeRuleName(),
    matches: list(
      obj({
        method: obj(
          { type: str({ enum: ['Exact', 'RegularExpression'] }), service: str({ maxLength: 1024 }), method: str({ maxLength: 1024 }) },
          { rules: [methodMatchRule] },
        ),
        headers: list(
          obj({ type: str({ enum: ['Exact', 'RegularExpression'] }), name: headerName(), value: str({ minLength: 1, maxLength: 4096 }) }, { required: ['name', 'value'] }),
          { maxItems: 16, listType: 'map', listMapKeys: ['name'] },
        ),
      }),
      { maxItems: 64, listType: 'atomic' },
    ),
    filters: grpcRouteFilters(),
    backendRefs: list(obj({ ...backendRefProperties(), filters: grpcRouteFilters() }, { required: ['name'], rules: [serviceNeedsPort] }), {
      maxItems: 16,
      listType: 'atomic',
    }),
    sessionPersistence: sessionPersistence(),
  });

export const grpcRouteSchema = (): ObjectSchema =>
  obj({
    parentRefs: parentRefs(),
    useDefaultGateways: str({ enum: ['All', 'None'] }),
    hostnames: list(hostname(), { maxItems: 16, listType: 'atomic' }),
    rules: list(grpcRouteRule(), { maxItems: 16, listType: 'atomic', rules: [ruleNamesUnique, totalMatches] }),
  });
