// The reload debouncer: a burst collapses into one run, a steady storm still runs (max delay), and
// runs never overlap.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { debounce } from '../../../src/providers/file/debounce.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a burst of triggers runs once, after the burst', async () => {
  let runs = 0;
  const d = debounce(async () => void runs++, 30, 10_000);
  for (let i = 0; i < 20; i++) d.trigger();
  assert.equal(runs, 0);
  await d.idle();
  assert.equal(runs, 1);
  d.close();
});

test('a storm that never goes quiet still runs, bounded by the max delay', async () => {
  let runs = 0;
  const d = debounce(async () => void runs++, 50, 60);
  // Triggers every 5 ms for 20 rounds of the quiet window: without the max delay it would never run.
  const until = Date.now() + 1000;
  while (Date.now() < until && runs === 0) {
    d.trigger();
    await sleep(5);
  }
  assert.ok(runs >= 1, 'ran during the storm');
  await d.idle();
  d.close();
});

test('runs never overlap; a trigger during a run schedules exactly one more', async () => {
  let active = 0;
  let maxActive = 0;
  let runs = 0;
  let release: () => void = () => {};
  const d = debounce(
    async () => {
      active++;
      maxActive = Math.max(maxActive, active);
      runs++;
      if (runs === 1) await new Promise<void>((r) => (release = r));
      active--;
    },
    1,
    10,
  );
  d.trigger();
  while (runs === 0) await sleep(2);
  for (let i = 0; i < 5; i++) {
    d.trigger();
    await sleep(3);
  }
  release();
  await d.idle();
  assert.equal(maxActive, 1);
  assert.equal(runs, 2);
  d.close();
});

test('a file renamed into place while idle is read at once, not after the quiet window', async () => {
  let runs = 0;
  // A quiet window no test would wait for: a run that happens came from the leading edge.
  const d = debounce(async () => void runs++, 60_000, 120_000);
  d.trigger(true);
  d.trigger(true); // the same operation's other events, delivered together: still one run
  assert.equal(runs, 0, 'not synchronously: on the next turn of the event loop');
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  assert.equal(runs, 1);
  // An in-place write waits for the quiet window instead.
  d.trigger();
  await sleep(20);
  assert.equal(runs, 1, 'in-place writes wait for quiet');
  // A rename arriving meanwhile takes the waiting write along at once.
  d.trigger(true);
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  assert.equal(runs, 2);
  d.close();
});

test('renames during a reload are coalesced into one more reload', async () => {
  let runs = 0;
  let release: () => void = () => {};
  const d = debounce(
    async () => {
      runs++;
      if (runs === 1) await new Promise<void>((r) => (release = r));
    },
    60_000,
    120_000,
  );
  d.trigger(true);
  while (runs === 0) await sleep(1);
  for (let i = 0; i < 5; i++) d.trigger(true);
  release();
  await d.idle();
  assert.equal(runs, 2);
  d.close();
});
