// TLSRoute, TCPRoute and UDPRoute. v1 allows exactly one rule; the older served versions
// (v1alpha2, and v1alpha3 for TLSRoute) allow up to 16 with unique names, and v1alpha2 TLSRoute
// does not require hostnames.
import { isIP } from 'node:net';
import { childIndex } from '../field-path.ts';
import { backendRef, hostname, HOSTNAME_PATTERN, parentRefs, PRECISE_HOSTNAME_PATTERN, routeRuleName, ruleNamesUnique } from './common.ts';
import { list, obj, str, type ObjectSchema, type Problem, type Rule } from './schema.ts';

const l4Rules = (legacy: boolean) =>
  list(
    obj(
      { name: routeRuleName(), backendRefs: list(backendRef(), { minItems: 1, maxItems: 16, listType: 'atomic' }) },
      { required: ['backendRefs'] },
    ),
    legacy ? { minItems: 1, maxItems: 16, listType: 'atomic', rules: [ruleNamesUnique] } : { minItems: 1, maxItems: 1, listType: 'atomic' },
  );

const PRECISE = new RegExp(PRECISE_HOSTNAME_PATTERN);
const HOSTNAME = new RegExp(HOSTNAME_PATTERN);

/** TLS hostnames are SNI names: no IP addresses, and a wildcard only as the whole first label. */
const sniHostnames: Rule = (hostnames: unknown[], path) => {
  const problems: Problem[] = [];
  hostnames.forEach((h, i) => {
    // Values that fail the schema's hostname pattern are reported by it already.
    if (typeof h !== 'string' || !HOSTNAME.test(h)) return;
    const at = childIndex(path, i);
    if (isIP(h) !== 0) problems.push({ field: at, message: `must be a hostname, not an IP address (${h})` });
    else if (h.includes('*') ? !(h.startsWith('*.') && PRECISE.test(h.slice(2))) : !PRECISE.test(h)) {
      problems.push({ field: at, message: `invalid hostname ${JSON.stringify(h)}: a wildcard may only be the whole first label ("*.example.com")` });
    }
  });
  return problems;
};

/** `legacy`: the v1alpha2 schema (more rules allowed, hostnames optional). */
export const tlsRouteSchema = (legacy = false): ObjectSchema =>
  obj(
    {
      parentRefs: parentRefs(),
      useDefaultGateways: str({ enum: ['All', 'None'] }),
      hostnames: legacy
        ? list(hostname(), { maxItems: 1024, listType: 'atomic' })
        : list(hostname(), { minItems: 1, maxItems: 1024, listType: 'atomic', rules: [sniHostnames] }),
      rules: l4Rules(legacy),
    },
    { required: legacy ? ['rules'] : ['hostnames', 'rules'] },
  );

export const tcpRouteSchema = (legacy = false): ObjectSchema =>
  obj({ parentRefs: parentRefs(), useDefaultGateways: str({ enum: ['All', 'None'] }), rules: l4Rules(legacy) }, { required: ['rules'] });

export const udpRouteSchema = tcpRouteSchema;
