// A serving `wicket` restarts itself once with a capped young generation (src/cli/heap-flags.ts);
// other commands, and a Node whose young generation was chosen by whoever started it, are left alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { SEMI_SPACE_MB, wantsHeapFlags } from '../../src/cli/heap-flags.ts';
import { tempDir, WicketProcess } from '../e2e/harness.ts';

test('only serving commands without a young-generation choice of their own restart', () => {
  assert.equal(wantsHeapFlags(['run', '-f', 'x'], [], undefined), true);
  assert.equal(wantsHeapFlags(['--log-level', 'warn', 'run', '-f', 'x'], [], undefined), true);
  assert.equal(wantsHeapFlags(['quickstart'], [], undefined), true);
  assert.equal(wantsHeapFlags(['validate', '-f', 'x'], [], undefined), false);
  assert.equal(wantsHeapFlags(['--help'], [], undefined), false);
  assert.equal(wantsHeapFlags(['run', '--no-such-flag'], [], undefined), false, 'bad usage is main()\'s to report');
  assert.equal(wantsHeapFlags(['run', '-f', 'x'], ['--max-semi-space-size=16'], undefined), false);
  assert.equal(wantsHeapFlags(['run', '-f', 'x'], [], '--semi-space-growth-factor=1'), false);
  assert.equal(wantsHeapFlags(['run', '-f', 'x'], ['--cpu-prof'], '--max-old-space-size=512'), true);
});

test('`wicket run` serves from a process that carries the flag, under the same pid', { skip: !existsSync('/proc/self/cmdline') }, async (t) => {
  const dir = await tempDir(t);
  const w = await WicketProcess.start(t, ['run', '-f', dir], { waitReady: false });
  const cmdline = readFileSync(`/proc/${w.child.pid}/cmdline`, 'utf8').split('\0');
  assert.ok(cmdline.includes(`--max-semi-space-size=${SEMI_SPACE_MB}`), `flag in ${JSON.stringify(cmdline)}`);
  assert.equal((await fetch(w.admin('/healthz'))).status, 200);
  assert.equal(await w.stop(), 0, 'drains and exits 0 on SIGTERM after the restart');
});
