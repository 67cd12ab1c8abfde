// Golden cases: testdata/translate/<rule>/in.yaml → out.yaml (statuses and IR). A reviewer reads
// the YAML; `UPDATE_GOLDEN=1 npx node --test test/translate/golden.test.ts` regenerates them.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { translate } from '../../src/translate/index.ts';
import { loadCase, renderResult } from './golden-harness.ts';

const ROOT = join(import.meta.dirname, '../../testdata/translate');
const update = process.env.UPDATE_GOLDEN === '1';

const cases = readdirSync(ROOT, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(ROOT, d.name, 'in.yaml')))
  .map((d) => d.name)
  .sort();

test('there are golden cases', () => {
  assert.ok(cases.length > 0);
});

for (const name of cases) {
  test(`golden: ${name}`, () => {
    const dir = join(ROOT, name);
    const { snapshot, options } = loadCase(dir);
    const frozen = structuredClone(snapshot);
    const got = renderResult(translate(snapshot, options));
    assert.deepEqual(snapshot, frozen, 'translate() must not mutate its input');
    assert.equal(renderResult(translate(snapshot, options)), got, 'translate() must be deterministic');
    const outPath = join(dir, 'out.yaml');
    if (update || !existsSync(outPath)) {
      writeFileSync(outPath, got);
      if (!update) assert.fail(`${outPath} did not exist; wrote it — review and commit it`);
      return;
    }
    assert.equal(got, readFileSync(outPath, 'utf8'));
  });
}
