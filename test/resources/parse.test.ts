import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lineOf, parseManifests } from '../../src/resources/parse.ts';

const TEXT = `# leading comment
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: a
spec:
  rules:
  - matches:
    - path:
        type: PathPrefix
        value: /foo
---
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: b
  labels:
    app.kubernetes.io/name: x
`;

test('documents carry their file, start line and field lines', () => {
  const { documents, diagnostics } = parseManifests(TEXT, 'm.yaml');
  assert.deepEqual(diagnostics, []);
  assert.equal(documents.length, 2, 'the empty document is skipped');
  const [route, cm] = documents;
  assert.equal(route!.file, 'm.yaml');
  assert.equal(route!.line, 2);
  assert.equal(lineOf(route!, 'spec.rules[0].matches[0].path.value'), 11);
  assert.equal(lineOf(route!, 'spec.rules[0].matches[0]'), 9);
  assert.equal(lineOf(route!, 'spec.rules[0].matches[0].path.nothing'), 9, 'falls back to the nearest ancestor');
  assert.equal(lineOf(route!, 'nothing'), 2);
  assert.equal(cm!.line, 14);
  assert.equal(lineOf(cm!, 'metadata.labels["app.kubernetes.io/name"]'), 19);
  assert.deepEqual(cm!.object, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'b', labels: { 'app.kubernetes.io/name': 'x' } } });
});

test('malformed YAML is a diagnostic naming file:line, and the other documents still load', () => {
  const text = `apiVersion: v1
kind: ConfigMap
metadata:
  name: one
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: [unclosed
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: three
`;
  const { documents, diagnostics } = parseManifests(text, 'bad.yaml');
  assert.deepEqual(documents.map((d) => (d.object['metadata'] as { name: string }).name), ['one', 'three']);
  assert.equal(diagnostics.length, 1);
  assert.equal(diagnostics[0]!.code, 'WICKET_ERR_PARSE');
  assert.equal(diagnostics[0]!.file, 'bad.yaml');
  assert.ok(diagnostics[0]!.line! >= 9 && diagnostics[0]!.line! <= 10, `line ${diagnostics[0]!.line}`);
  assert.equal(documents[1]!.line, 11);
});

test('a key given twice is a parse error', () => {
  const { documents, diagnostics } = parseManifests('kind: A\nkind: B\n', 'dup.yaml');
  assert.equal(documents.length, 0);
  assert.equal(diagnostics[0]!.code, 'WICKET_ERR_PARSE');
  assert.equal(diagnostics[0]!.line, 2);
});

test('a document that is not a mapping is reported', () => {
  const { documents, diagnostics } = parseManifests('- a\n- b\n', 'seq.yaml');
  assert.equal(documents.length, 0);
  assert.match(diagnostics[0]!.message, /not a mapping/);
});

test('List kinds are expanded into their items, with positions of their own', () => {
  const text = `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: ConfigMap
  metadata:
    name: a
- apiVersion: v1
  kind: ServiceList
  items:
  - apiVersion: v1
    kind: Service
    metadata:
      name: s
`;
  const { documents, diagnostics } = parseManifests(text, 'list.yaml');
  assert.deepEqual(diagnostics, []);
  assert.deepEqual(documents.map((d) => d.object['kind']), ['ConfigMap', 'Service']);
  assert.equal(documents[0]!.line, 4);
  assert.equal(lineOf(documents[0]!, 'metadata.name'), 7);
  assert.equal(documents[1]!.line, 11);
  assert.equal(lineOf(documents[1]!, 'metadata.name'), 14);
});

test('JSON parses too', () => {
  const { documents } = parseManifests('{"apiVersion": "v1", "kind": "Namespace",\n "metadata": {"name": "x"}}', 'x.json');
  assert.equal(documents.length, 1);
  assert.equal(lineOf(documents[0]!, 'metadata.name'), 2);
});

test('a mapping key that is a list or a mapping is a parse error (JSON cannot hold it)', () => {
  const { documents, diagnostics } = parseManifests('apiVersion: v1\nkind: ConfigMap\ndata:\n  ? [a, b]\n  : c\n', 'k.yaml');
  assert.equal(documents.length, 0);
  assert.equal(diagnostics[0]!.code, 'WICKET_ERR_PARSE');
  assert.equal(diagnostics[0]!.line, 4);
});

test('an alias bomb is refused, not expanded', () => {
  const bomb = 'a: &a [1,2]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n';
  const { documents, diagnostics } = parseManifests(bomb, 'bomb.yaml');
  assert.equal(documents.length, 0);
  assert.equal(diagnostics[0]!.code, 'WICKET_ERR_PARSE');
});

test('scalars are read as kubectl reads them (YAML 1.1 booleans and octals; timestamps stay strings)', () => {
  const { documents } = parseManifests('a: y\nb: on\nc: 12:30\nd: 2024-01-01T00:00:00Z\ne: 0755\nn: 1\nf: "yes"\n', 'k.yaml');
  // What sigs.k8s.io/yaml (kubectl) makes of the same text.
  assert.deepEqual(documents[0]!.object, { a: true, b: true, c: '12:30', d: '2024-01-01T00:00:00Z', e: 493, false: 1, f: 'yes' });
});
