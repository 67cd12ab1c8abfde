// EndpointSlice (discovery.k8s.io/v1): addresses of the declared type, bounded lists, ports.
import { isIPv4, isIPv6 } from 'node:net';
import { childIndex, childKey } from '../field-path.ts';
import { uniqueBy } from './common.ts';
import { nameProblem, qualifiedNameProblem } from './metadata.ts';
import { bool, int32, list, mapOf, obj, str, type Problem, type Rule } from './schema.ts';

function addressProblem(address: string, type: string): string | undefined {
  if (type === 'IPv4') return isIPv4(address) ? undefined : `must be an IPv4 address (addressType IPv4), got ${JSON.stringify(address)}`;
  if (type === 'IPv6') return isIPv6(address) ? undefined : `must be an IPv6 address (addressType IPv6), got ${JSON.stringify(address)}`;
  if (type === 'FQDN') {
    const p = nameProblem(address, 'dns-subdomain');
    return p ? `must be a DNS name (addressType FQDN): ${p}` : undefined;
  }
  return undefined;
}

/** Every endpoint address is of the slice's addressType. */
const addressesMatchType: Rule = (slice, path) => {
  const problems: Problem[] = [];
  if (!Array.isArray(slice.endpoints)) return problems;
  slice.endpoints.forEach((e: any, i: number) => {
    if (!Array.isArray(e?.addresses)) return;
    e.addresses.forEach((a: unknown, j: number) => {
      if (typeof a !== 'string') return;
      const p = addressProblem(a, slice.addressType);
      if (p) problems.push({ field: childIndex(childKey(childIndex(childKey(path, 'endpoints'), i), 'addresses'), j), message: p });
    });
  });
  return problems;
};

const portsRule: Rule = (ports: any[], path) => {
  const problems: Problem[] = [];
  ports.forEach((p, i) => {
    if (typeof p?.name === 'string' && p.name !== '') {
      const n = nameProblem(p.name, 'dns-label');
      if (n) problems.push({ field: childKey(childIndex(path, i), 'name'), message: `invalid port name ${JSON.stringify(p.name)}: ${n}` });
    }
    const a = typeof p?.appProtocol === 'string' ? qualifiedNameProblem(p.appProtocol) : undefined;
    if (a) problems.push({ field: childKey(childIndex(path, i), 'appProtocol'), message: `invalid appProtocol ${JSON.stringify(p.appProtocol)}: ${a}` });
  });
  problems.push(...uniqueBy(ports, path, (p) => (p && typeof p === 'object' ? (p.name ?? '') : undefined), 'port name', 'name'));
  return problems;
};

/** The fields of the EndpointSlice object itself (it has no spec). */
export const endpointSliceBody = () => ({
  addressType: str({ enum: ['IPv4', 'IPv6', 'FQDN'] }),
  endpoints: list(
    obj(
      {
        addresses: list(str(), { minItems: 1, maxItems: 100, listType: 'set' }),
        conditions: obj({ ready: bool(), serving: bool(), terminating: bool() }),
        hostname: str({ rules: [(h: string, path) => (nameProblem(h, 'dns-label') ? [{ field: path, message: `invalid hostname ${JSON.stringify(h)}: ${nameProblem(h, 'dns-label')}` }] : [])] }),
        nodeName: str(),
        zone: str(),
        targetRef: obj({ kind: str(), namespace: str(), name: str(), uid: str(), apiVersion: str(), resourceVersion: str(), fieldPath: str() }),
        deprecatedTopology: mapOf(str()),
        hints: obj({ forZones: list(obj({ name: str() }, { required: ['name'] })), forNodes: list(obj({ name: str() }, { required: ['name'] })) }),
      },
      { required: ['addresses'] },
    ),
    { maxItems: 1000, listType: 'atomic' },
  ),
  // The API server defaults an empty protocol to TCP and does not bound the port beyond int32.
  ports: list(obj({ name: str(), protocol: str({ enum: ['', 'TCP', 'UDP', 'SCTP'] }), port: int32(), appProtocol: str() }), {
    maxItems: 20000,
    listType: 'atomic',
    rules: [portsRule],
  }),
});

export const endpointSliceRules: Rule[] = [addressesMatchType];

