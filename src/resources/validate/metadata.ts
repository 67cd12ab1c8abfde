// ObjectMeta as the API server checks it on create: a name of the form the kind requires, a
// namespace that is a DNS label, well-formed label and annotation keys and values.
import { childKey } from '../field-path.ts';
import { bool, int, list, mapOf, obj, str, type ObjectSchema, type Problem, type Rule } from './schema.ts';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

export type NameForm = 'dns-subdomain' | 'dns-label' | 'dns-1035-label';

/** Why `value` is not a name of the given form, or undefined when it is one. */
export function nameProblem(value: string, form: NameForm): string | undefined {
  switch (form) {
    case 'dns-label':
      if (value.length > 63) return 'must be at most 63 characters long';
      return DNS1123_LABEL.test(value) ? undefined : 'must be a DNS label: lower-case letters, digits and "-", starting and ending with a letter or digit';
    case 'dns-1035-label':
      if (value.length > 63) return 'must be at most 63 characters long';
      return DNS1035_LABEL.test(value) ? undefined : 'must be a DNS-1035 label: lower-case letters, digits and "-", starting with a letter and ending with a letter or digit';
    case 'dns-subdomain':
      if (value.length > 253) return 'must be at most 253 characters long';
      return DNS1123_SUBDOMAIN.test(value) ? undefined : 'must be a DNS subdomain: lower-case letters, digits, "-" and ".", starting and ending with a letter or digit';
  }
}

/** Why `key` is not a qualified name (`prefix/name` label or annotation key), or undefined. */
export function qualifiedNameProblem(key: string): string | undefined {
  const parts = key.split('/');
  if (parts.length > 2) return 'must be a name with at most one "/" (an optional DNS subdomain prefix)';
  const name = parts.at(-1)!;
  if (parts.length === 2) {
    const prefix = parts[0]!;
    if (prefix === '') return 'prefix before "/" must not be empty';
    const p = nameProblem(prefix, 'dns-subdomain');
    if (p) return `prefix ${p}`;
  }
  if (name === '') return 'name part must not be empty';
  if (name.length > 63) return 'name part must be at most 63 characters long';
  if (!QUALIFIED_NAME.test(name)) return 'name part may contain only letters, digits, "-", "_" and ".", starting and ending with a letter or digit';
  return undefined;
}

const nameRule =
  (form: NameForm): Rule =>
  (meta, path) => {
    if (typeof meta.name !== 'string') return [];
    if (meta.name === '') return [{ field: childKey(path, 'name'), message: 'is required' }];
    const p = nameProblem(meta.name, form);
    return p ? [{ field: childKey(path, 'name'), message: `invalid name ${JSON.stringify(meta.name)}: ${p}` }] : [];
  };

const namespaceRule: Rule = (meta, path) => {
  if (typeof meta.namespace !== 'string' || meta.namespace === '') return [];
  const p = nameProblem(meta.namespace, 'dns-label');
  return p ? [{ field: childKey(path, 'namespace'), message: `invalid namespace ${JSON.stringify(meta.namespace)}: ${p}` }] : [];
};

/** Label keys and values (also used for selectors). */
export const labelsRule: Rule = (labels: Record<string, unknown>, path) => {
  const problems: Problem[] = [];
  for (const [key, value] of Object.entries(labels)) {
    const field = childKey(path, key);
    const k = qualifiedNameProblem(key);
    if (k) problems.push({ field, message: `invalid label key: ${k}` });
    if (typeof value === 'string' && (value.length > 63 || !LABEL_VALUE.test(value))) {
      problems.push({ field, message: `invalid label value ${JSON.stringify(value)}: at most 63 letters, digits, "-", "_" and ".", starting and ending with a letter or digit` });
    }
  }
  return problems;
};

const annotationsRule: Rule = (annotations: Record<string, unknown>, path) => {
  const problems: Problem[] = [];
  let size = 0;
  for (const [key, value] of Object.entries(annotations)) {
    const k = qualifiedNameProblem(key);
    if (k) problems.push({ field: childKey(path, key), message: `invalid annotation key: ${k}` });
    size += key.length + (typeof value === 'string' ? value.length : 0);
  }
  if (size > 256 * 1024) problems.push({ field: path, message: `annotations must total at most 256 KiB (got ${size} bytes)` });
  return problems;
};

const timestamp = () =>
  str({
    rules: [(v: string, path) => (RFC3339.test(v) && !Number.isNaN(Date.parse(v)) ? [] : [{ field: path, message: `invalid timestamp ${JSON.stringify(v)}: must be RFC 3339 (2006-01-02T15:04:05Z)` }])],
  });

export const metadataSchema = (form: NameForm): ObjectSchema =>
  obj(
    {
      name: str(),
      generateName: str(),
      namespace: str(),
      uid: str(),
      resourceVersion: str(),
      generation: int({ minimum: 0 }),
      creationTimestamp: timestamp(),
      deletionTimestamp: timestamp(),
      deletionGracePeriodSeconds: int(),
      labels: mapOf(str(), { rules: [labelsRule] }),
      annotations: mapOf(str(), { rules: [annotationsRule] }),
      finalizers: list(str(), { listType: 'set' }),
      ownerReferences: list(
        obj(
          { apiVersion: str(), kind: str(), name: str(), uid: str(), controller: bool(), blockOwnerDeletion: bool() },
          { required: ['apiVersion', 'kind', 'name', 'uid'] },
        ),
      ),
      managedFields: list(obj({}, { preserveUnknownFields: true })),
      selfLink: str(),
    },
    { required: ['name'], rules: [nameRule(form), namespaceRule] },
  );
