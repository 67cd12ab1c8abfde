// Bad input never crashes the translator: every golden input, with fields removed or replaced by
// wrong types (deterministically, from a seeded generator), still translates.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Snapshot } from '../../src/resources/snapshot.ts';
import { translate } from '../../src/translate/index.ts';
import { DEFAULT_OPTIONS, loadSnapshot } from './golden-harness.ts';
import { prng } from '../helpers/prng.ts';

const ROOT = join(import.meta.dirname, '../../testdata/translate');

const WRONG: unknown[] = [undefined, null, 0, -1, "", "x", [], {}, [null], true];

/** Walks the object and, with probability p per field, deletes it or swaps in a wrong value. */
function damage(value: unknown, rand: () => number, p: number): void {
  if (!value || typeof value !== 'object') return;
  for (const key of Object.keys(value)) {
    const obj = value as Record<string, unknown>;
    if (key === 'kind' || key === 'apiVersion') continue;
    if (rand() < p) {
      const pick = WRONG[Math.floor(rand() * WRONG.length)];
      if (pick === undefined) delete obj[key];
      else obj[key] = structuredClone(pick);
    } else damage(obj[key], rand, p);
  }
}

test('damaged golden inputs translate without throwing', () => {
  const inputs = readdirSync(ROOT).map((d) => loadSnapshot(readFileSync(join(ROOT, d, 'in.yaml'), 'utf8')));
  const rand = prng(20261126);
  let runs = 0;
  for (const input of inputs) {
    for (let round = 0; round < 25; round++) {
      const snap = structuredClone(input) as Snapshot;
      for (const list of Object.values(snap)) for (const obj of list as unknown[]) damage(obj, rand, 0.04);
      try {
        translate(snap, DEFAULT_OPTIONS);
      } catch (err) {
        assert.fail(`translate threw on damaged input: ${(err as Error).stack}\n${JSON.stringify(snap).slice(0, 2000)}`);
      }
      runs++;
    }
  }
  assert.ok(runs > 1000);
});
