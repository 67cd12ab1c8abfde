// Service (core v1): the parts Wicket reads (type, ports, selector, externalName), checked as the
// API server does. Other spec fields are accepted unchecked.
import { isIP } from 'node:net';
import { childIndex, childKey } from '../field-path.ts';
import { uniqueBy } from './common.ts';
import { labelsRule, nameProblem, qualifiedNameProblem } from './metadata.ts';
import { bool, int, intOrString, list, mapOf, obj, str, type ObjectSchema, type Problem, type Rule } from './schema.ts';

const IANA_SVC_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

/** A named port (IANA service name) or a port number. */
export function portNameOrNumberProblem(value: unknown): string | undefined {
  if (typeof value === 'number') return value >= 1 && value <= 65535 ? undefined : `must be between 1 and 65535 (got ${value})`;
  if (typeof value !== 'string') return undefined;
  if (/^[0-9]+$/.test(value)) return `a number must be given as an integer, not the string ${JSON.stringify(value)}`;
  const ok = value.length <= 15 && IANA_SVC_NAME.test(value) && !value.includes('--') && /[a-z]/.test(value);
  return ok ? undefined : `invalid port name ${JSON.stringify(value)}: at most 15 lower-case letters, digits and "-", with at least one letter`;
}

const portsRule: Rule = (ports: any[], path) => {
  const problems: Problem[] = [];
  ports.forEach((p, i) => {
    if (!p || typeof p !== 'object') return;
    const at = childIndex(path, i);
    if (ports.length > 1 && (p.name === undefined || p.name === '')) problems.push({ field: childKey(at, 'name'), message: 'is required when the Service has more than one port' });
    if (typeof p.name === 'string' && p.name !== '') {
      const n = nameProblem(p.name, 'dns-label');
      if (n) problems.push({ field: childKey(at, 'name'), message: `invalid port name ${JSON.stringify(p.name)}: ${n}` });
    }
    // 0 and "" mean "the same as port": the API server fills them in before validating.
    const t = p.targetPort === 0 || p.targetPort === '' ? undefined : portNameOrNumberProblem(p.targetPort);
    if (t) problems.push({ field: childKey(at, 'targetPort'), message: t });
    const a = typeof p.appProtocol === 'string' ? qualifiedNameProblem(p.appProtocol) : undefined;
    if (a) problems.push({ field: childKey(at, 'appProtocol'), message: `invalid appProtocol ${JSON.stringify(p.appProtocol)}: ${a}` });
  });
  problems.push(...uniqueBy(ports, path, (p) => (p?.name ? p.name : undefined), 'port name', 'name'));
  problems.push(...uniqueBy(ports, path, (p) => (p?.port !== undefined ? `${p.port}/${p.protocol || 'TCP'}` : undefined), 'port and protocol', 'port'));
  return problems;
};

const specRule: Rule = (spec, path) => {
  const problems: Problem[] = [];
  const type = spec.type || 'ClusterIP';
  if (type === 'ExternalName') {
    if (typeof spec.externalName !== 'string' || spec.externalName === '') {
      problems.push({ field: childKey(path, 'externalName'), message: 'is required when type is ExternalName' });
    } else {
      const n = nameProblem(spec.externalName.replace(/\.$/, ''), 'dns-subdomain');
      if (n) problems.push({ field: childKey(path, 'externalName'), message: `invalid DNS name ${JSON.stringify(spec.externalName)}: ${n}` });
    }
  } else if (spec.clusterIP !== 'None' && (!Array.isArray(spec.ports) || spec.ports.length === 0)) {
    problems.push({ field: childKey(path, 'ports'), message: 'is required (at least one port) unless the Service is headless (clusterIP: None) or of type ExternalName' });
  }
  if (typeof spec.clusterIP === 'string' && spec.clusterIP !== '' && spec.clusterIP !== 'None' && isIP(spec.clusterIP) === 0) {
    problems.push({ field: childKey(path, 'clusterIP'), message: `must be an IP address, "None" or empty (got ${JSON.stringify(spec.clusterIP)})` });
  }
  return problems;
};

export const serviceSpecSchema = (): ObjectSchema =>
  obj(
    {
      // "" is accepted wherever the API server defaults an empty value before validating.
      type: str({ enum: ['', 'ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'] }),
      clusterIP: str(),
      clusterIPs: list(str()),
      selector: mapOf(str(), { rules: [labelsRule] }),
      externalName: str(),
      ports: list(
        obj(
          {
            name: str(),
            protocol: str({ enum: ['', 'TCP', 'UDP', 'SCTP'] }),
            port: int({ minimum: 1, maximum: 65535 }),
            targetPort: intOrString(),
            nodePort: int({ minimum: 0, maximum: 65535 }),
            appProtocol: str(),
          },
          { required: ['port'] },
        ),
        { rules: [portsRule] },
      ),
      // The rest of ServiceSpec: known (so a misspelt field is caught, as the API server's strict
      // field validation does) but not read by Wicket, so not checked further.
      externalIPs: list(str()),
      sessionAffinity: str(),
      sessionAffinityConfig: obj({}, { preserveUnknownFields: true }),
      loadBalancerIP: str(),
      loadBalancerSourceRanges: list(str()),
      loadBalancerClass: str(),
      externalTrafficPolicy: str(),
      internalTrafficPolicy: str(),
      healthCheckNodePort: int(),
      publishNotReadyAddresses: bool(),
      ipFamilies: list(str()),
      ipFamilyPolicy: str(),
      allocateLoadBalancerNodePorts: bool(),
      trafficDistribution: str(),
    },
    { rules: [specRule] },
  );
