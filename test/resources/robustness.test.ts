// Bad input gets diagnostics, never a crash: thousands of seeded random corruptions of real
// manifests (any node replaced by a value of any type, including null, lists and objects) go
// through admission, and each either loads or is reported.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { admitDocuments, collectManifestFiles } from '../../src/resources/load.ts';
import { parseManifests, type ParsedDocument } from '../../src/resources/parse.ts';
import { conformanceModule, gatewayApiModule } from './gateway-api-module.ts';
import { prng } from '../helpers/prng.ts';

const VALUES: unknown[] = [null, true, 0, -1, 1.5, 2 ** 40, '', 'x', '*', [], [null], [1, 'a'], {}, { a: null }, { type: 'Exact' }, [{}], [[]]];

function corrupt(value: any, rand: () => number): any {
  const copy = structuredClone(value);
  const nodes: { parent: any; key: string | number }[] = [];
  const walk = (v: any) => {
    if (v && typeof v === 'object') {
      for (const k of Object.keys(v)) {
        nodes.push({ parent: v, key: Array.isArray(v) ? Number(k) : k });
        walk(v[k]);
      }
    }
  };
  walk(copy);
  for (let n = 1 + Math.floor(rand() * 3); n > 0 && nodes.length > 0; n--) {
    const node = nodes[Math.floor(rand() * nodes.length)]!;
    node.parent[node.key] = structuredClone(VALUES[Math.floor(rand() * VALUES.length)]);
  }
  return copy;
}

test('thousands of corrupted manifests are reported, never crash', async () => {
  const { files } = await collectManifestFiles([join(gatewayApiModule(), 'examples'), join(conformanceModule(), 'tests')]);
  const seeds: ParsedDocument[] = [];
  for (const f of files) seeds.push(...parseManifests(await readFile(f, 'utf8'), f).documents);
  assert.ok(seeds.length > 200);
  const rand = prng(2257);
  let rejected = 0;
  for (let i = 0; i < 4000; i++) {
    const seed = seeds[Math.floor(rand() * seeds.length)]!;
    const doc = { ...seed, object: corrupt(seed.object, rand) };
    const r = admitDocuments([doc]);
    assert.equal(r.objects.length + (r.diagnostics.length > 0 ? 1 : 0) >= 1, true);
    if (r.objects.length === 0) rejected++;
  }
  assert.ok(rejected > 1000, `only ${rejected} rejected: corruption too mild to test anything`);
});

test('an object without metadata, or with metadata of the wrong type, is reported', () => {
  for (const metadata of [undefined, 'x', [], 7]) {
    const object: Record<string, unknown> = { apiVersion: 'v1', kind: 'ConfigMap' };
    if (metadata !== undefined) object['metadata'] = metadata;
    const r = admitDocuments([{ object, file: 'm.yaml', line: 1, positions: new Map() }]);
    assert.equal(r.objects.length, 0);
    assert.ok(r.diagnostics.some((d) => d.field?.startsWith('metadata')), JSON.stringify(r.diagnostics));
  }
});
