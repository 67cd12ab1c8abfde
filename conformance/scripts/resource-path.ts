// REST paths for an object, found through API discovery (so CRDs and built-ins alike).
import type { KubeClient, Obj } from '../fakelet/kube-client.ts';

const cache = new Map<string, Obj[]>();

export async function resourcePath(kube: KubeClient, obj: Obj): Promise<{ collection: string; item: string }> {
  const gv: string = obj.apiVersion;
  const base = gv.includes('/') ? `/apis/${gv}` : `/api/${gv}`;
  let resources = cache.get(gv);
  if (!resources) {
    resources = (await kube.get(base)).resources as Obj[];
    cache.set(gv, resources);
  }
  const r = resources.find((x) => x.kind === obj.kind && !x.name.includes('/'));
  if (!r) throw new Error(`no resource for ${gv} ${obj.kind}`);
  const ns = r.namespaced ? `/namespaces/${obj.metadata.namespace ?? 'default'}` : '';
  const collection = `${base}${ns}/${r.name}`;
  return { collection, item: `${collection}/${obj.metadata.name}` };
}
