// Creates or replaces the objects of YAML files (several documents per file allowed),
// then waits for applied CRDs to be Established. No kubectl exists on the machine.
// Usage: node apply.ts --kubeconfig K [--wait-crds 60] FILE...
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { loadKubeconfig } from '../fakelet/kubeconfig.ts';
import { KubeClient, KubeError, type Obj } from '../fakelet/kube-client.ts';
import { resourcePath } from './resource-path.ts';

const { values, positionals } = parseArgs({
  options: { kubeconfig: { type: 'string' }, 'wait-crds': { type: 'string', default: '60' } },
  allowPositionals: true,
});
const kube = new KubeClient(loadKubeconfig(values.kubeconfig!));

const crds: string[] = [];
for (const file of positionals) {
  for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
    const obj = doc.toJS() as Obj | null;
    if (!obj?.kind) continue;
    const path = await resourcePath(kube, obj);
    try {
      await kube.post(path.collection, obj);
    } catch (e) {
      if (!(e instanceof KubeError && e.status === 409)) throw e;
      const current = await kube.get(path.item);
      await kube.put(path.item, { ...obj, metadata: { ...obj.metadata, resourceVersion: current.metadata.resourceVersion } });
    }
    if (obj.kind === 'CustomResourceDefinition') crds.push(obj.metadata.name);
  }
}
console.log(`applied ${positionals.length} file(s), ${crds.length} CRD(s)`);

const deadline = Date.now() + Number(values['wait-crds']) * 1000;
for (const name of crds) {
  for (;;) {
    const crd = await kube.get(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`);
    if (crd.status?.conditions?.some((c: Obj) => c.type === 'Established' && c.status === 'True')) break;
    if (Date.now() > deadline) throw new Error(`CRD ${name} not Established in time`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
if (crds.length) console.log('all CRDs Established');
