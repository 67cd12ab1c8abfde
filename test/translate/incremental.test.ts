// The translator reuses work across calls (route-memo.ts, the IR rules and virtual hosts of
// ir-build.ts, route statuses): keyed by object identity, so a provider that hands back unchanged
// objects as the same objects gets most of a translation for free. This checks that the reuse is
// invisible: a sequence of random edits translated incrementally (unchanged objects kept, edited
// ones replaced) gives exactly the IR and statuses of translating each snapshot from scratch (every
// object a fresh copy, so nothing can be reused).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { translate } from '../../src/translate/index.ts';
import { prng } from '../helpers/prng.ts';
import { base, edit, OPTIONS } from './random-snapshots.ts';

function render(result: { ir: unknown; statuses: unknown }): string {
  return JSON.stringify({ ir: result.ir, statuses: result.statuses });
}

for (const seed of [1, 2, 3, 4, 5, 6]) {
  test(`random edits translated incrementally equal translating each snapshot from scratch (seed ${seed})`, () => {
    const r = prng(seed);
    let s = base(r);
    for (let step = 0; step < 120; step++) {
      s = edit(r, s, step);
      const incremental = render(translate(s, OPTIONS));
      const scratch = render(translate(structuredClone(s), OPTIONS));
      assert.equal(incremental, scratch, `seed ${seed}, step ${step}: incremental translation differs from a fresh one`);
      // And once more with nothing changed: still the same.
      if (step % 10 === 0) assert.equal(render(translate(s, OPTIONS)), scratch, `seed ${seed}, step ${step}: repeated translation differs`);
    }
  });
}
