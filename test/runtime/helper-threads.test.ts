// A single-core serving process gives V8's helper threads the lowest priority once its first
// configuration serves (src/runtime/helper-threads.ts): checked in a child process, by reading
// each thread's nice value from /proc.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { test } from 'node:test';

const MODULE = new URL('../../src/runtime/helper-threads.ts', import.meta.url).href;

/** Runs applyHelperNice() in a fresh Node with `env`: how many it changed, each V8Worker thread's nice, the main thread's. */
function run(env: Record<string, string>): { changed: number; nices: number[]; main: number } {
  const code = `
    const { applyHelperNice, v8HelperThreads } = await import(${JSON.stringify(MODULE)});
    const { readFileSync } = await import('node:fs');
    const changed = applyHelperNice();
    const nices = v8HelperThreads().map((t) => Number(readFileSync('/proc/self/task/' + t + '/stat', 'utf8').split(') ')[1].split(' ')[16]));
    const main = Number(readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ')[16]);
    console.log(JSON.stringify({ changed, nices, main }));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', code], { env: { ...process.env, ...env }, encoding: 'utf8' });
  return JSON.parse(out) as { changed: number; nices: number[]; main: number };
}

test('V8 helper threads get the nice value asked for, and keep theirs otherwise', { skip: !existsSync('/proc/self/task') }, () => {
  const asked = run({ WICKET_V8_HELPER_NICE: '19' });
  assert.ok(asked.nices.length > 0, 'a Node process has V8Worker threads');
  assert.equal(asked.changed, asked.nices.length);
  assert.deepEqual(asked.nices, asked.nices.map(() => 19));
  const unset = run({ WICKET_V8_HELPER_NICE: '' });
  assert.equal(unset.changed, 0);
  assert.deepEqual(unset.nices, unset.nices.map(() => unset.main), 'untouched: as the main thread');
  assert.equal(run({ WICKET_V8_HELPER_NICE: '-5' }).changed, 0, 'only 1..19 (lowering priority)');
});
