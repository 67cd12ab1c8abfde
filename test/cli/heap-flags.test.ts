// A serving `wicket` restarts itself once with heap flags for a long-running proxy
// (src/cli/heap-flags.ts); other commands, and flags whoever started Node chose, are left alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { HEAP_GROWING_PERCENT, heapFlagsToAdd, heapGrowingToApply, SEMI_SPACE_MB } from '../../src/cli/heap-flags.ts';
import { tempDir, WicketProcess } from '../e2e/harness.ts';

test('only serving commands restart, adding the flags nobody chose already', () => {
  const semi = [`--max-semi-space-size=${SEMI_SPACE_MB}`];
  // On two cores (one core adds --no-parallel-scavenge, see the next test).
  const add = (a: string[], e: string[], n: string | undefined) => heapFlagsToAdd(a, e, n, 2);
  assert.deepEqual(add(['run', '-f', 'x'], [], undefined), semi);
  assert.deepEqual(add(['--log-level', 'warn', 'run', '-f', 'x'], [], undefined), semi);
  assert.deepEqual(add(['quickstart'], [], undefined), semi);
  assert.deepEqual(add(['validate', '-f', 'x'], [], undefined), []);
  assert.deepEqual(add(['--help'], [], undefined), []);
  assert.deepEqual(add(['run', '--no-such-flag'], [], undefined), [], 'bad usage is main()\'s to report');
  assert.deepEqual(add(['run', '-f', 'x'], ['--max-semi-space-size=16'], undefined), []);
  assert.deepEqual(add(['run', '-f', 'x'], [], '--semi-space-growth-factor=1'), []);
  assert.deepEqual(add(['run', '-f', 'x'], ['--heap_growing_percent=10', '--max_semi_space_size=1'], undefined), []);
  assert.deepEqual(add(['run', '-f', 'x'], ['--cpu-prof'], '--max-old-space-size=512'), semi);
});

test('a serving process allowed one core scavenges on its own thread', () => {
  const semi = `--max-semi-space-size=${SEMI_SPACE_MB}`;
  assert.deepEqual(heapFlagsToAdd(['run', '-f', 'x'], [], undefined, 1), [semi, '--no-parallel-scavenge']);
  assert.deepEqual(heapFlagsToAdd(['run', '-f', 'x'], [], undefined, 2), [semi]);
  assert.deepEqual(heapFlagsToAdd(['validate', '-f', 'x'], [], undefined, 1), []);
  assert.deepEqual(heapFlagsToAdd(['run', '-f', 'x'], ['--no-single-threaded-gc'], undefined, 1), [semi]);
  assert.deepEqual(heapFlagsToAdd(['run', '-f', 'x'], [], '--single_threaded', 1), [semi]);
  assert.deepEqual(heapFlagsToAdd(['run', '-f', 'x'], ['--no-parallel-scavenge'], undefined, 1), [semi]);
});

test('the old generation growth factor is applied once serving, unless whoever started Node chose one', () => {
  const ours = String(HEAP_GROWING_PERCENT);
  assert.equal(heapGrowingToApply(['run', '-f', 'x'], [], undefined), ours);
  assert.equal(heapGrowingToApply(['quickstart'], ['--cpu-prof'], '--max-semi-space-size=16'), ours);
  assert.equal(heapGrowingToApply(['validate', '-f', 'x'], [], undefined), undefined);
  assert.equal(heapGrowingToApply(['run', '-f', 'x'], ['--heap-growing-percent=10'], undefined), undefined);
  assert.equal(heapGrowingToApply(['run', '-f', 'x'], [], '--heap_growing_percent=30'), undefined);
});

test('`wicket run` serves from a process that carries the flag, under the same pid', { skip: !existsSync('/proc/self/cmdline') }, async (t) => {
  const dir = await tempDir(t);
  const w = await WicketProcess.start(t, ['run', '-f', dir], { waitReady: false });
  const cmdline = readFileSync(`/proc/${w.child.pid}/cmdline`, 'utf8').split('\0');
  assert.ok(cmdline.includes(`--max-semi-space-size=${SEMI_SPACE_MB}`), `flag in ${JSON.stringify(cmdline)}`);
  const environ = readFileSync(`/proc/${w.child.pid}/environ`, 'utf8').split('\0');
  assert.ok(environ.includes(`WICKET_HEAP_GROWING_PERCENT=${HEAP_GROWING_PERCENT}`), 'the growth factor to apply once serving is in its environment');
  assert.equal((await fetch(w.admin('/healthz'))).status, 200);
  assert.equal(await w.stop(), 0, 'drains and exits 0 on SIGTERM after the restart');
});
