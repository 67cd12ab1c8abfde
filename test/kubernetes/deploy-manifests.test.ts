// deploy/ parses, and its RBAC grants what the provider uses: every watched kind readable, the
// status subresource of every kind we write, Leases and Events.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { KINDS } from '../../src/providers/kubernetes/kinds.ts';
import { leaseNameFor } from '../../src/providers/kubernetes/index.ts';

const DEPLOY = resolve(import.meta.dirname, '../../deploy');

function load(): any[] {
  const docs: any[] = [];
  for (const f of readdirSync(DEPLOY).filter((f) => f.endsWith('.yaml'))) {
    for (const d of parseAllDocuments(readFileSync(join(DEPLOY, f), 'utf8'))) {
      assert.deepEqual(d.errors, [], `${f} parses`);
      const js = d.toJS();
      if (js) docs.push({ ...js, __file: f });
    }
  }
  return docs;
}

function allows(rules: any[], group: string, resource: string, verb: string, name?: string): boolean {
  return rules.some((r) => r.apiGroups.includes(group) && r.resources.includes(resource) && r.verbs.includes(verb) && (!r.resourceNames || (name && r.resourceNames.includes(name))));
}

test('every manifest parses and has apiVersion, kind and metadata.name', () => {
  const docs = load();
  assert.ok(docs.length >= 8);
  for (const d of docs) {
    if (d.kind === 'Kustomization') continue;
    assert.ok(d.apiVersion && d.kind && d.metadata?.name, `${d.__file}: ${d.kind} has apiVersion, kind, metadata.name`);
  }
  const kustomize = docs.find((d) => d.kind === 'Kustomization');
  for (const r of kustomize.resources) assert.ok(readdirSync(DEPLOY).includes(r), `kustomization lists existing ${r}`);
});

test('the ClusterRole grants exactly the reads and status writes the provider needs', () => {
  const docs = load();
  const role = docs.find((d) => d.kind === 'ClusterRole');
  for (const k of KINDS) {
    for (const verb of ['get', 'list', 'watch']) assert.ok(allows(role.rules, k.group, k.plural, verb), `${verb} ${k.plural}`);
    if (k.hasStatus) assert.ok(allows(role.rules, k.group, `${k.plural}/status`, 'update'), `update ${k.plural}/status`);
    for (const verb of ['create', 'update', 'patch', 'delete']) assert.ok(!allows(role.rules, k.group, k.plural, verb), `no ${verb} on ${k.plural}`);
  }
  assert.ok(allows(role.rules, 'events.k8s.io', 'events', 'create'));
  const lease = docs.find((d) => d.kind === 'Role' && d.metadata.name === 'wicket-leader-election');
  const deployment = docs.find((d) => d.kind === 'Deployment');
  const controllerName = deployment.spec.template.spec.containers[0].args.find((a: string) => a.startsWith('--controller-name='))!.split('=')[1];
  const leaseName = leaseNameFor(controllerName);
  assert.equal(leaseName, 'wicket-dev-gateway-controller');
  for (const verb of ['get', 'update']) assert.ok(allows(lease.rules, 'coordination.k8s.io', 'leases', verb, leaseName), `${verb} lease ${leaseName}`);
  assert.ok(allows(lease.rules, 'coordination.k8s.io', 'leases', 'create'));
  assert.equal(lease.metadata.namespace, deployment.metadata.namespace);
});

test('the Deployment runs npx wicket run with the downward-API env leader election reads', () => {
  const docs = load();
  const dep = docs.find((d) => d.kind === 'Deployment');
  const c = dep.spec.template.spec.containers[0];
  assert.deepEqual(c.command, ['npx', 'wicket', 'run']);
  assert.deepEqual(c.env.filter((e: any) => e.valueFrom).map((e: any) => e.name).sort(), ['POD_NAME', 'POD_NAMESPACE']);
  assert.equal(dep.spec.template.spec.serviceAccountName, docs.find((d) => d.kind === 'ServiceAccount').metadata.name);
  const svc = docs.find((d) => d.kind === 'Service');
  const portNames = new Set(c.ports.map((p: any) => p.name));
  for (const p of svc.spec.ports) assert.ok(portNames.has(p.targetPort), `service port ${p.name} targets a container port`);
  const gc = docs.find((d) => d.kind === 'GatewayClass');
  assert.equal(gc.spec.controllerName, 'wicket.dev/gateway-controller');
});
