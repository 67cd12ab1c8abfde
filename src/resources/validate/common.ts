// Building blocks shared by the Gateway API kinds: the string formats of apis/v1/shared_types.go
// (names, groups, kinds, hostnames, durations, header names), references, and the rules that the
// CRDs repeat on every route kind.
import { childIndex, childKey } from '../field-path.ts';
import { DURATION_PATTERN } from './duration.ts';
import { int32, list, mapOf, obj, str, type Problem, type Rule, type Schema } from './schema.ts';

// ---- string formats -------------------------------------------------------------------------

const LABEL = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
/** RFC 1123 subdomain (lower case), as the CRDs spell it. */
export const DNS_SUBDOMAIN = `^${LABEL}(\\.${LABEL})*$`;
/** RFC 1123 label. */
export const DNS_LABEL = `^${LABEL}$`;
export const GROUP_PATTERN = `^$|^${LABEL}(\\.${LABEL})*$`;
export const KIND_PATTERN = '^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$';
export const HOSTNAME_PATTERN = `^(\\*\\.)?${LABEL}(\\.${LABEL})*$`;
export const PRECISE_HOSTNAME_PATTERN = `^${LABEL}(\\.${LABEL})*$`;
/** `example.com/some-thing`: a domain-prefixed path (controller names, address types). */
export const DOMAIN_PREFIXED_PATH = `${LABEL}(\\.${LABEL})*\\/[A-Za-z0-9\\/\\-._~%!$&'()*+,;=:]+$`;
/** An HTTP header name token (RFC 7230). */
export const HEADER_NAME_PATTERN = "^[A-Za-z0-9!#$%&'*+\\-.^_\\x60|~]+$";
/** Visible characters, single spaces or tabs between them. */
export const HEADER_VALUE_PATTERN = '^[!-~]+([\\t ]?[!-~]+)*$';
/** Characters allowed in an absolute path (and percent-encodings). */
export const PATH_CHARS_PATTERN = "^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$";
/** A label or annotation key: optional DNS-subdomain prefix and a name of up to 63 characters. */
export const QUALIFIED_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]$/;

export const group = () => str({ maxLength: 253, pattern: GROUP_PATTERN, patternHint: 'an API group: empty or a lower-case DNS subdomain' });
export const kind = () => str({ minLength: 1, maxLength: 63, pattern: KIND_PATTERN, patternHint: 'a kind: letters, digits and "-", starting with a letter' });
export const objectName = () => str({ minLength: 1, maxLength: 253 });
export const namespace = () => str({ minLength: 1, maxLength: 63, pattern: DNS_LABEL, patternHint: 'a namespace name (a lower-case DNS label)' });
export const sectionName = () => str({ minLength: 1, maxLength: 253, pattern: DNS_SUBDOMAIN, patternHint: 'a lower-case DNS subdomain' });
export const hostname = () =>
  str({ minLength: 1, maxLength: 253, pattern: HOSTNAME_PATTERN, patternHint: 'a lower-case DNS name, optionally starting with "*." (no port)' });
export const preciseHostname = () =>
  str({ minLength: 1, maxLength: 253, pattern: PRECISE_HOSTNAME_PATTERN, patternHint: 'a lower-case DNS name without wildcard (no port)' });
export const portNumber = () => int32({ minimum: 1, maximum: 65535 });
export const duration = () => str({ pattern: DURATION_PATTERN, patternHint: 'a duration of 1 to 4 parts of up to 5 digits and a unit h, m, s or ms (e.g. "1h30m", "500ms")' });
export const headerName = () => str({ minLength: 1, maxLength: 256, pattern: HEADER_NAME_PATTERN, patternHint: 'an HTTP header name (a token: no spaces, colons or slashes)' });
export const headerValue = () =>
  str({ minLength: 1, maxLength: 4096, pattern: HEADER_VALUE_PATTERN, patternHint: 'visible ASCII characters with single spaces or tabs between them' });
export const routeRuleName = sectionName;

// ---- references -----------------------------------------------------------------------------

export const parentReference = () =>
  obj({ group: group(), kind: kind(), namespace: namespace(), name: objectName(), sectionName: sectionName(), port: portNumber() }, { required: ['name'] });

export const localObjectReference = () => obj({ group: group(), kind: kind(), name: objectName() }, { required: ['group', 'kind', 'name'] });

export const objectReference = () =>
  obj({ group: group(), kind: kind(), name: objectName(), namespace: namespace() }, { required: ['group', 'kind', 'name'] });

export const secretObjectReference = () => obj({ group: group(), kind: kind(), name: objectName(), namespace: namespace() }, { required: ['name'] });

/** A Service (the default kind, core group) needs a port: the rule every backendRef carries. */
export const serviceNeedsPort: Rule = (ref, path) => {
  const g = ref.group ?? '';
  const k = ref.kind ?? 'Service';
  return g === '' && k === 'Service' && ref.port === undefined ? [{ field: childKey(path, 'port'), message: 'is required when referring to a Service' }] : [];
};

export const backendObjectReference = () =>
  obj({ group: group(), kind: kind(), name: objectName(), namespace: namespace(), port: portNumber() }, { required: ['name'], rules: [serviceNeedsPort] });

