// Listeners, shared by Gateway and ListenerSet: the listener object and the rules on the list
// (unique names, unique port/protocol/hostname, TLS settings that fit the protocol). Rules read
// values as the API server's CEL does, after defaulting: a tls block without mode is Terminate.
import { childIndex, childKey } from '../field-path.ts';
import { DNS_SUBDOMAIN, group, hostname, kind, labelSelector, portNumber, secretObjectReference, uniqueBy } from './common.ts';
import { list, mapOf, obj, str, type ArraySchema, type Problem, type Rule } from './schema.ts';

/** A bare protocol name (HTTP, HTTPS, TLS, TCP, UDP or an implementation's), or `domain/NAME`. */
const PROTOCOL_PATTERN = '^[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?$|[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\\/[A-Za-z0-9]+$';

const tlsModeOf = (tls: any): string => (tls?.mode === undefined || tls.mode === '' ? 'Terminate' : tls.mode);

const terminateNeedsCertificates: Rule = (tls, path) => {
  if (tlsModeOf(tls) !== 'Terminate') return [];
  const refs = Array.isArray(tls.certificateRefs) ? tls.certificateRefs.length : 0;
  const options = tls.options && typeof tls.options === 'object' ? Object.keys(tls.options).length : 0;
  return refs > 0 || options > 0 ? [] : [{ field: childKey(path, 'certificateRefs'), message: 'certificateRefs (or options) must be given when mode is Terminate' }];
};

export const listener = () =>
  obj(
    {
      name: str({ minLength: 1, maxLength: 253, pattern: DNS_SUBDOMAIN, patternHint: 'a lower-case DNS subdomain' }),
      hostname: hostname(),
      port: portNumber(),
      protocol: str({ minLength: 1, maxLength: 255, pattern: PROTOCOL_PATTERN, patternHint: 'a protocol name (HTTP, HTTPS, TLS, TCP, UDP) or a domain-prefixed one such as "example.com/proto"' }),
      tls: obj(
        {
          mode: str({ enum: ['Terminate', 'Passthrough'] }),
          certificateRefs: list(secretObjectReference(), { maxItems: 64, listType: 'atomic' }),
          options: mapOf(str({ minLength: 0, maxLength: 4096 }), { maxProperties: 16 }),
        },
        { rules: [terminateNeedsCertificates] },
      ),
      allowedRoutes: obj({
        namespaces: obj({ from: str({ enum: ['All', 'Selector', 'Same'] }), selector: labelSelector() }),
        kinds: list(obj({ group: group(), kind: kind() }, { required: ['kind'] }), { maxItems: 8, listType: 'atomic' }),
      }),
    },
    { required: ['name', 'port', 'protocol'] },
  );

/** Per-listener rules that depend on the protocol. */
const protocolFitsTLSAndHostname: Rule = (listeners: any[], path) => {
  const problems: Problem[] = [];
  listeners.forEach((l, i) => {
    if (!l || typeof l !== 'object') return;
    const at = childIndex(path, i);
    if (['HTTP', 'TCP', 'UDP'].includes(l.protocol) && l.tls !== undefined) {
      problems.push({ field: childKey(at, 'tls'), message: `must not be set for protocol ${l.protocol}` });
    }
    if (l.protocol === 'HTTPS' && l.tls !== undefined && tlsModeOf(l.tls) !== 'Terminate') {
      problems.push({ field: childKey(childKey(at, 'tls'), 'mode'), message: 'must be Terminate for protocol HTTPS' });
    }
    if (l.protocol === 'TLS' && l.tls === undefined) {
      problems.push({ field: childKey(at, 'tls'), message: 'is required for protocol TLS (with a mode)' });
    }
    if (['TCP', 'UDP'].includes(l.protocol) && l.hostname !== undefined && l.hostname !== '') {
      problems.push({ field: childKey(at, 'hostname'), message: `must not be set for protocol ${l.protocol}` });
    }
  });
  return problems;
};

const portProtocolHostnameUnique: Rule = (listeners: any[], path) =>
  uniqueBy(
    listeners,
    path,
    (l) => (l && typeof l === 'object' && l.port !== undefined ? `${l.port}/${l.protocol}/${l.hostname ?? ''}` : undefined),
    'the combination of port, protocol and hostname',
  );

export const listeners = (): ArraySchema =>
  list(listener(), {
    minItems: 1,
    maxItems: 64,
    listType: 'map',
    listMapKeys: ['name'],
    // Names are unique through listType map (the duplicate is reported at the second listener).
    rules: [protocolFitsTLSAndHostname, portProtocolHostnameUnique],
  });
