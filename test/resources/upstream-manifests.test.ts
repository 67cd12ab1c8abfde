// Mechanical checks against the Gateway API project's own manifests:
// - every example (examples/) and every manifest of the conformance suite (tests/, base/, mesh/)
//   is accepted by a real API server, so it must validate clean here (the suite applies its
//   manifests to a real cluster: the ones made to be invalid at runtime still pass the schema);
// - every manifest under hack/invalid-examples is rejected by the CRDs, so it must be rejected here.
// Each file is loaded on its own (the examples reuse names across files).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatDiagnostic } from '../../src/resources/diagnostic.ts';
import { isKnownKind } from '../../src/resources/kinds.ts';
import { admitDocuments, collectManifestFiles } from '../../src/resources/load.ts';
import { parseManifests } from '../../src/resources/parse.ts';
import { conformanceModule, gatewayApiModule, substituteSuitePlaceholders } from './gateway-api-module.ts';

async function problemsOf(file: string): Promise<{ documents: number; problems: string[] }> {
  const parsed = parseManifests(substituteSuitePlaceholders(await readFile(file, 'utf8')), file);
  // Kinds Wicket does not read (Deployments of the suite's backends) are not ours to judge.
  const ours = parsed.documents.filter((d) => isKnownKind(d.object['kind']));
  const { diagnostics } = admitDocuments(ours);
  return { documents: ours.length, problems: [...parsed.diagnostics, ...diagnostics].map(formatDiagnostic) };
}

async function expectAllValid(dirs: string[], minFiles: number): Promise<void> {
  const { files, diagnostics } = await collectManifestFiles(dirs);
  assert.deepEqual(diagnostics, []);
  assert.ok(files.length >= minFiles, `only ${files.length} files found in ${dirs.join(', ')}`);
  const problems: string[] = [];
  let documents = 0;
  for (const file of files) {
    const r = await problemsOf(file);
    documents += r.documents;
    problems.push(...r.problems);
  }
  assert.ok(documents > files.length / 2, `only ${documents} documents of known kinds`);
  assert.deepEqual(problems, []);
}

test('every Gateway API example validates clean', async () => {
  await expectAllValid([join(gatewayApiModule(), 'examples')], 50);
});

test('every conformance manifest (tests, base, mesh) validates clean', async () => {
  const root = conformanceModule();
  await expectAllValid([join(root, 'tests'), join(root, 'base'), join(root, 'mesh')], 100);
});

test('every invalid example of the Gateway API project is rejected', async () => {
  const { files } = await collectManifestFiles([join(gatewayApiModule(), 'hack', 'invalid-examples')]);
  assert.ok(files.length >= 30, `only ${files.length} invalid examples found`);
  const accepted: string[] = [];
  for (const file of files) {
    const r = await problemsOf(file);
    if (r.documents > 0 && r.problems.length === 0) accepted.push(file);
  }
  assert.deepEqual(accepted, []);
});
