// Writing a whole message (a response head with its small body, an upstream request head) straight
// through the socket's handle, as net.Socket's _write does at the bottom of its Writable, without
// the Writable around it: no write-state bookkeeping, no afterWrite tick, no callback. Most such
// writes are taken whole by the kernel at once (libuv tries the write before queueing it), and then
// nothing more happens. Why it is safe next to the Writable: the direct route is taken only when
// the Writable holds nothing and is not corked, so nothing written earlier can come later; and
// libuv itself keeps a stream's writes in order (a write tried while another is queued is queued
// behind it), so whatever is written after a direct write that the kernel took only in part (by
// either route) follows it, and a shutdown from end() waits for it too.
//
// Semantics kept from socket.write(): the return value (false: wait for 'drain'; a direct write
// the kernel took in part returns false and 'drain' is emitted once it and whatever the Writable
// took after it are out), errors (a failed write destroys the socket with the same
// `write EPIPE`-style error), and the bytes written are counted by the handle (socket.bytesWritten).
// Node keeps the write request type (WriteWrap) and the shared result array (streamBaseState) in
// its stream_wrap binding; when this Node does not have them, or for TLS sockets and sockets still
// connecting, every write takes socket.write() as before.
import { Socket } from 'node:net';
import { getSystemErrorName } from 'node:util';

interface WriteReq {
  handle: unknown;
  oncomplete: (this: WriteReq, status: number) => void;
  socket: Socket | null;
  buffer: Buffer | null;
  async: boolean;
  bytes: number;
  callback: null;
}

interface StreamWrapBinding {
  WriteWrap: new () => WriteReq;
  streamBaseState: Int32Array;
  kLastWriteWasAsync: number;
}

interface WritableHandle {
  writeBuffer(req: WriteReq, data: Buffer): number;
  writeLatin1String(req: WriteReq, data: string): number;
}

function findBinding(): StreamWrapBinding | null {
  try {
    const b = (process as unknown as { binding(name: string): Partial<StreamWrapBinding> }).binding('stream_wrap');
    if (typeof b.WriteWrap !== 'function' || !(b.streamBaseState instanceof Int32Array) || typeof b.kLastWriteWasAsync !== 'number') return null;
    new b.WriteWrap(); // constructible from JS, as net.Socket does
    return b as StreamWrapBinding;
  } catch {
    return null;
  }
}

const binding = process.env.WICKET_NO_DIRECT_WRITE || !needDrainSettable() ? null : findBinding();
const state = binding?.streamBaseState ?? null;
const kAsync = binding?.kLastWriteWasAsync ?? 0;

/** Sockets with a direct write still queued in libuv: the next writes take socket.write(). */
const kPending = Symbol('wicket.fast.directWritePending');

function newReq(): WriteReq {
  const req = new binding!.WriteWrap();
  req.handle = null;
  req.oncomplete = onComplete;
  req.socket = null;
  req.buffer = null;
  req.async = false;
  req.bytes = 0;
  req.callback = null;
  return req;
}

// A request the kernel took whole is never seen by the native side again, so one is reused until a
// write goes asynchronous (then the native write owns it, and a fresh one replaces it).
let spare: WriteReq | null = binding === null ? null : newReq();

/** A write that the kernel took in part (or that failed asynchronously) has finished. */
function onComplete(this: WriteReq, status: number): void {
  const socket = this.socket!;
  this.socket = null;
  this.buffer = null;
  (socket as unknown as Record<symbol, number>)[kPending]! -= 1;
  if (socket.destroyed) return;
  if (status < 0) {
    socket.destroy(writeError(status));
    return;
  }
  // The caller got false and waits for 'drain'. As from the Writable, 'drain' means everything is
  // out (so it never frees bytes a queued write still holds, see FastResponse.writeBorrowed): with
  // writes still in the Writable, it is the Writable's to emit once they are out, as after a write
  // of its own that returned false.
  if (socket.writableEnded) return;
  if (socket.writableLength === 0) socket.emit('drain');
  else (socket as unknown as WithWritableState)._writableState.needDrain = true;
}

interface WithWritableState {
  _writableState: { needDrain: boolean };
}

/** The Writable's needDrain flag can be set from outside (Node keeps it as an accessor). */
function needDrainSettable(): boolean {
  try {
    const s = new Socket();
    (s as unknown as WithWritableState)._writableState.needDrain = true;
    const ok = s.writableNeedDrain;
    s.destroy();
    return ok;
  } catch {
    return false;
  }
}

function writeError(status: number): Error {
  let name: string;
  try {
    name = getSystemErrorName(status);
  } catch {
    name = `Unknown system error ${status}`;
  }
  const e = new Error(`write ${name}`) as Error & { errno: number; code: string; syscall: string };
  e.errno = status;
  e.code = name;
  e.syscall = 'write';
  return e;
}

/**
 * Write `data` (a string as latin1) to the socket, directly through its handle when that is safe
 * (see the file comment), else with socket.write(). Returns what socket.write() would mean: false
 * when the caller should wait for 'drain'.
 */
export function writeDirect(socket: Socket, data: Buffer | string): boolean {
  const req = spare;
  const handle = (socket as unknown as { _handle?: Partial<WritableHandle> | null })._handle;
  if (
    req === null ||
    handle == null ||
    socket.writableLength !== 0 ||
    socket.writableCorked !== 0 ||
    !socket.writable ||
    socket.connecting ||
    (socket as unknown as Record<symbol, number | undefined>)[kPending] ||
    (socket as { encrypted?: boolean }).encrypted === true ||
    typeof handle.writeBuffer !== 'function' ||
    typeof handle.writeLatin1String !== 'function'
  ) {
    return typeof data === 'string' ? socket.write(data, 'latin1') : socket.write(data);
  }
  const err = typeof data === 'string' ? handle.writeLatin1String(req, data) : handle.writeBuffer(req, data);
  if (err !== 0) {
    // As a failed socket.write(): the socket is destroyed with the error ('error' follows).
    socket.destroy(writeError(err));
    return false;
  }
  if (state![kAsync] === 0) return true;
  // Queued in libuv: this request is now the native write's; it completes in onComplete.
  req.async = true;
  req.socket = socket;
  if (typeof data !== 'string') req.buffer = data; // kept alive until written
  const own = socket as unknown as Record<symbol, number | undefined>;
  own[kPending] = (own[kPending] ?? 0) + 1;
  spare = newReq();
  return false;
}

/** True when this Node lets writeDirect() bypass the Writable (else it always uses socket.write()). */
export const directWriteAvailable = binding !== null;
