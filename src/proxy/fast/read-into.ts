// Reading an already-accepted socket into a buffer we own, as `net.connect({ onread })` does for
// sockets Node creates itself. A server's accepted sockets cannot be given `onread`, and each
// 'data' event costs a fresh 64 KiB read buffer (freed only by GC), a Buffer view, a Readable
// push and an event emit. Node keeps the onread buffer and callback on the socket under private
// symbols and tells the handle with useUserBuffer(); the symbols are found once by their
// descriptions on a probe socket. If this Node does not have them (or the handle cannot take a
// user buffer, e.g. a TLS socket), installReadInto() returns false and the caller keeps 'data'
// events. With setNextBuffer(), Node asks a function after every read (a plain call, no `this`)
// which buffer the next read goes to, as when onread's buffer is a function. Semantics once
// installed are exactly onread's: the callback gets (nread, buffer) with `this` the socket, the
// bytes are valid only during the call, returning false stops reading, pause()/resume() stop and
// restart the handle, and 'end' / 'close' / 'error' are emitted as usual.
import { Buffer } from 'node:buffer';
import { Socket } from 'node:net';

type Callback<S extends Socket = Socket> = (this: S, nread: number, buf: Buffer) => boolean | void;

interface Symbols {
  buffer: symbol;
  callback: symbol;
  generator: symbol;
}

function findSymbols(): Symbols | null {
  const buf = Buffer.alloc(1);
  const cb = (): boolean => true;
  let probe: Socket;
  try {
    probe = new Socket({ onread: { buffer: buf, callback: cb } });
  } catch {
    return null;
  }
  let buffer: symbol | null = null;
  let callback: symbol | null = null;
  let generator: symbol | null = null;
  for (const s of Object.getOwnPropertySymbols(probe)) {
    const v = (probe as unknown as Record<symbol, unknown>)[s];
    if (v === buf && s.description === 'kBuffer') buffer = s;
    else if (v === cb && s.description === 'kBufferCb') callback = s;
    else if (v === null && s.description === 'kBufferGen') generator = s;
  }
  probe.destroy();
  return buffer !== null && callback !== null && generator !== null ? { buffer, callback, generator } : null;
}

const symbols = findSymbols();

interface UserBufferHandle {
  useUserBuffer(buf: Uint8Array): void;
  reading?: boolean;
}

/**
 * From now on the socket's reads land in `buffer` and go to `callback` (see the file comment).
 * Bytes the socket's Readable already holds (e.g. put back with unshift) are not touched: read
 * them with socket.read(). False when not possible: the socket is unchanged then.
 */
export function installReadInto<S extends Socket>(socket: S, buffer: Buffer, callback: Callback<S>): boolean {
  if (symbols === null) return false;
  const handle = (socket as unknown as { _handle?: Partial<UserBufferHandle> | null })._handle;
  if (handle == null || typeof handle.useUserBuffer !== 'function' || socket.destroyed) return false;
  const own = socket as unknown as Record<symbol, unknown>;
  if (own[symbols.buffer]) return false; // already reading into a buffer of its own
  handle.useUserBuffer(buffer);
  own[symbols.buffer] = buffer;
  own[symbols.callback] = callback;
  return true;
}

/**
 * Ask `next` after every read which buffer the next read lands in (null: keep the current one, and
 * stop asking). Works for sockets set up by installReadInto or created with `onread`; false when
 * this Node lacks the symbols.
 */
export function setNextBuffer(socket: Socket, next: (() => Buffer) | null): boolean {
  if (symbols === null) return false;
  (socket as unknown as Record<symbol, unknown>)[symbols.generator] = next;
  return true;
}

/** Swap the callback of a socket set up by installReadInto (e.g. when it changes owner). */
export function setReadCallback<S extends Socket>(socket: S, callback: Callback<S>): void {
  if (symbols !== null) (socket as unknown as Record<symbol, unknown>)[symbols.callback] = callback;
}

/**
 * The callback for a socket handed to code that reads it as a stream (node:http): each read is
 * copied (the buffer is reused) and pushed into the socket's Readable, with its backpressure.
 */
export function pushCopy(this: Socket, nread: number, buf: Buffer): boolean {
  return this.push(Buffer.copyBytesFrom(buf, 0, nread));
}
