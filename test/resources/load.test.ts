import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSnapshot, loadManifests } from '../../src/resources/load.ts';

async function withDir(files: Record<string, string>, fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'wicket-load-'));
  try {
    for (const [name, text] of Object.entries(files)) {
      await mkdir(join(dir, name, '..'), { recursive: true });
      await writeFile(join(dir, name), text);
    }
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const cm = (name: string, ns?: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n${ns ? `  namespace: ${ns}\n` : ''}data:\n  k: v\n`;

test('directories are read recursively, sorted, skipping dotfiles and other extensions', async () => {
  await withDir(
    {
      'b.yaml': cm('b'),
      'a.yml': cm('a'),
      'sub/c.json': JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'c' } }),
      '.hidden.yaml': cm('hidden'),
      '.git/x.yaml': cm('git'),
      'notes.txt': 'not yaml: [',
    },
    async (dir) => {
      const { objects, diagnostics } = await loadManifests([dir]);
      assert.deepEqual(diagnostics, []);
      assert.deepEqual(objects.map((o) => o.object.metadata.name), ['a', 'b', 'c']);
      assert.equal(objects[0]!.file, join(dir, 'a.yml'));
      assert.equal(objects[0]!.line, 1);
    },
  );
});

test('namespaced kinds default to "default"; cluster-scoped kinds carry no namespace', async () => {
  const text = cm('x') + '---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns1\n  namespace: oops\n';
  await withDir({ 'm.yaml': text }, async (dir) => {
    const { objects } = await loadManifests([join(dir, 'm.yaml')]);
    assert.equal(objects[0]!.object.metadata.namespace, 'default');
    assert.equal(objects[1]!.object.metadata.namespace, undefined);
  });
});

test('the same object twice: the first by path order is kept, the second reported with both positions', async () => {
  await withDir({ 'a.yaml': cm('x', 'ns1'), 'b.yaml': '# comment\n' + cm('x', 'ns1') + '---\n' + cm('x', 'ns2') }, async (dir) => {
    const { objects, diagnostics } = await loadManifests([dir]);
    assert.deepEqual(objects.map((o) => `${o.file.slice(dir.length + 1)}:${o.object.metadata.namespace}`), ['a.yaml:ns1', 'b.yaml:ns2']);
    assert.equal(diagnostics.length, 1);
    const d = diagnostics[0]!;
    assert.equal(d.code, 'WICKET_ERR_DUPLICATE_OBJECT');
    assert.equal(d.file, join(dir, 'b.yaml'));
    assert.equal(d.line, 2);
    assert.ok(d.message.includes(`${join(dir, 'a.yaml')}:1`), d.message);
  });
});

test('an unreadable path is WICKET_ERR_READ and the other paths still load', async () => {
  await withDir({ 'a.yaml': cm('a') }, async (dir) => {
    const { objects, diagnostics } = await loadManifests([join(dir, 'missing.yaml'), dir]);
    assert.equal(objects.length, 1);
    assert.equal(diagnostics.length, 1);
    assert.equal(diagnostics[0]!.code, 'WICKET_ERR_READ');
    assert.equal(diagnostics[0]!.file, join(dir, 'missing.yaml'));
  });
});

test('unknown kinds and apiVersions are reported with what is accepted', async () => {
  const text = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n---\napiVersion: gateway.networking.k8s.io/v1alpha2\nkind: HTTPRoute\nmetadata:\n  name: r\n';
  await withDir({ 'm.yaml': text }, async (dir) => {
    const { objects, diagnostics } = await loadManifests([dir]);
    assert.equal(objects.length, 0);
    assert.deepEqual(diagnostics.map((d) => [d.code, d.line, d.kind]), [
      ['WICKET_ERR_UNKNOWN_KIND', 2, 'Pod'],
      ['WICKET_ERR_UNKNOWN_KIND', 6, 'HTTPRoute'],
    ]);
    assert.match(diagnostics[1]!.message, /gateway\.networking\.k8s\.io\/v1, gateway\.networking\.k8s\.io\/v1beta1/);
  });
});

test('Secret stringData is folded into data as base64', async () => {
  const text = 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\ndata:\n  a: YQ==\nstringData:\n  b: hello\n  a: over\n';
  await withDir({ 'm.yaml': text }, async (dir) => {
    const { objects, diagnostics } = await loadManifests([dir]);
    assert.deepEqual(diagnostics, []);
    const secret = objects[0]!.object as { data?: Record<string, string>; stringData?: unknown };
    assert.deepEqual(secret.data, { a: Buffer.from('over').toString('base64'), b: Buffer.from('hello').toString('base64') });
    assert.equal(secret.stringData, undefined);
  });
});

test('buildSnapshot files objects by kind', async () => {
  const text = cm('x') + '---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns1\n';
  await withDir({ 'm.yaml': text }, async (dir) => {
    const { objects } = await loadManifests([dir]);
    const snapshot = buildSnapshot(objects);
    assert.equal(snapshot.configMaps.length, 1);
    assert.equal(snapshot.namespaces.length, 1);
    assert.equal(snapshot.gateways.length, 0);
  });
});

test('symbolic links are followed, as in a mounted ConfigMap, and a link loop ends', async () => {
  await withDir({ '..data/a.yaml': cm('a'), 'real/b.yaml': cm('b') }, async (dir) => {
    await symlink(join(dir, '..data', 'a.yaml'), join(dir, 'a.yaml'));
    await symlink(join(dir, 'real'), join(dir, 'linked'));
    await symlink(dir, join(dir, 'real', 'loop'));
    const { objects, diagnostics } = await loadManifests([dir]);
    assert.deepEqual(diagnostics.filter((d) => d.code !== 'WICKET_ERR_DUPLICATE_OBJECT'), []);
    assert.deepEqual(objects.map((o) => o.object.metadata.name), ['a', 'b']);
  });
});
