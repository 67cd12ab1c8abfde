// Builds a container's environment the way the kubelet does: literal values with
// $(VAR) expansion, downward-API fieldRefs, Secret/ConfigMap key refs and envFrom.
// Pure: every lookup comes in through RefSource, so it is unit-tested without a cluster.
import type { Obj } from './kube-client.ts';

export interface PodFacts { podIP: string; hostIP: string; nodeName: string }

/** Decoded data of Secrets and ConfigMaps; undefined when the object does not exist. */
export interface RefSource {
  secret(namespace: string, name: string): Record<string, string> | undefined;
  configMap(namespace: string, name: string): Record<string, string> | undefined;
}

export interface EnvResult {
  env: Record<string, string>;
  /** Non-optional references that cannot be resolved yet; the kubelet waits on these. */
  missing: string[];
}

/** Expands $(NAME) from vars, leaves unknown references as written, turns $$ into $. */
export function expandVars(value: string, vars: Record<string, string>): string {
  return value.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (m, name?: string) => {
    if (m === '$$') return '$';
    return name !== undefined && Object.hasOwn(vars, name) ? vars[name] : m;
  });
}

/** Resolves a downward-API fieldPath such as metadata.name or metadata.labels['app']. */
export function fieldPathValue(pod: Obj, path: string, facts: PodFacts): string | undefined {
  const meta = pod.metadata ?? {};
  const keyed = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (keyed) return meta[keyed[1]]?.[keyed[2]] ?? '';
  switch (path) {
    case 'metadata.name': return meta.name;
    case 'metadata.namespace': return meta.namespace;
    case 'metadata.uid': return meta.uid;
    case 'metadata.labels': return formatMap(meta.labels);
    case 'metadata.annotations': return formatMap(meta.annotations);
    case 'spec.nodeName': return facts.nodeName;
    case 'spec.serviceAccountName': return pod.spec?.serviceAccountName ?? 'default';
    case 'status.podIP': case 'status.podIPs': return facts.podIP;
    case 'status.hostIP': case 'status.hostIPs': return facts.hostIP;
    default: return undefined;
  }
}

// The downward API file format for label/annotation maps: key="value" lines, sorted.
export function formatMap(m: Record<string, string> | undefined): string {
  return Object.keys(m ?? {}).sort().map((k) => `${k}=${JSON.stringify(m![k])}`).join('\n');
}

export function buildEnv(pod: Obj, container: Obj, facts: PodFacts, refs: RefSource): EnvResult {
  const ns: string = pod.metadata.namespace;
  const env: Record<string, string> = {};
  const missing: string[] = [];

  for (const from of container.envFrom ?? []) {
    const ref = from.configMapRef ?? from.secretRef;
    const kind = from.configMapRef ? 'configmap' : 'secret';
    const data = from.configMapRef ? refs.configMap(ns, ref.name) : refs.secret(ns, ref.name);
    if (!data) {
      if (!ref.optional) missing.push(`${kind} ${ns}/${ref.name}`);
      continue;
    }
    for (const [k, v] of Object.entries(data)) env[(from.prefix ?? '') + k] = v;
  }

  for (const e of container.env ?? []) {
    if (e.valueFrom === undefined) {
      env[e.name] = expandVars(e.value ?? '', env);
      continue;
    }
    const vf = e.valueFrom;
    if (vf.fieldRef) {
      const v = fieldPathValue(pod, vf.fieldRef.fieldPath, facts);
      if (v === undefined) missing.push(`unsupported fieldPath ${vf.fieldRef.fieldPath}`);
      else env[e.name] = v;
    } else if (vf.secretKeyRef || vf.configMapKeyRef) {
      const ref = vf.secretKeyRef ?? vf.configMapKeyRef;
      const kind = vf.secretKeyRef ? 'secret' : 'configmap';
      const data = vf.secretKeyRef ? refs.secret(ns, ref.name) : refs.configMap(ns, ref.name);
      const v = data?.[ref.key];
      if (v !== undefined) env[e.name] = v;
      else if (!ref.optional) missing.push(`${kind} ${ns}/${ref.name} key ${ref.key}`);
    } else if (vf.resourceFieldRef) {
      // No resource accounting here: report a nominal whole unit.
      env[e.name] = '1';
    }
  }
  return { env, missing };
}
