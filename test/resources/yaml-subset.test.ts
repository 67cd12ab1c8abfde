// The subset reader (src/resources/yaml-subset.ts) must give exactly what the YAML library gives
// (objects, start lines, field lines) whenever it takes a text, and must leave to the library every
// text the library reports a problem in. Checked on every manifest in the repository and the
// Gateway API module, on hand-written edge cases, and on random texts built from YAML fragments.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeRouteSet, toYaml } from '../../bench/peers/routes.ts';
import { parseManifests, parseWithLibrary } from '../../src/resources/parse.ts';
import { parseYamlSubset } from '../../src/resources/yaml-subset.ts';
import { prng } from '../helpers/prng.ts';

const REPO = join(import.meta.dirname, '../..');
const MODULE = '/root/go/pkg/mod/sigs.k8s.io/gateway-api@v1.6.3';

function yamlFiles(dir: string, out: string[] = []): string[] {
  if (!existsSync(dir)) return out;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
    const full = join(dir, e.name);
    if (e.isDirectory()) yamlFiles(full, out);
    else if (e.name.endsWith('.yaml') || e.name.endsWith('.yml')) out.push(full);
  }
  return out;
}

/** Both readings as comparable data: undefined from the subset reader means "not taken". */
function compare(text: string, what: string): 'taken' | 'left' {
  const subset = parseYamlSubset(text);
  if (subset === undefined) return 'left';
  const lib = parseWithLibrary(text, 'f.yaml');
  assert.deepEqual(lib.diagnostics, [], `${what}: the subset reader took a text the library reports problems in:\n${text}`);
  const read = parseManifests(text, 'f.yaml');
  assert.deepEqual(read.diagnostics, []);
  const mine = read.documents.map((d) => ({ object: d.object, line: d.line, positions: [...d.positions].sort() }));
  const theirs = lib.documents.map((d) => ({ object: d.object, line: d.line, positions: [...d.positions].sort() }));
  assert.deepEqual(mine, theirs, `${what}: different reading of:\n${text}`);
  return 'taken';
}

test('every manifest in the repository and the Gateway API module reads the same both ways', () => {
  const files = [...yamlFiles(join(REPO, 'testdata')), ...yamlFiles(join(REPO, 'examples')), ...yamlFiles(join(REPO, 'conformance')), ...yamlFiles(MODULE)];
  let taken = 0;
  for (const f of files) if (compare(readFileSync(f, 'utf8'), f) === 'taken') taken++;
  // Most of them are plain block YAML: a reader that gave up on everything would pass the
  // comparison and be useless.
  assert.ok(taken > files.length / 2, `taken ${taken} of ${files.length}`);
});

test('the bench manifests are taken by the subset reader', () => {
  const set = makeRouteSet(200, { listenPort: 8080, backend: { address: '127.0.0.1', port: 9090 }, services: 7 });
  for (const text of [toYaml([set.gatewayClass, set.gateway, ...set.services, ...set.endpointSlices]), toYaml(set.routes)]) {
    assert.equal(compare(text, 'bench'), 'taken');
  }
});

const CASES: string[] = [
  'a: 1\nb: two\n',
  'a:\n- x\n- y\nb: 1\n',
  'a:\n  - x\n  -\n  - y\n',
  'a:\n  -\n    k: v\n  - k: w\n    j: 1\n',
  '# c\n\n---\n# only a comment\n---\na: 1 # trailing\nb: "q # not a comment"\nc: \'it\'\'s\'\n',
  'a: yes\nb: no\nc: on\nd: off\ne: y\nf: N\ng: ~\nh: null\ni: TRUE\nj: False\nk: NULL\n',
  'a: 0\nb: 0755\nc: 08\nd: 1_000\ne: 0x1f\nf: 1.5\ng: .inf\nh: -1\ni: +1\nj: 1e3\nk: 123456789012345678\n',
  'a: 127.0.0.1\nb: 10s\nc: 12:30\nd: 2024-01-01\ne: 2001-12-14t21:59:43.10-05:00\nf: 1.2.3\n',
  'a: http://x.example/p?q=1#frag\nb: -foo\nc: foo#bar\nd: x:y\n',
  'a: b: c\n',
  'a: b:\n',
  'a: 1\na: 2\n',
  'a:\n  b: 1\n c: 2\n',
  'a:\n  b: 1\n    c: 2\n',
  'a: 1\n  b: 2\n',
  'a: long\n  continued\n',
  '- a\n- b\n',
  'just a scalar\n',
  'a: [1, 2]\n',
  'a: {}\n',
  'a: &x 1\nb: *x\n',
  'a: !!str 1\n',
  'a: |\n  text\n',
  'a: >-\n  text\n',
  '"quoted key": 1\n',
  'yes: 1\n',
  '<<: {a: 1}\n',
  '__proto__: 1\n',
  'a.b/c-d_e: 1\nmetadata:\n  labels:\n    app.kubernetes.io/name: x\n',
  'a: "esc\\n"\n',
  'a: "x" y\n',
  "a: 'x'y\n",
  "a: 'multi\n  line'\n",
  'a:  spaced   \nb:\n',
  'a:\n\n  # comment\n  b: 1\n\n',
  '---\na: 1\n...\n---\nb: 2\n',
  '--- # c\na: 1\n',
  '--- a: 1\n',
  '%YAML 1.1\n---\na: 1\n',
  '---x: 1\n',
  'a:\n- b:\n  - c: 1\n    d: 2\n  e: 3\n',
  'a:\n- - x\n',
  'a:\n-   b: 1\n    c: 2\n',
  'a:\n-   b: 1\n  c: 2\n',
  'a: -\n',
  'a: - x\n',
  'a: "\n',
  'a: \'\'\nb: ""\n',
  'kind: List\napiVersion: v1\nitems:\n- kind: A\n  apiVersion: v1\n  metadata:\n    name: x\n',
  'a: x\n- y\n',
  'a:\n  b: 1\n  - y\n',
  '  a: 1\n  b: 2\n',
  'a: 1\n\t\n',
  'a: 1\r\nb: 2\r\n',
  'a: <<\n',
  'a: ?x\nb: :x\n',
  'a: [\n',
];

