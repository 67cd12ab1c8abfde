// The file provider against a real directory on disk: initial load, live edits (in place, by
// rename, new files and directories, deletions), broken edits keeping the last good objects, and
// file-mode metadata (first-read timestamp, generation bumps).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileProvider } from '../../../src/providers/file/index.ts';
import type { SnapshotUpdate } from '../../../src/providers/api.ts';

function route(name: string, path: string, extra = ''): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: ${name}
  namespace: default
${extra}spec:
  parentRefs: [{ name: gw }]
  rules:
  - matches: [{ path: { type: PathPrefix, value: ${path} } }]
`;
}

async function setup() {
  const dir = await mkdtemp(join(tmpdir(), 'wicket-fp-'));
  const updates: SnapshotUpdate[] = [];
  let clock = Date.parse('2026-01-01T00:00:00Z');
  const provider = new FileProvider({ paths: [dir], quietMs: 10, maxDelayMs: 100, now: () => new Date((clock += 1000)) });
  const waitFor = async (pred: (u: SnapshotUpdate) => boolean, what: string) => {
    for (let i = 0; i < 1000; i++) {
      const last = updates.at(-1);
      if (last && pred(last)) return last;
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.fail(`timed out waiting for: ${what}; last update: ${JSON.stringify(updates.at(-1))}`);
  };
  const cleanup = async () => {
    await provider.stop();
    await rm(dir, { recursive: true, force: true });
  };
  return { dir, provider, updates, waitFor, cleanup };
}

const names = (u: SnapshotUpdate) => u.snapshot.httpRoutes.map((r) => r.metadata.name).sort();
const pathOf = (u: SnapshotUpdate, name: string) =>
  u.snapshot.httpRoutes.find((r) => r.metadata.name === name)?.spec.rules?.[0]?.matches?.[0]?.path?.value;

test('loads a directory recursively and follows edits, renames, new directories and deletions', async (t) => {
  const { dir, provider, updates, waitFor, cleanup } = await setup();
  t.after(cleanup);
  await writeFile(join(dir, 'a.yaml'), route('a', '/a'));
  await mkdir(join(dir, 'sub'));
  await writeFile(join(dir, 'sub', 'b.yml'), route('b', '/b'));
  await writeFile(join(dir, 'notes.txt'), 'not a manifest');
  await provider.start((u) => updates.push(u));
  assert.deepEqual(names(updates.at(-1)!), ['a', 'b']);

  // In-place edit.
  await writeFile(join(dir, 'a.yaml'), route('a', '/a2'));
  await waitFor((u) => pathOf(u, 'a') === '/a2', 'in-place edit');

  // Editor-style save: write a temporary file, rename it over the original.
  await writeFile(join(dir, '.a.yaml.swp'), route('a', '/a3'));
  await rename(join(dir, '.a.yaml.swp'), join(dir, 'a.yaml'));
  await waitFor((u) => pathOf(u, 'a') === '/a3', 'rename-over save');

  // A directory created later, with a file in it.
  await mkdir(join(dir, 'later', 'deeper'), { recursive: true });
  await writeFile(join(dir, 'later', 'deeper', 'c.yaml'), route('c', '/c'));
  await waitFor((u) => names(u).includes('c'), 'file in a new directory');
  await writeFile(join(dir, 'later', 'deeper', 'c.yaml'), route('c', '/c2'));
  await waitFor((u) => pathOf(u, 'c') === '/c2', 'edit in the new directory');

  // Deleting a file removes its objects.
  await rm(join(dir, 'sub', 'b.yml'));
  await waitFor((u) => !names(u).includes('b'), 'deleted file');
  assert.deepEqual(names(updates.at(-1)!), ['a', 'c']);
});

test('a broken edit keeps the last good objects serving and reports the problem', async (t) => {
  const { dir, provider, updates, waitFor, cleanup } = await setup();
  t.after(cleanup);
  await writeFile(join(dir, 'a.yaml'), route('a', '/a') + '---\n' + route('x', '/x'));
  await provider.start((u) => updates.push(u));
  assert.deepEqual(names(updates.at(-1)!), ['a', 'x']);

  await writeFile(join(dir, 'a.yaml'), 'kind: HTTPRoute\nmetadata: [unclosed\n');
  const broken = await waitFor((u) => u.diagnostics.length > 0, 'diagnostic for the broken file');
  assert.deepEqual(names(broken), ['a', 'x'], 'last good objects keep serving');
  assert.equal(pathOf(broken, 'a'), '/a');
  assert.equal(broken.diagnostics[0]!.code, 'WICKET_ERR_PARSE');
  assert.match(broken.diagnostics[0]!.file!, /a\.yaml$/);
  // The unparseable document is charged to each object kept at its last good version.
  assert.deepEqual(broken.diagnostics.map((d) => d.name).sort(), ['a', 'x']);

  // Fixed again: the file says exactly what is served (x is gone now).
  await writeFile(join(dir, 'a.yaml'), route('a', '/fixed'));
  const fixed = await waitFor((u) => u.diagnostics.length === 0, 'diagnostics cleared');
  assert.deepEqual(names(fixed), ['a']);
  assert.equal(pathOf(fixed, 'a'), '/fixed');
});

test('a file that never parsed contributes nothing but a diagnostic; other files serve', async (t) => {
  const { dir, provider, updates, cleanup } = await setup();
  t.after(cleanup);
  await writeFile(join(dir, 'good.yaml'), route('good', '/g'));
  await writeFile(join(dir, 'bad.yaml'), 'apiVersion: v1\nkind: Frobnicator\nmetadata: {name: f}\n');
  await provider.start((u) => updates.push(u));
  const u = updates.at(-1)!;
  assert.deepEqual(names(u), ['good']);
  assert.equal(u.diagnostics.length, 1);
  assert.match(u.diagnostics[0]!.file!, /bad\.yaml$/);
});

test('file-mode metadata: first-read timestamp kept, generation grows with spec changes only', async (t) => {
  const { dir, provider, updates, waitFor, cleanup } = await setup();
  t.after(cleanup);
  await writeFile(join(dir, 'a.yaml'), route('a', '/a'));
  await writeFile(join(dir, 'pinned.yaml'), route('pinned', '/p', '  creationTimestamp: "2020-05-05T00:00:00Z"\n  generation: 7\n'));
  await provider.start((u) => updates.push(u));
  const meta = (u: SnapshotUpdate, n: string) => u.snapshot.httpRoutes.find((r) => r.metadata.name === n)!.metadata;
  const first = meta(updates.at(-1)!, 'a');
  assert.equal(first.generation, 1);
  assert.ok(first.creationTimestamp);
  assert.deepEqual(
    { t: meta(updates.at(-1)!, 'pinned').creationTimestamp, g: meta(updates.at(-1)!, 'pinned').generation },
    { t: '2020-05-05T00:00:00Z', g: 7 },
  );

  // A label change is not a spec change.
  await writeFile(join(dir, 'a.yaml'), route('a', '/a', '  labels: { team: x }\n'));
  const relabelled = await waitFor((u) => meta(u, 'a').labels?.['team'] === 'x', 'label change');
  assert.equal(meta(relabelled, 'a').generation, 1);

  await writeFile(join(dir, 'a.yaml'), route('a', '/a-changed'));
  const changed = await waitFor((u) => pathOf(u, 'a') === '/a-changed', 'spec change');
  assert.equal(meta(changed, 'a').generation, 2);
  assert.equal(meta(changed, 'a').creationTimestamp, first.creationTimestamp, 'timestamp kept across reloads');
});

test('the same object in two files: the first file wins, the second is reported', async (t) => {
  const { dir, provider, updates, cleanup } = await setup();
  t.after(cleanup);
  await writeFile(join(dir, '1.yaml'), route('dup', '/one'));
  await writeFile(join(dir, '2.yaml'), route('dup', '/two'));
  await provider.start((u) => updates.push(u));
  const u = updates.at(-1)!;
  assert.equal(pathOf(u, 'dup'), '/one');
  assert.equal(u.diagnostics.length, 1);
  assert.equal(u.diagnostics[0]!.code, 'WICKET_ERR_DUPLICATE_OBJECT');
});

test('a file emptied on purpose removes its objects (after a short re-check)', async (t) => {
  const { dir, provider, updates, waitFor, cleanup } = await setup();
  t.after(cleanup);
  await writeFile(join(dir, 'a.yaml'), route('a', '/a'));
  await writeFile(join(dir, 'b.yaml'), route('b', '/b'));
  await provider.start((u) => updates.push(u));
  await writeFile(join(dir, 'a.yaml'), '');
  const u = await waitFor((x) => !names(x).includes('a'), 'emptied file drops its objects');
  assert.deepEqual(names(u), ['b']);
  assert.deepEqual(u.diagnostics, []);
});

test('removing a directory removes the objects of every file in it', async (t) => {
  const { dir, provider, updates, waitFor, cleanup } = await setup();
  t.after(cleanup);
  await mkdir(join(dir, 'team', 'nested'), { recursive: true });
  await writeFile(join(dir, 'keep.yaml'), route('keep', '/k'));
  await writeFile(join(dir, 'team', 'a.yaml'), route('a', '/a'));
  await writeFile(join(dir, 'team', 'nested', 'b.yaml'), route('b', '/b'));
  await provider.start((u) => updates.push(u));
  assert.deepEqual(names(updates.at(-1)!), ['a', 'b', 'keep']);
  await rm(join(dir, 'team'), { recursive: true });
  await waitFor((u) => names(u).length === 1, 'directory removed');
  assert.deepEqual(names(updates.at(-1)!), ['keep']);
  // Created again under the same name: watched again.
  await mkdir(join(dir, 'team'));
  await writeFile(join(dir, 'team', 'c.yaml'), route('c', '/c'));
  await waitFor((u) => names(u).includes('c'), 're-created directory');
});

test('a single file given as the path: replaced by rename, deleted, and created again', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'wicket-fp-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'only.yaml');
  await writeFile(file, route('one', '/1'));
  await writeFile(join(dir, 'other.yaml'), route('other', '/o')); // same directory, not given: ignored
  const updates: SnapshotUpdate[] = [];
  const provider = new FileProvider({ paths: [file], quietMs: 10, maxDelayMs: 100 });
  t.after(() => provider.stop());
  await provider.start((u) => updates.push(u));
  assert.deepEqual(names(updates.at(-1)!), ['one']);
  const waitFor = async (pred: (u: SnapshotUpdate) => boolean, what: string) => {
    for (let i = 0; i < 1000; i++) {
      if (updates.length && pred(updates.at(-1)!)) return;
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.fail(`timed out waiting for: ${what}`);
  };
  await writeFile(join(dir, 'tmp.yaml.new'), route('one', '/renamed'));
  await rename(join(dir, 'tmp.yaml.new'), file);
  await waitFor((u) => pathOf(u, 'one') === '/renamed', 'rename-over of the given file');
  await rm(file);
  await waitFor((u) => names(u).length === 0 && u.diagnostics.some((d) => d.code === 'WICKET_ERR_READ'), 'file deleted: objects gone, READ diagnostic');
  await writeFile(file, route('one', '/back'));
  await waitFor((u) => pathOf(u, 'one') === '/back' && u.diagnostics.length === 0, 'file created again');
});

test('a storm of writes converges on the last content', async (t) => {
  const { dir, provider, updates, waitFor, cleanup } = await setup();
  t.after(cleanup);
  await writeFile(join(dir, 'a.yaml'), route('a', '/v0'));
  await provider.start((u) => updates.push(u));
  for (let i = 1; i <= 200; i++) await writeFile(join(dir, 'a.yaml'), route('a', `/v${i}`));
  await waitFor((u) => pathOf(u, 'a') === '/v200', 'the last write');
  // Far fewer snapshots than writes: bursts were coalesced.
  assert.ok(updates.length < 200, `${updates.length} snapshots for 200 writes`);
  assert.ok(updates.every((u) => names(u).includes('a')), 'no snapshot lost the object mid-write: ' + JSON.stringify(updates.find((u) => !names(u).includes('a'))));
});

test('a Kubernetes ConfigMap volume: files are links through ..data, updated by swapping the link', async (t) => {
  const { dir, provider, updates, waitFor, cleanup } = await setup();
  t.after(cleanup);
  // The kubelet's layout: ..<timestamp>/ holds the files, ..data links to it, and each visible
  // file links to ..data/<file>. An update writes a new ..<timestamp>/ and renames a new link
  // over ..data.
  await mkdir(join(dir, '..v1'));
  await writeFile(join(dir, '..v1', 'routes.yaml'), route('a', '/one'));
  await symlink('..v1', join(dir, '..data'));
  await symlink(join('..data', 'routes.yaml'), join(dir, 'routes.yaml'));
  await provider.start((u) => updates.push(u));
  assert.deepEqual(names(updates.at(-1)!), ['a'], 'read once, through the link (dot entries are not walked)');
  assert.equal(pathOf(updates.at(-1)!, 'a'), '/one');

  await mkdir(join(dir, '..v2'));
  await writeFile(join(dir, '..v2', 'routes.yaml'), route('a', '/two'));
  await symlink('..v2', join(dir, '..data_tmp'));
  await rename(join(dir, '..data_tmp'), join(dir, '..data'));
  await rm(join(dir, '..v1'), { recursive: true });
  await waitFor((u) => pathOf(u, 'a') === '/two', 'the swapped content');
});
