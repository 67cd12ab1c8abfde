// The catalogue of invalid manifests: testdata/validate/<rule>/in.yaml holds manifests that break
// one rule (and some that pass beside them), out.txt exactly what `wicket validate` prints for
// it. Every case must fail validation. `UPDATE_GOLDEN=1 npm test` rewrites out.txt.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runValidate } from '../../src/resources/validate-command.ts';

const ROOT = join(import.meta.dirname, '..', '..', 'testdata', 'validate');
const update = process.env['UPDATE_GOLDEN'] === '1';

for (const name of readdirSync(ROOT).sort()) {
  const dir = join(ROOT, name);
  test(`validate catalogue: ${name}`, async () => {
    const lines: string[] = [];
    const status = await runValidate([join(dir, 'in.yaml')], (line) => lines.push(line.split(dir + '/').join('')));
    assert.equal(status, 1, 'every catalogue case must be invalid');
    const actual = lines.join('\n') + '\n';
    const golden = join(dir, 'out.txt');
    if (update || !existsSync(golden)) writeFileSync(golden, actual);
    assert.equal(actual, readFileSync(golden, 'utf8'));
  });
}
