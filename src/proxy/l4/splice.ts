// Joins two stream sockets both ways: bytes flow with backpressure (pipe pauses the reader while
// the writer's buffer is full, so memory per connection stays bounded by the socket buffers), a
// half-close (FIN) on one side is passed on as a FIN to the other while the reverse direction
// keeps flowing, and an error or abrupt close on either side resets the other.
//
// Both sockets must be created with `allowHalfOpen: true`, or Node ends the write side on its own
// as soon as the read side ends, turning every half-close into a full close.

import type { Duplex } from 'node:stream';
import net from 'node:net';

export interface SpliceDone {
  /** Bytes read from / written to the client side (`a`). */
  bytesIn: number;
  bytesOut: number;
  /** The first error either side saw, if any. */
  error?: Error;
}

/** Sends a TCP RST when possible (the Gateway API says "reject"), else closes. */
export function reset(sock: Duplex): void {
  if (sock.destroyed) return;
  if (sock instanceof net.Socket && !(sock as { encrypted?: boolean }).encrypted && !sock.connecting) {
    try {
      sock.resetAndDestroy();
      return;
    } catch {
      // fall through: not a TCP handle (e.g. a pipe), or already closing
    }
  }
  sock.destroy();
}

/**
 * Pipes `a` (the client) and `b` (the upstream) into each other; calls `done` once when both are
 * closed. `rawA` is the TCP socket under `a` when `a` is a TLS socket (for byte counts and RST).
 */
export function splice(a: Duplex, b: Duplex, done: (d: SpliceDone) => void, rawA?: net.Socket): void {
  let error: Error | undefined;
  let closed = 0;
  const counted = rawA ?? (a instanceof net.Socket ? a : undefined);

  const onClose = (self: Duplex, other: Duplex) => () => {
    // A side that closed without a clean end of its read side (reset, destroy, timeout) takes the
    // other down too; after a clean end the pipe has already ended the other's write side.
    if (!self.readableEnded && !other.destroyed) reset(other === a && rawA ? rawA : other);
    if (++closed === 2) {
      done({ bytesIn: counted?.bytesRead ?? 0, bytesOut: counted?.bytesWritten ?? 0, error });
    }
  };
  const onError = (self: Duplex, other: Duplex) => (err: Error) => {
    error ??= err;
    self.destroy();
    reset(other === a && rawA ? rawA : other);
  };

  a.on('error', onError(a, b));
  b.on('error', onError(b, a));
  a.once('close', onClose(a, b));
  b.once('close', onClose(b, a));
  a.pipe(b);
  b.pipe(a);
}
