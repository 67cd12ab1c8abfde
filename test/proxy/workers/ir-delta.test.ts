// IRs go to worker processes as deltas (ir-delta.ts): what the worker was sent before goes as a
// reference. Decoded, each IR must equal the one sent, and the parts the translator kept (same
// objects in two successive IRs) must come out as the worker's same objects, or its compile would
// rebuild everything. A lost message must be detected, not decoded into a wrong IR.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deserialize, serialize } from 'node:v8';
import type { IR, VirtualHost } from '../../../src/ir/types.ts';
import { IrDecoder, IrEncoder, type EncodedIR } from '../../../src/proxy/workers/ir-delta.ts';
import { translate } from '../../../src/translate/index.ts';
import { prng } from '../../helpers/prng.ts';
import { base, edit, OPTIONS } from '../../translate/random-snapshots.ts';

/** What IPC with `serialization: 'advanced'` does to a message. */
const ipc = (e: EncodedIR): EncodedIR => deserialize(serialize(e)) as EncodedIR;

const vhosts = (ir: IR): VirtualHost[] => ir.ports.flatMap((p) => p.listeners.flatMap((l) => l.virtualHosts ?? []));

test('decoded IRs equal those sent, and kept parts keep their identity in the worker', () => {
  const r = prng(31);
  let s = base(r);
  const enc = new IrEncoder();
  const dec = new IrDecoder();
  let prevIr: IR | undefined;
  let prevOut: IR | undefined;
  let kept = 0;
  for (let step = 0; step < 120; step++) {
    s = edit(r, s, step);
    const ir = translate(s, OPTIONS).ir;
    const out = dec.decode(ipc(enc.encode(ir)));
    assert.deepEqual(out, ir, `step ${step}`);
    if (prevIr !== undefined && prevOut !== undefined) {
      const before = new Map(vhosts(prevIr).map((vh, i) => [vh, vhosts(prevOut!)[i]!]));
      const now = vhosts(ir);
      vhosts(out).forEach((vh, i) => {
        const was = before.get(now[i]!);
        if (was !== undefined) {
          assert.equal(vh, was, `step ${step}: an unchanged virtual host is the worker's same object`);
          kept++;
        }
      });
      for (const [name, c] of Object.entries(ir.clusters)) if (prevIr.clusters[name] === c) assert.equal(out.clusters[name], prevOut.clusters[name]);
    }
    prevIr = ir;
    prevOut = out;
  }
  assert.ok(kept > 50, `virtual hosts kept across steps: ${kept}`);
});

test('a lost message is detected by the next one, which is then sent in full', () => {
  const r = prng(32);
  let s = base(r);
  const enc = new IrEncoder();
  const dec = new IrDecoder();
  dec.decode(ipc(enc.encode(translate(s, OPTIONS).ir)));
  let failed = false;
  for (let step = 0; step < 40 && !failed; step++) {
    s = edit(r, s, step);
    enc.encode(translate(s, OPTIONS).ir); // lost on the way
    s = edit(r, s, step + 100);
    const ir = translate(s, OPTIONS).ir;
    const msg = ipc(enc.encode(ir));
    try {
      assert.deepEqual(dec.decode(msg), ir); // nothing new of the lost one was referred to
    } catch (err) {
      assert.equal((err as { code?: string }).code, 'WICKET_ERR_IR_REFERENCE');
      failed = true;
      enc.reset();
      assert.deepEqual(dec.decode(ipc(enc.encode(ir))), ir, 'the full resend decodes');
    }
  }
  assert.ok(failed, 'some step referred to an object only the lost message carried');
});
