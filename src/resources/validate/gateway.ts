// Gateway (v1; v1beta1 is served with the same schema).
import { isIP } from 'node:net';
import { childIndex, childKey } from '../field-path.ts';
import { DOMAIN_PREFIXED_PATH, group, HOSTNAME_PATTERN, kind, objectName, objectReference, portNumber, qualifiedKeys, secretObjectReference, labelSelector, uniqueBy } from './common.ts';
import { listeners } from './listeners.ts';
import { list, mapOf, obj, str, type ObjectSchema, type Problem, type Rule } from './schema.ts';

const HOSTNAME = new RegExp(HOSTNAME_PATTERN);

/**
 * Address type defaults to IPAddress, whose value (when given) is an IPv4 or IPv6 address (the
 * CRD's oneOf/anyOf of formats); Hostname values look like (wildcard) hostnames.
 */
const addressRules: Rule = (addresses: any[], path) => {
  const problems: Problem[] = [];
  addresses.forEach((a, i) => {
    if (!a || typeof a !== 'object' || typeof a.value !== 'string') return;
    const type = a.type ?? 'IPAddress';
    const field = childKey(childIndex(path, i), 'value');
    if (type === 'IPAddress' && isIP(a.value) === 0) {
      problems.push({ field, message: `invalid IP address ${JSON.stringify(a.value)}: must be an IPv4 or IPv6 address for type IPAddress` });
    }
    if (type === 'Hostname' && !HOSTNAME.test(a.value)) {
      problems.push({ field, message: `invalid hostname ${JSON.stringify(a.value)}: must be a DNS name, optionally starting with "*."` });
    }
  });
  for (const type of ['IPAddress', 'Hostname']) {
    problems.push(
      ...uniqueBy(addresses, path, (a) => ((a?.type ?? 'IPAddress') === type && a.value !== undefined ? a.value : undefined), `${type} value`, 'value'),
    );
  }
  return problems;
};

const frontendTLSConfig = () =>
  obj({
    validation: obj(
      {
        caCertificateRefs: list(objectReference(), { minItems: 1, maxItems: 16, listType: 'atomic' }),
        mode: str({ enum: ['AllowValidOnly', 'AllowInsecureFallback'] }),
      },
      { required: ['caCertificateRefs'] },
    ),
  });

export const gatewaySchema = (): ObjectSchema =>
  obj(
    {
      gatewayClassName: objectName(),
      listeners: listeners(),
      addresses: list(
        obj({
          type: str({ minLength: 1, maxLength: 253, pattern: `^Hostname|IPAddress|NamedAddress|${DOMAIN_PREFIXED_PATH}`, patternHint: 'Hostname, IPAddress, NamedAddress or a domain-prefixed type such as "example.com/custom"' }),
          value: str({ maxLength: 253 }),
        }),
        { maxItems: 16, listType: 'atomic', rules: [addressRules] },
      ),
      infrastructure: obj({
        labels: mapOf(str({ minLength: 0, maxLength: 63, pattern: '^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$', patternHint: 'a label value: letters, digits, "-", "_" and ".", starting and ending with a letter or digit' }), { maxProperties: 8, rules: [qualifiedKeys('label')] }),
        annotations: mapOf(str({ minLength: 0, maxLength: 4096 }), { maxProperties: 16, rules: [qualifiedKeys('annotation')] }),
        parametersRef: obj({ group: group(), kind: kind(), name: objectName() }, { required: ['group', 'kind', 'name'] }),
      }),
      allowedListeners: obj({
        namespaces: obj({ from: str({ enum: ['All', 'Selector', 'Same', 'None'] }), selector: labelSelector() }),
      }),
      tls: obj({
        backend: obj({ clientCertificateRef: secretObjectReference() }),
        frontend: obj(
          {
            default: frontendTLSConfig(),
            perPort: list(obj({ port: portNumber(), tls: frontendTLSConfig() }, { required: ['port', 'tls'] }), {
              maxItems: 64,
              listType: 'map',
              listMapKeys: ['port'],
            }),
          },
          { required: ['default'] },
        ),
      }),
      defaultScope: str({ enum: ['All', 'None'] }),
    },
    { required: ['gatewayClassName', 'listeners'] },
  );