export const backendRefProperties = () => ({
  group: group(),
  kind: kind(),
  name: objectName(),
  namespace: namespace(),
  port: portNumber(),
  weight: int32({ minimum: 0, maximum: 1000000 }),
});

export const backendRef = () => obj(backendRefProperties(), { required: ['name'], rules: [serviceNeedsPort] });

export const labelSelector = () =>
  obj({
    matchLabels: mapOf(str()),
    matchExpressions: list(
      obj({ key: str(), operator: str(), values: list(str(), { listType: 'atomic' }) }, { required: ['key', 'operator'] }),
      { listType: 'atomic' },
    ),
  });

// ---- rules shared by route kinds ------------------------------------------------------------

const unset = (v: unknown) => v === undefined || v === '';
const unsetPort = (v: unknown) => v === undefined || v === 0;

function sameParent(a: any, b: any): boolean {
  return (
    (a.group ?? 'gateway.networking.k8s.io') === (b.group ?? 'gateway.networking.k8s.io') &&
    (a.kind ?? 'Gateway') === (b.kind ?? 'Gateway') &&
    a.name === b.name &&
    ((unset(a.namespace) && unset(b.namespace)) || (!unset(a.namespace) && a.namespace === b.namespace))
  );
}

/**
 * Several parentRefs to one parent must each name a different sectionName/port: all of them set
 * the same selectors (all or none give a sectionName, all or none a port), and no two are equal.
 */
export const parentRefsDistinct: Rule = (refs: any[], path) => {
  const problems: Problem[] = [];
  refs.forEach((p1, i) => {
    for (let j = 0; j < i; j++) {
      const p2 = refs[j];
      if (!sameParent(p1, p2)) continue;
      if (unset(p1.sectionName) !== unset(p2.sectionName) || unsetPort(p1.port) !== unsetPort(p2.port)) {
        problems.push({ field: childIndex(path, i), message: `refers to the same parent as ${childIndex(path, j)}: both must set sectionName or port in the same way` });
      } else if ((p1.sectionName ?? '') === (p2.sectionName ?? '') && (p1.port ?? 0) === (p2.port ?? 0)) {
        problems.push({ field: childIndex(path, i), message: `refers to the same parent as ${childIndex(path, j)}: sectionName or port must tell them apart` });
      }
    }
  });
  return problems;
};

export const parentRefs = () => list(parentReference(), { maxItems: 32, listType: 'atomic', rules: [parentRefsDistinct] });

/** Rule names, where given, are unique within the route. */
export const ruleNamesUnique: Rule = (rules: any[], path) => uniqueBy(rules, path, (r) => r?.name, 'rule name', 'name');

/**
 * Problems for items of `items` whose `key` equals an earlier item's. `what` names the value in
 * the message; `field` (optional) is the item's field to point at.
 */
export function uniqueBy(items: any[], path: string, key: (item: any) => unknown, what: string, field?: string): Problem[] {
  const problems: Problem[] = [];
  const seen = new Map<string, number>();
  items.forEach((item, i) => {
    const k = key(item);
    if (k === undefined) return;
    const s = JSON.stringify(k);
    const first = seen.get(s);
    if (first !== undefined) {
      const at = childIndex(path, i);
      problems.push({ field: field ? childKey(at, field) : at, message: `${what} ${typeof k === 'string' ? JSON.stringify(k) : s} is not unique (also at ${childIndex(path, first)})` });
    } else seen.set(s, i);
  });
  return problems;
}

/** Labels/annotations keys of Gateway infrastructure: qualified names with a short prefix. */
export function qualifiedKeys(what: string): Rule {
  return (map: Record<string, unknown>, path) => {
    const problems: Problem[] = [];
    for (const key of Object.keys(map)) {
      if (!QUALIFIED_KEY.test(key)) {
        problems.push({ field: childKey(path, key), message: `${what} key must be an optional DNS subdomain prefix and "/" followed by a name of at most 63 characters` });
      } else if (key.split('/')[0]!.length >= 253) {
        problems.push({ field: childKey(path, key), message: `${what} key prefix must be shorter than 253 characters` });
      }
    }
    return problems;
  };
}

export const sessionPersistence = (): Schema =>
  obj(
    {
      sessionName: str({ maxLength: 128 }),
      absoluteTimeout: duration(),
      type: str({ enum: ['Cookie', 'Header'] }),
      cookieConfig: obj({ lifetimeType: str({ enum: ['Permanent', 'Session'] }) }),
    },
    {
      rules: [
        (sp, path) =>
          sp.cookieConfig?.lifetimeType === 'Permanent' && sp.absoluteTimeout === undefined
            ? [{ field: childKey(path, 'absoluteTimeout'), message: 'is required when cookieConfig.lifetimeType is Permanent' }]
            : [],
        (sp, path) =>
          sp.cookieConfig !== undefined && (sp.type ?? 'Cookie') !== 'Cookie'
            ? [{ field: childKey(path, 'cookieConfig'), message: 'may only be set when type is Cookie' }]
            : [],
      ],
    },
  );
