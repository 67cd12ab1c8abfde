// The README documents every error code in src/errors.ts and every flag `wicket --help` lists, so
// the docs cannot drift from the code silently.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCodes } from '../../src/errors.ts';
import { HELP } from '../../src/cli/args.ts';
import { REPO } from './harness.ts';

test('README lists every error code and every flag', async () => {
  const readme = await readFile(join(REPO, 'README.md'), 'utf8');
  for (const code of Object.values(ErrorCodes)) assert.ok(readme.includes(`\`${code}\``), `README is missing ${code}`);
  const flags = [...HELP.matchAll(/--[a-z][a-z-]+/g)].map((m) => m[0]);
  assert.ok(flags.length >= 8);
  for (const flag of new Set(flags)) if (flag !== '--help') assert.ok(readme.includes(`\`${flag}`), `README is missing ${flag}`);
});
