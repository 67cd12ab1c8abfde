// FastResponse.writeBorrowed in isolation, over a socket stand-in that keeps what it is given
// without copying (as a real socket's queued write does): bytes lent from a buffer the caller
// reuses must be copied when they may not be held, and may be written as they are (and reported
// as held while queued) when they may.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FastResponse, type FastConnection } from '../../../src/proxy/fast/http1-connection.ts';

/** A socket that queues every write by reference and says it has not flushed them when told. */
class HoldingSocket {
  written: (Buffer | string)[] = [];
  callbacks: (() => void)[] = [];
  writableLength = 0;
  /** Pretend the kernel is full: every write stays queued. */
  full = false;
  cork(): void {}
  uncork(): void {}
  write(chunk: Buffer | string, enc?: unknown, cb?: () => void): boolean {
    this.written.push(chunk);
    const done = typeof enc === 'function' ? (enc as () => void) : cb;
    if (done) this.callbacks.push(done);
    if (this.full) this.writableLength += chunk.length;
    return !this.full;
  }
  /** What went out, as one buffer (strings as latin1). */
  bytes(): Buffer {
    return Buffer.concat(this.written.map((w) => (typeof w === 'string' ? Buffer.from(w, 'latin1') : w)));
  }
}

function response(sock: HoldingSocket): FastResponse {
  const conn = { socket: sock, slot: { closing: false }, closing: false, body: null, borrowedFlushed: () => {}, responseDone: () => {} };
  return new FastResponse(conn as unknown as FastConnection, false, false, false);
}

const pattern = (n: number): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => (i * 7) % 251));

describe('FastResponse.writeBorrowed', () => {
  for (const size of [100, 4096, 20_000]) {
    test(`bytes that may not be held (${size} bytes) are copied before the caller reuses its buffer`, () => {
      const sock = new HoldingSocket();
      sock.full = true;
      const res = response(sock);
      res.respond(200, ['content-length', String(size)]);
      const lent = pattern(size);
      const want = Buffer.from(lent);
      assert.equal(res.writeBorrowed(lent, false), false); // queued: wait for drain
      lent.fill(0); // the caller's next read
      const out = sock.bytes();
      assert.ok(out.subarray(out.length - size).equals(want), 'the queued bytes changed with the caller buffer');
    });
  }

  test('bytes that may be held go out as they are, reported held while queued and free once written at once', () => {
    const sock = new HoldingSocket();
    const res = response(sock);
    res.respond(200, ['content-length', '40000']);
    const lent = pattern(20_000);
    sock.full = true;
    assert.equal(res.writeBorrowed(lent, true), false);
    assert.ok(sock.written.includes(lent), 'expected the lent buffer itself, not a copy');
    assert.equal(sock.callbacks.length, 1, 'a held write carries the callback that releases it');
    sock.full = false;
    sock.writableLength = 0;
    assert.equal(res.writeBorrowed(pattern(20_000), true), true);
  });
});
