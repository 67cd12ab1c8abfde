// The file provider reads only the paths that change events name (and scans everything again only
// when an event names none, or a directory appears or goes). That must be invisible: after random
// sequences of file operations (writes in place, renames into place, deletions, new and removed
// directories, the same object defined in two files), the snapshot and problems the watching
// provider settles on equal what a fresh provider reads from the same directory. (Broken files are
// left out: what they keep serving depends on which earlier versions were read, by design.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileProvider } from '../../../src/providers/file/index.ts';
import type { SnapshotUpdate } from '../../../src/providers/api.ts';
import { loaderParser } from '../../../src/providers/file/loader-parser.ts';
import { scanPaths } from '../../../src/providers/file/scan.ts';
import { ErrorCodes } from '../../../src/errors.ts';
import type { Diagnostic } from '../../../src/resources/diagnostic.ts';
import { emptySnapshot, SNAPSHOT_FIELD } from '../../../src/resources/snapshot.ts';
import type { AnyObject } from '../../../src/resources/types.ts';
import { prng } from '../../helpers/prng.ts';

function route(name: string, path: string): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: ${name}
  namespace: default
spec:
  parentRefs: [{ name: gw }]
  rules:
  - matches: [{ path: { type: PathPrefix, value: ${path} } }]
`;
}

function service(name: string, port: number): string {
  return `apiVersion: v1
kind: Service
metadata:
  name: ${name}
  namespace: default
spec:
  ports: [{ port: ${port} }]
`;
}

/** What a snapshot serves, without the first-read timestamps (the two providers read at different times). */
function served(u: SnapshotUpdate): unknown {
  const objects = Object.entries(u.snapshot).map(([field, list]) => [
    field,
    (list as { metadata: Record<string, unknown> }[]).map((o) => ({ ...o, metadata: { ...o.metadata, creationTimestamp: undefined, generation: undefined } })),
  ]);
  const problems = u.diagnostics.map((d) => [d.code, d.file, d.kind, d.name, d.message.startsWith('already defined') ? d.message : '']);
  return JSON.parse(JSON.stringify({ objects, problems }));
}

/**
 * What reading every file from scratch serves, written out here rather than by a second provider
 * (which would share the provider's code): files in scan order, each parsed alone, the first
 * definition of an object wins and later ones are reported.
 */
function fullRead(dir: string): SnapshotUpdate {
  const snapshot = emptySnapshot();
  const diagnostics: Diagnostic[] = [];
  const owner = new Map<string, string>();
  for (const file of scanPaths([dir]).files) {
    const parsed = loaderParser(file, readFileSync(file, 'utf8'));
    diagnostics.push(...parsed.diagnostics);
    for (const o of parsed.objects) {
      const key = `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
      const first = owner.get(key);
      if (first !== undefined) {
        diagnostics.push({ code: ErrorCodes.DUPLICATE_OBJECT, file, kind: o.kind, namespace: o.metadata.namespace, name: o.metadata.name, message: `already defined in ${first}; this copy is ignored` });
        continue;
      }
      owner.set(key, file);
      (snapshot[SNAPSHOT_FIELD[o.kind]] as AnyObject[]).push(o);
    }
  }
  return { snapshot, diagnostics };
}

for (const seed of [1, 2, 3]) {
  test(`reading what events name settles on what a full read finds (seed ${seed})`, async (t) => {
    const r = prng(seed);
    const dir = await mkdtemp(join(tmpdir(), 'wicket-fpi-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const updates: SnapshotUpdate[] = [];
    const provider = new FileProvider({ paths: [dir], quietMs: 5, maxDelayMs: 50 });
    t.after(() => provider.stop());
    await writeFile(join(dir, 'base.yaml'), service('s', 80));
    await provider.start((u) => updates.push(u));
    const dirs = [dir];
    let tmp = 0;
    const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)]!;
    for (let step = 0; step < 40; step++) {
      const where = pick(dirs);
      const file = join(where, `f${Math.floor(r() * 5)}.yaml`);
      // Names collide across files on purpose (duplicates), never within one (the parser reports
      // that as a problem, and a file with problems keeps earlier objects), paths vary.
      const text = () => (r() < 0.8 ? route(`r${Math.floor(r() * 6)}`, `/p${step}`) : service(`s${Math.floor(r() * 2)}`, 80 + step)) + (r() < 0.3 ? '---\n' + route(`x${Math.floor(r() * 3)}`, '/second') : '');
      const x = r();
      if (x < 0.3) await writeFile(file, text());
      else if (x < 0.6) {
        const t = join(where, `.tmp-${tmp++}`);
        await writeFile(t, text());
        await rename(t, file);
      } else if (x < 0.75) await rm(file, { force: true });
      else if (x < 0.88 && dirs.length < 4) {
        const sub = join(where, `d${step}`);
        await mkdir(sub);
        await writeFile(join(sub, 'inner.yaml'), route(`r${Math.floor(r() * 6)}`, `/in${step}`));
        dirs.push(sub);
      } else if (dirs.length > 1 && x < 0.92) {
        // A directory renamed: no event names the files in it.
        const sub = dirs.pop()!;
        const moved = `${sub}-m${step}`;
        await rename(sub, moved);
        dirs.push(moved);
      } else if (dirs.length > 1 && x < 0.96) {
        // A directory moved out of the tree: only its old name is in an event.
        const sub = dirs.pop()!;
        const out = `${dir}-out${step}`;
        t.after(() => rm(out, { recursive: true, force: true }));
        await rename(sub, out);
      } else if (dirs.length > 1) {
        const sub = dirs.pop()!;
        await rm(sub, { recursive: true, force: true });
      }
      if (step % 4 !== 3) continue;
      // Settled: the watching provider has read every event, and no more come.
      const want = served(fullRead(dir));
      let got: unknown;
      for (let i = 0; i < 300; i++) {
        await new Promise((res) => setTimeout(res, 10));
        await provider.settled();
        got = served(updates.at(-1)!);
        if (JSON.stringify(got) === JSON.stringify(want)) break;
      }
      assert.deepEqual(got, want, `seed ${seed} step ${step}: files ${JSON.stringify(await readdir(dir, { recursive: true }))}`);
    }
  });
}