test('edge cases: taken only when read exactly as the library reads them', () => {
  let taken = 0;
  for (const text of CASES) if (compare(text, JSON.stringify(text)) === 'taken') taken++;
  assert.ok(taken >= 15, `taken ${taken}`);
});

test('random texts from YAML fragments: taken only when read exactly as the library reads them', () => {
  // Mostly well-formed pieces, so that many texts are taken, with tricky ones mixed in.
  const keys = ['a', 'b', 'name', 'k-1', 'x.y/z', 'spec'];
  const trickyKeys = ['yes', 'on', 'n', '"q"', 'a b', '__proto__', '1', 'Null'];
  const values = ['', ' 1', ' 0', ' 42', ' true', ' no', ' ~', ' null', ' foo', ' foo # c', ' foo#c', " 'x'", " 'it''s'", ' "x"', ' 127.0.0.1', ' -x', ' http://h/p', ' 12:30', ' a b  ', ' On', ' Y'];
  const trickyValues = [' 007', ' -1', ' 1.5', ' "a\\tb"', ' [a]', ' {}', ' &a x', ' *a', ' |', ' x: y', ' - x', ' 1_0', ' .5', ' x:'];
  let taken = 0;
  for (let seed = 1; seed <= 1000; seed++) {
    const rnd = prng(seed);
    const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    const key = (): string => (rnd() < 0.9 ? pick(keys) : pick(trickyKeys));
    const value = (): string => (rnd() < 0.9 ? pick(values) : pick(trickyValues));
    const lines: string[] = [];
    let indent = 0;
    let opened = false; // the last line ended with `key:` and may open a block
    const count = 1 + Math.floor(rnd() * 12);
    for (let i = 0; i < count; i++) {
      const r = rnd();
      if (opened && r < 0.6) indent += 2;
      else if (r < 0.25) indent = Math.max(0, indent - 2 * Math.floor(rnd() * 3));
      else if (r < 0.27) indent += 1;
      const pad = ' '.repeat(indent);
      const shape = rnd();
      opened = false;
      if (shape < 0.45) {
        const v = value();
        lines.push(`${pad}${key()}:${v}`);
        opened = v === '';
      } else if (shape < 0.7) {
        const v = value();
        lines.push(`${pad}- ${key()}:${v}`);
        if (v === '') opened = true;
        else indent += 2; // the item's next keys
      } else if (shape < 0.8) lines.push(`${pad}-${value()}`);
      else if (shape < 0.85) lines.push(`${pad}# comment`);
      else if (shape < 0.88) {
        lines.push('---');
        indent = 0;
      } else if (shape < 0.91) lines.push('');
      else {
        lines.push(`${pad}${key()}:`);
        opened = true;
      }
    }
    if (compare(lines.join('\n') + (rnd() < 0.5 ? '\n' : ''), `seed ${seed}`) === 'taken') taken++;
  }
  assert.ok(taken >= 50, `taken ${taken} of 1000`);
});

test('field lines of a taken text are there when a problem needs them', () => {
  const text = 'apiVersion: v1\nkind: Service\nmetadata:\n  name: s\nspec:\n  ports:\n  - port: 80\n    name: http\n';
  const { documents } = parseManifests(text, 's.yaml');
  assert.equal(documents.length, 1);
  assert.equal(documents[0]!.positions.get('spec.ports[0].name'), 8);
  assert.equal(documents[0]!.positions.get('spec.ports[0]'), 7);
  assert.equal(documents[0]!.line, 1);
});
