// The contract between our schema DSL and the CRDs: for every node of every served version's spec
// schema, the constraints the API server enforces (types, enums, patterns, lengths, bounds, item
// counts, required fields, list uniqueness) are the same in our DSL at the same path, our DSL has
// no field the CRD lacks, and every node with CEL rules has rules of ours at or just above it.
// A change of the CRDs (a new release) fails here until the DSL follows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { KINDS } from '../../src/resources/kinds.ts';
import type { Kind } from '../../src/resources/types.ts';
import { objectSchema } from '../../src/resources/validate/index.ts';
import type { Schema } from '../../src/resources/validate/schema.ts';
import { gatewayApiModule } from './gateway-api-module.ts';

interface CRDNode {
  type?: string;
  'x-kubernetes-int-or-string'?: boolean;
  enum?: unknown[];
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  maxProperties?: number;
  minProperties?: number;
  required?: string[];
  properties?: Record<string, CRDNode>;
  items?: CRDNode;
  additionalProperties?: CRDNode | boolean;
  'x-kubernetes-list-type'?: string;
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-validations'?: { rule: string }[];
  oneOf?: unknown[];
  anyOf?: unknown[];
  allOf?: unknown[];
  not?: unknown;
  format?: string;
}

const CRD_DIR = join(gatewayApiModule(), 'config', 'crd', 'experimental');

function ourType(node: Schema): string {
  return node.type === 'int-or-string' ? 'int-or-string' : node.type;
}

function crdType(node: CRDNode): string {
  return node['x-kubernetes-int-or-string'] ? 'int-or-string' : (node.type ?? '?');
}

const CONSTRAINTS = ['enum', 'pattern', 'minLength', 'maxLength', 'minimum', 'maximum', 'minItems', 'maxItems', 'minProperties', 'maxProperties'] as const;

function compare(crd: CRDNode, ours: Schema | undefined, ourParent: Schema | undefined, path: string, out: string[]): void {
  if (!ours) {
    out.push(`${path}: missing from our schema`);
    return;
  }
  if (crdType(crd) !== ourType(ours)) out.push(`${path}: type: CRD ${crdType(crd)}, ours ${ourType(ours)}`);
  const o = ours as unknown as Record<string, unknown>;
  for (const c of CONSTRAINTS) {
    const want = crd[c] === undefined ? undefined : JSON.stringify(crd[c]);
    const have = o[c] === undefined ? undefined : JSON.stringify(o[c]);
    if (want !== have) out.push(`${path}: ${c}: CRD ${want ?? '(none)'}, ours ${have ?? '(none)'}`);
  }
  const req = JSON.stringify([...(crd.required ?? [])].sort());
  const ourReq = JSON.stringify([...((o['required'] as string[] | undefined) ?? [])].sort());
  if (req !== ourReq) out.push(`${path}: required: CRD ${req}, ours ${ourReq}`);
  const listType = crd['x-kubernetes-list-type'];
  if ((listType === 'set' || listType === 'map') && o['listType'] !== listType) out.push(`${path}: listType: CRD ${listType}, ours ${String(o['listType'])}`);
  if (listType === 'map' && JSON.stringify(crd['x-kubernetes-list-map-keys']) !== JSON.stringify(o['listMapKeys'])) out.push(`${path}: listMapKeys differ`);
  // Immutability rules (oldSelf) apply to updates only; uniqueness of a list-map's key is what
  // listType map already enforces.
  const mapKeys = crd['x-kubernetes-list-map-keys'] ?? [];
  const cel = (crd['x-kubernetes-validations'] ?? []).filter((v) => {
    if (v.rule.includes('oldSelf')) return false;
    const unique = /^self\.all\((\w+), self\.exists_one\((\w+), \1\.(\w+) == \2\.\3\)\)$/.exec(v.rule.trim());
    return !(unique && listType === 'map' && mapKeys.length === 1 && mapKeys[0] === unique[3]);
  });
  if (cel.length > 0 && !(ours.rules?.length || ourParent?.rules?.length)) {
    out.push(`${path}: CRD has ${cel.length} CEL rule(s); ours has no rule here or on the parent`);
  }

  // oneOf/anyOf/allOf/not and string formats (ipv4, …) are checked by rule functions too.
  const structural = ['oneOf', 'anyOf', 'allOf', 'not'].filter((k) => k in crd);
  if (crd.type === 'string' && crd.format) structural.push(`format ${crd.format}`);
  if (structural.length > 0 && !(ours.rules?.length || ourParent?.rules?.length)) {
    out.push(`${path}: CRD has ${structural.join(', ')}; ours has no rule here or on the parent`);
  }

  if (crd.properties) {
    const props = ours.type === 'object' ? (ours.properties ?? {}) : {};
    for (const [name, child] of Object.entries(crd.properties)) compare(child, props[name], ours, `${path}.${name}`, out);
    for (const name of Object.keys(props)) if (!(name in crd.properties)) out.push(`${path}.${name}: in our schema, not in the CRD`);
  } else if (ours.type === 'object' && ours.properties && Object.keys(ours.properties).length > 0) {
    out.push(`${path}: ours lists properties, the CRD does not`);
  }
  if (crd.items) compare(crd.items, ours.type === 'array' ? ours.items : undefined, ours, `${path}[]`, out);
  if (crd.additionalProperties && typeof crd.additionalProperties === 'object') {
    compare(crd.additionalProperties, ours.type === 'object' ? ours.additionalProperties : undefined, ours, `${path}{}`, out);
  }
}

const crdFiles = readdirSync(CRD_DIR).filter((f) => f.startsWith('gateway.networking.k8s.io_') && f.endsWith('.yaml') && !f.includes('vap_'));

test('the experimental CRDs of the module are there to compare with', () => {
  assert.ok(crdFiles.length >= 10, `found ${crdFiles.join(', ')}`);
});

for (const file of crdFiles) {
  const crd = parse(readFileSync(join(CRD_DIR, file), 'utf8'));
  const kind = crd.spec.names.kind as Kind;
  for (const version of crd.spec.versions.filter((v: { served: boolean }) => v.served)) {
    const apiVersion = `${crd.spec.group}/${version.name}`;
    test(`${kind} ${version.name}: our schema has the CRD's constraints at the same paths`, () => {
      assert.ok(KINDS[kind]?.apiVersions.includes(apiVersion), `${apiVersion} is served by the CRD but not accepted for ${kind} in kinds.ts`);
      const ours = objectSchema(kind, apiVersion);
      const root: CRDNode = version.schema.openAPIV3Schema;
      const out: string[] = [];
      assert.deepEqual(root.required, ['spec']);
      compare(root.properties!['spec']!, ours.properties?.['spec'], undefined, 'spec', out);
      assert.deepEqual(out, []);
    });
  }
}

test('every apiVersion we accept for a Gateway API kind is served by its CRD', () => {
  const served = new Set<string>();
  for (const file of crdFiles) {
    const crd = parse(readFileSync(join(CRD_DIR, file), 'utf8'));
    for (const v of crd.spec.versions) if (v.served) served.add(`${crd.spec.names.kind} ${crd.spec.group}/${v.name}`);
  }
  for (const info of Object.values(KINDS)) {
    for (const apiVersion of info.apiVersions) {
      if (apiVersion.startsWith('gateway.networking.k8s.io/')) assert.ok(served.has(`${info.kind} ${apiVersion}`), `${info.kind} ${apiVersion}`);
    }
  }
});
