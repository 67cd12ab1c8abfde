// BackendTLSPolicy (v1; v1alpha3 is served with the same schema).
import { childIndex, childKey } from '../field-path.ts';
import { DNS_SUBDOMAIN, group, hostname, kind, localObjectReference, objectName, preciseHostname, sectionName } from './common.ts';
import { list, mapOf, obj, str, type ObjectSchema, type Problem, type Rule } from './schema.ts';

const unset = (v: unknown) => v === undefined || v === '';

/** Several targetRefs to one target must each name a different sectionName. */
const targetRefsDistinct: Rule = (refs: any[], path) => {
  const problems: Problem[] = [];
  refs.forEach((a, i) => {
    for (let j = 0; j < i; j++) {
      const b = refs[j];
      if (a?.group !== b?.group || a?.kind !== b?.kind || a?.name !== b?.name) continue;
      if (unset(a.sectionName) !== unset(b.sectionName)) {
        problems.push({ field: childIndex(path, i), message: `targets the same object as ${childIndex(path, j)}: both must set sectionName` });
      } else if ((a.sectionName ?? '') === (b.sectionName ?? '')) {
        problems.push({ field: childIndex(path, i), message: `targets the same object as ${childIndex(path, j)}: sectionName must tell them apart` });
      }
    }
  });
  return problems;
};

/** Trust comes from CA certificate references or from a well-known set, exactly one of them. */
const oneTrustSource: Rule = (v, path) => {
  const refs = Array.isArray(v.caCertificateRefs) && v.caCertificateRefs.length > 0;
  const wellKnown = !unset(v.wellKnownCACertificates);
  if (refs && wellKnown) return [{ field: childKey(path, 'wellKnownCACertificates'), message: 'cannot be set together with caCertificateRefs' }];
  if (!refs && !wellKnown) return [{ field: childKey(path, 'caCertificateRefs'), message: 'caCertificateRefs or wellKnownCACertificates must be given' }];
  return [];
};

/** Each subjectAltName carries the field its type names, and only that one. */
const sanFieldMatchesType: Rule = (san, path) => {
  const problems: Problem[] = [];
  for (const [type, field] of [
    ['Hostname', 'hostname'],
    ['URI', 'uri'],
  ] as const) {
    if (san.type === type && unset(san[field])) problems.push({ field: childKey(path, field), message: `is required when type is ${type}` });
    if (san.type !== type && !unset(san[field])) problems.push({ field: childKey(path, field), message: `may only be set when type is ${type}` });
  }
  return problems;
};

export const backendTLSPolicySchema = (): ObjectSchema =>
  obj(
    {
      targetRefs: list(obj({ group: group(), kind: kind(), name: objectName(), sectionName: sectionName() }, { required: ['group', 'kind', 'name'] }), {
        minItems: 1,
        maxItems: 16,
        listType: 'atomic',
        rules: [targetRefsDistinct],
      }),
      validation: obj(
        {
          caCertificateRefs: list(localObjectReference(), { maxItems: 8, listType: 'atomic' }),
          wellKnownCACertificates: str({
            minLength: 1,
            maxLength: 253,
            pattern: `^(System|(${DNS_SUBDOMAIN.slice(1, -1)}/([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]))$`,
            patternHint: '"System" or a domain-prefixed name such as "example.com/my-cas"',
          }),
          hostname: preciseHostname(),
          subjectAltNames: list(
            obj(
              {
                type: str({ enum: ['Hostname', 'URI'] }),
                hostname: hostname(),
                uri: str({ minLength: 1, maxLength: 253, pattern: '^(([^:/?#]+):)(//([^/?#]*))([^?#]*)(\\?([^#]*))?(#(.*))?', patternHint: 'a URI with a scheme and an authority ("spiffe://trust.domain/workload")' }),
              },
              { required: ['type'], rules: [sanFieldMatchesType] },
            ),
            { maxItems: 5, listType: 'atomic' },
          ),
        },
        { required: ['hostname'], rules: [oneTrustSource] },
      ),
      options: mapOf(str({ minLength: 0, maxLength: 4096 }), { maxProperties: 16 }),
    },
    { required: ['targetRefs', 'validation'] },
  );
