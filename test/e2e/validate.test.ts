// `wicket validate -f PATH` as a real process: exit 0 and no output for clean manifests; exit 1 and
// `file:line: Kind ns/name: field: problem` lines on stdout otherwise; exit 2 on bad usage.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MAIN, REPO, routeYaml, tempDir } from './harness.ts';

function wicket(...args: string[]) {
  const r = spawnSync(process.execPath, [MAIN, ...args], { cwd: REPO, encoding: 'utf8', timeout: 30000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('validate: clean manifests exit 0 with no output', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'r.yaml'), routeYaml({ name: 'ok', rules: [{ path: '/', backend: 'b' }] }));
  const r = wicket('validate', '-f', dir);
  assert.equal(r.stdout, '');
  assert.equal(r.code, 0);
  assert.equal(wicket('validate', '-f', join(REPO, 'examples/quickstart')).code, 0, 'the quickstart example is valid');
});

test('validate: problems print file:line: Kind ns/name: field: problem and exit 1', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'bad.yaml');
  await writeFile(
    file,
    routeYaml({ name: 'ok', rules: [{ path: '/', backend: 'b' }] }) +
      '---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  name: broken\n  namespace: team\nspec:\n  rules:\n  - backendRefs:\n    - name: b\n      port: 70000\n',
  );
  await writeFile(join(dir, 'syntax.yaml'), 'kind: [unclosed\n');
  const r = wicket('validate', '-f', dir);
  assert.equal(r.code, 1);
  const lines = r.stdout.trim().split('\n');
  const portLine = lines.find((l) => l.includes('HTTPRoute team/broken'));
  assert.ok(portLine, `a line for the broken route in:\n${r.stdout}`);
  assert.match(portLine!, new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:\\d+: HTTPRoute team/broken: spec\\.rules\\[0\\]\\.backendRefs\\[0\\]\\.port: `));
  // The line is the port field's own line in the file (second document, 11th line of it).
  assert.equal(portLine!.split(':')[1], '24');
  assert.ok(lines.some((l) => /syntax\.yaml:\d+: invalid YAML/.test(l)), `a line for the YAML error in:\n${r.stdout}`);
});

test('bad usage exits 2 with a message on stderr', () => {
  const r = wicket('validate');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /validate needs at least one -f PATH/);
  const u = wicket('run', '--no-such-flag');
  assert.equal(u.code, 2);
  assert.match(u.stderr, /no-such-flag/);
  const l = wicket('run', '-f', '.', '--log-level', 'loud');
  assert.equal(l.code, 2);
  assert.match(l.stderr, /--log-level loud/);
});

test('version and help', () => {
  const v = wicket('version');
  assert.equal(v.code, 0);
  assert.match(v.stdout, /^wicket \d+\.\d+\.\d+/);
  const h = wicket('--help');
  assert.equal(h.code, 0);
  assert.match(h.stdout, /wicket run -f PATH/);
});
