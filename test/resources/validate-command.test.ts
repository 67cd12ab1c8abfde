import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runValidate } from '../../src/resources/validate-command.ts';

async function inDir(files: Record<string, string>, fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'wicket-validate-'));
  try {
    for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const GOOD = `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata:
  name: wicket
spec:
  controllerName: wicket.dev/gateway-controller
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: gw
spec:
  gatewayClassName: wicket
  listeners:
  - name: http
    port: 80
    protocol: HTTP
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: r
spec:
  parentRefs:
  - name: gw
  rules:
  - matches:
    - path:
        type: PathPrefix
        value: /api
    backendRefs:
    - name: svc
      port: 8080
`;

test('clean manifests: exit 0 and nothing printed', async () => {
  await inDir({ 'good.yaml': GOOD }, async (dir) => {
    const lines: string[] = [];
    assert.equal(await runValidate([dir], (l) => lines.push(l)), 0);
    assert.deepEqual(lines, []);
  });
});

test('problems: exit 1, one line each, sorted by file then line, pointing at the field', async () => {
  const bad = GOOD.replace('value: /api', 'value: api').replace('port: 80\n', 'port: 0\n');
  await inDir({ 'b.yaml': bad, 'a.yaml': 'kind: [\n' }, async (dir) => {
    const lines: string[] = [];
    assert.equal(await runValidate([dir], (l) => lines.push(l)), 1);
    assert.deepEqual(
      lines.map((l) => l.replace(dir + '/', '')),
      [
        'a.yaml:2: invalid YAML: ' + lines[0]!.split('invalid YAML: ')[1],
        'b.yaml:16: Gateway default/gw: spec.listeners[0].port: must be at least 1 (got 0)',
        'b.yaml:30: HTTPRoute default/r: spec.rules[0].matches[0].path.value: must be an absolute path starting with "/" (path type PathPrefix)',
      ],
    );
  });
});

test('a missing path is reported and fails', async () => {
  const lines: string[] = [];
  assert.equal(await runValidate(['/nonexistent/wicket/manifests.yaml'], (l) => lines.push(l)), 1);
  assert.deepEqual(lines, ['/nonexistent/wicket/manifests.yaml:1: cannot read: ENOENT']);
});
