// A keep-alive pool of raw TCP connections to one plain-HTTP/1.1 endpoint, for requests without a
// body or with a fast connection's streamed body (request-body.ts). It takes the same
// dispatch(options, handler) calls as undici (the subset Exchange and the mirror filter use:
// onConnect, onHeaders, onData, onComplete, onError, plus onBorrowedData when the handler has it),
// so the core does not know which one it talks to; everything it does not handle (other bodies,
// per-request header/body timeouts, upgrades) goes to the undici Pool it wraps. Per request: one
// head buffer written in one write, one response-head parse; the connection object is reused, idle
// ones kept LIFO. Reads land in one shared buffer, or in a connection's own while it lends a large
// body to the client write (see deliver()).
// Imported, not the globals: Node defines globalThis.Buffer, performance and process as getters,
// which optimized code calls on every use (a load-global IC miss each time on the hot path).
import { Buffer } from 'node:buffer';
import { connect, type Socket } from 'node:net';
import type { Dispatcher } from 'undici';
import { ChunkedDecoder, INVALID, parseResponseHead, ResponseHead } from './parse-response.ts';
import { isHostName } from '../request-head.ts';
import { setNextBuffer } from './read-into.ts';
import { RequestBody, type BodySink } from './request-body.ts';
import { writeDirect } from './write-direct.ts';
import { writeBodyPiece } from './write-body-piece.ts';

/** What Exchange and the mirror give dispatch(). */
export interface DispatchOptions {
  path: string;
  method: string;
  headers: string[];
  body?: unknown;
  servername?: string;
  headersTimeout?: number;
  bodyTimeout?: number;
  upgrade?: unknown;
  /** Method, path and headers are known valid (RequestHead.checked, no filter changed them). */
  checked?: boolean;
}

/** The undici dispatch-handler methods the core implements. */
export interface Handler {
  onConnect(abort: (err?: Error) => void): void;
  onHeaders(status: number, rawHeaders: string[], resume: () => void, statusText: string): boolean;
  /** Preferred when present: the parsed head itself (its getters valid during the call only). */
  onRawHeaders?(head: ResponseHead, resume: () => void): boolean;
  onData(chunk: Buffer): boolean;
  /**
   * Optional: body bytes lent from the connection's read buffer, valid during the call only unless
   * the answer is BORROW_HELD. BORROW_DONE: the bytes are no longer needed, go on reading;
   * BORROW_PAUSE: no longer needed, but wait for resume(); BORROW_HELD: still referenced (a write
   * not finished), wait for resume(), which promises they no longer are. With `holdable` false
   * (the buffer is shared with other connections) the handler must not answer BORROW_HELD: it
   * copies what it cannot finish with during the call.
   */
  onBorrowedData?(chunk: Buffer, holdable: boolean): number;
  onComplete(trailers: string[] | null): void;
  onError(err: Error): void;
}

export interface FastPoolOptions {
  address: string;
  port: number;
  keepAliveTimeoutMs: number;
  connectTimeoutMs: number;
  /** Idle connections kept at most (more are closed as they come free); default MAX_IDLE. */
  maxIdle?: number;
}

/**
 * Idle connections a pool keeps at most: with idle connections kept for a minute, a burst of
 * thousands of concurrent requests must not leave as many connections open to the backend (nginx's
 * `keepalive N` caps the same).
 */
export const MAX_IDLE = 256;

function codedError(code: string, message: string): Error {
  const e = new Error(message) as Error & { code: string };
  e.code = code;
  return e;
}

const INVALID_PATH = /[^\u0021-\u00ff]/;
const INVALID_VALUE = /[^\t\x20-\x7e\x80-\xff]/;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

/**
 * A fast connection's request body that this pool can stream itself: nobody reads it yet, and the
 * headers frame it as the client did (a filter may have set a Content-Length of its own).
 */
function streamableBody(o: DispatchOptions): RequestBody | null {
  const b = o.body;
  if (!(b instanceof RequestBody) || !b.attachable) return null;
  let length = -1;
  const h = o.headers;
  for (let i = 0; i < h.length; i += 2) {
    const n = h[i]!;
    if (n.length === 14 && n.toLowerCase() === 'content-length') {
      if (length !== -1) return null;
      length = /^[0-9]{1,15}$/.test(h[i + 1]!) ? Number(h[i + 1]) : -2;
    } else if (n.length === 17 && n.toLowerCase() === 'transfer-encoding') return null;
  }
  return length === b.length ? b : null;
}

/** s as latin1 bytes into out at `at` (every char is one byte here, see requestHead); the offset after. */
function putLatin1(out: Buffer, at: number, s: string): number {
  const n = s.length;
  // Short strings in a loop: a native write costs ~95 ns whatever the length, the loop ~3 ns a
  // character, even at ~32 (Node 24, one EPYC core).
  if (n > 32) return at + out.write(s, at, 'latin1');
  for (let i = 0; i < n; i++) out[at + i] = s.charCodeAt(i);
  return at + n;
}

/** `: ` and CRLF, written as bytes. */
const COLON = 0x3a;
const SP = 0x20;
const CR = 13;
const LF = 10;

/**
 * The request line and header block as bytes, or throws like undici on a value it could not send.
 * Written straight into one buffer (from Buffer's pool when small) sized from the string lengths:
 * no string is built per header, nor the whole head as a string that the write then flattens.
 * Every character is a single latin1 byte: the strict parser made the strings from bytes (checked),
 * and the checks below refuse anything above U+00FF in what a filter set.
 */
export function requestHead(o: DispatchOptions, hostFallback: string, chunked = false): Buffer {
  const check = o.checked !== true;
  if (check && !TOKEN.test(o.method)) throw codedError('UND_ERR_INVALID_ARG', 'invalid method');
  if (check && INVALID_PATH.test(o.path)) throw codedError('UND_ERR_INVALID_ARG', 'invalid request path');
  const h = o.headers;
  let host = false;
  // METHOD SP path " HTTP/1.1" CRLF, header lines, CRLF
  let size = o.method.length + o.path.length + 14;
  for (let i = 0; i < h.length; i += 2) {
    const n = h[i]!;
    const v = h[i + 1]!;
    if (check) {
      if (!TOKEN.test(n)) throw codedError('UND_ERR_INVALID_ARG', `invalid header name ${JSON.stringify(n)}`);
      if (INVALID_VALUE.test(v)) throw codedError('UND_ERR_INVALID_ARG', `invalid ${n} header value`);
    }
    if (!host && n.length === 4 && isHostName(n)) host = true;
    size += n.length + v.length + 4;
  }
  if (!host) size += hostFallback.length + 8;
  if (chunked) size += CHUNKED_LINE.length;
  const out = Buffer.allocUnsafe(size);
  let at = putLatin1(out, 0, o.method);
  out[at++] = SP;
  at = putLatin1(out, at, o.path);
  out.set(HTTP11_CRLF, at);
  at += HTTP11_CRLF.length;
  for (let i = 0; i < h.length; i += 2) {
    at = putLatin1(out, at, h[i]!);
    out[at++] = COLON;
    out[at++] = SP;
    at = putLatin1(out, at, h[i + 1]!);
    out[at++] = CR;
    out[at++] = LF;
  }
  if (!host) {
    at = putLatin1(out, at, 'host: ');
    at = putLatin1(out, at, hostFallback);
    out[at++] = CR;
    out[at++] = LF;
  }
  if (chunked) {
    out.set(CHUNKED_LINE, at);
    at += CHUNKED_LINE.length;
  }
  out[at++] = CR;
  out[at] = LF;
  return out;
}

const HTTP11_CRLF = Buffer.from(' HTTP/1.1\r\n', 'latin1');
const CHUNKED_LINE = Buffer.from('transfer-encoding: chunked\r\n', 'latin1');

export const BORROW_DONE = 0;
export const BORROW_PAUSE = 1;
export const BORROW_HELD = 2;

/** Size of each read: the shared read buffer and a connection's own. */
const READ_SIZE = 64 * 1024;

// Connection states.
const CONNECTING = 0;
const IDLE = 1;
const BUSY = 2;
const CLOSED = 3;

const EMPTY_HEAD = Buffer.alloc(0);

/** Reads of every connection land here unless the connection has a buffer of its own. */
const READ_BUFFER = Buffer.allocUnsafe(READ_SIZE);

class UpstreamConnection implements BodySink {
  readonly pool: FastPool;
  readonly socket: Socket;
  state = CONNECTING;
  /** The request being served, and its head (kept to resend once on a stale reused socket). */
  handler: Handler | null = null;
  head: Buffer = EMPTY_HEAD;
  method = '';
  retriable = false;
  /** Bytes received and not yet consumed. */
  buf: Buffer | null = null;
  response: ResponseHead | null = null;
  /** The head object every response on this connection is parsed into (`response` when set). */
  private readonly scratch = new ResponseHead();
  /** Body bytes still expected (Content-Length framing), -1 otherwise. */
  remaining = -1;
  chunked: ChunkedDecoder | null = null;
  untilClose = false;
  paused = false;
  /** Something of the response arrived (a reused socket that dies before that may be retried). */
  gotBytes = false;
  reused = false;
  /** When this connection, idle, is no longer reused (the pool's limit, or the server's hint). */
  idleUntil = 0;
  /** The bytes being handled live in a read buffer and are overwritten by the next read. */
  shared = false;
  /**
   * A read buffer of this connection alone, while it streams a body to a handler that borrows
   * (onBorrowedData): body bytes go out without a copy, and reading waits while a write still
   * holds them. Dropped when the response ends (it may still be held then).
   */
  own: Buffer | null = null;
  /** The bytes being handled are in `own` (they may be lent). */
  inOwn = false;
  readonly abortFn: (err?: Error) => void;
  readonly resumeFn: () => void;
  /** The request body streamed by this connection (attached once the head is written), if any. */
  reqBody: RequestBody | null = null;
  /** All of reqBody was written. */
  reqBodyDone = true;
  private readonly bodyFlushed: () => void;

  constructor(pool: FastPool) {
    this.pool = pool;
    // Reads land in one shared buffer (no allocation per read, no Readable machinery); whatever
    // must outlive the callback is copied (see keep()).
    const s = connect({
      host: pool.options.address,
      port: pool.options.port,
      noDelay: true,
      onread: {
        // A connection that takes a buffer of its own reads there (see useOwn()).
        buffer: READ_BUFFER,
        callback: (n: number, buf: Uint8Array): boolean => {
          this.shared = true;
          this.inOwn = buf === this.own;
          try {
            this.onData(buf as Buffer, n);
          } finally {
            this.shared = false;
            this.inOwn = false;
          }
          return true;
        },
      },
    });
    this.socket = s;
    s.setTimeout(pool.options.connectTimeoutMs);
    s.on('connect', () => this.onConnected());
    s.on('timeout', () => {
      if (this.state === CONNECTING) s.destroy(codedError('UND_ERR_CONNECT_TIMEOUT', 'connect timeout'));
    });
    s.on('error', (err) => this.onClose(err));
    s.on('close', () => this.onClose(null));
    s.on('end', () => s.destroy());
    this.abortFn = (err?: Error) => this.abort(err);
    this.resumeFn = () => this.resume();
    this.bodyFlushed = () => {
      // Every write done (a late callback of a write that completed at once changes nothing).
      if (this.socket.writableLength === 0) this.reqBody?.release();
    };
  }

  start(handler: Handler, head: Buffer, method: string, body: RequestBody | null = null): void {
    this.handler = handler;
    this.head = head;
    this.method = method;
    this.reqBody = body;
    this.reqBodyDone = body === null;
    // A streamed body cannot be sent twice.
    this.retriable = body === null && IDEMPOTENT.has(method);
    this.response = null;
    this.remaining = -1;
    this.chunked = null;
    this.untilClose = false;
    this.gotBytes = false;
    if (this.state === IDLE) this.send();
    else this.state = CONNECTING; // sent once connected
  }

  private onConnected(): void {
    this.socket.setTimeout(0);
    if (this.handler !== null) this.send();
    else this.pool.release(this);
  }

  private send(): void {
    this.state = BUSY;
    const h = this.handler!;
    h.onConnect(this.abortFn);
    // onConnect may abort (the request was answered while it waited for this connection).
    if (this.handler !== h || this.state !== BUSY) return;
    writeDirect(this.socket, this.head);
    const body = this.reqBody;
    if (body !== null) {
      // The bytes that arrived while waiting go now; the rest as they come (onBodyData).
      if (body.abandoned) return this.fail(codedError('UND_ERR_ABORTED', 'request body abandoned'));
      body.attach(this); // a held write is released by bodyFlushed
    }
  }

  /** Request body bytes from the client connection, lent: held while the write is pending. */
  onBodyData(chunk: Buffer): number {
    if (this.state !== BUSY) return BORROW_DONE;
    const s = this.socket;
    s.cork();
    writeBodyPiece(s, chunk, this.reqBody !== null && this.reqBody.length === -1, this.bodyFlushed);
    s.uncork();
    return s.writableLength === 0 ? BORROW_DONE : BORROW_HELD;
  }

  onBodyEnd(): void {
    this.reqBodyDone = true;
    if (this.state !== BUSY) return;
    if (this.reqBody !== null && this.reqBody.length === -1) this.socket.write('0\r\n\r\n', 'latin1');
  }

  /** The request body no longer goes to this connection. */
  private dropBody(): void {
    const b = this.reqBody;
    this.reqBody = null;
    if (b !== null && b.sink === this) b.detach();
  }

  private abort(err?: Error): void {
    const h = this.handler;
    if (h === null) return;
    this.handler = null;
    this.dropBody();
    this.destroy();
    h.onError(err ?? codedError('UND_ERR_ABORTED', 'request aborted'));
  }

  private resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.socket.resume();
    if (this.buf !== null) {
      const b = this.buf;
      this.buf = null;
      this.onData(b, b.length);
    }
  }

  /**
   * Bytes read: buf[0, length) (a read buffer, not a view of the read: a response head is parsed
   * by offsets, and only a body part is viewed).
   */
  private onData(chunk: Buffer, length: number): void {
    if (this.state !== BUSY || this.handler === null) {
      // Bytes nobody asked for: the connection is out of step; never reuse it.
      this.destroy();
      return;
    }
    this.gotBytes = true;
    let buf = chunk;
    let end = length;
    if (this.buf !== null) {
      buf = Buffer.concat([this.buf, chunk.subarray(0, length)]);
      end = buf.length;
    }
    this.buf = null;
    let p = 0;
    while (this.response === null) {
      const r = parseResponseHead(buf, p, this.scratch, end);
      if (r === 0) {
        this.buf = this.keep(buf.subarray(p, end));
        return;
      }
      if (r === INVALID) return this.fail(codedError('UND_ERR_INVALID_RESPONSE', 'invalid response head from upstream'));
      const head = r as ResponseHead;
      p = head.headEnd;
      if (head.status < 200) {
        if (head.status === 101) return this.fail(codedError('UND_ERR_INVALID_RESPONSE', 'unexpected 101 response'));
        continue; // informational: the final response follows
      }
      this.response = head;
      const noBody = this.method === 'HEAD' || head.status === 204 || head.status === 304;
      if (noBody) this.remaining = 0;
      else if (head.chunked) this.chunked = new ChunkedDecoder();
      else if (head.contentLength >= 0) this.remaining = head.contentLength;
      else this.untilClose = true;
      const h: Handler = this.handler!;
      const more = h.onRawHeaders !== undefined ? h.onRawHeaders(head, this.resumeFn) : h.onHeaders(head.status, head.rawHeaders, this.resumeFn, head.reason);
      if (this.handler !== h) return; // aborted from onHeaders
      if (!more) this.pause();
    }
    if (p < end) {
      buf = p === 0 && end === buf.length ? buf : buf.subarray(p, end);
    } else {
      buf = EMPTY;
    }
    this.body(buf);
    // A body still to come, to a handler that can borrow: the next reads go to a buffer of this
    // connection's own (asked for right after this callback), lent without a copy.
    if (this.own === null && this.response !== null && this.handler !== null && this.handler.onBorrowedData !== undefined) this.useOwn();
  }

  /** While `own` is in use, Node asks this after every read where the next read lands. */
  private nextRead: (() => Buffer) | null = null;

  /**
   * From the next read on, read into a buffer of this connection's own (once `own` is dropped,
   * nextRead answers the shared buffer and is no longer asked).
   */
  private useOwn(): void {
    this.nextRead ??= () => {
      const own = this.own;
      if (own !== null) return own;
      setNextBuffer(this.socket, null);
      return READ_BUFFER;
    };
    if (setNextBuffer(this.socket, this.nextRead)) this.own = Buffer.allocUnsafe(READ_SIZE);
  }

  /** A copy of bytes from the shared read buffer (they are handed on or kept past this read). */
  private keep(b: Buffer): Buffer {
    if (!this.shared || b.length === 0) return b;
    const c = Buffer.allocUnsafe(b.length);
    b.copy(c);
    return c;
  }

  private pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.socket.pause();
  }

  /** Deliver body bytes from `buf` until done or told to wait. */
  private body(buf: Buffer): void {
    const h = this.handler!;
    if (this.paused) {
      if (buf.length > 0) this.buf = this.keep(buf);
      return;
    }
    if (this.remaining >= 0) {
      if (buf.length > this.remaining) return this.fail(codedError('UND_ERR_INVALID_RESPONSE', 'upstream sent more than its Content-Length'));
      if (buf.length > 0) {
        this.remaining -= buf.length;
        const more = this.deliver(h, buf);
        if (this.handler !== h) return;
        if (!more && this.remaining > 0) this.pause();
      }
      if (this.remaining === 0) this.complete(null);
      return;
    }
    if (this.chunked !== null) {
      const dec = this.chunked;
      let p = 0;
      while (p < buf.length) {
        let more = true;
        const q = dec.feed(buf, p, (c) => (more = this.deliver(h, c)));
        if (this.handler !== h) return;
        if (q === -1) return this.fail(codedError('UND_ERR_INVALID_RESPONSE', 'invalid chunked framing from upstream'));
        p = q;
        if (dec.done) {
          if (p < buf.length) this.reusable = false;
          return this.complete(dec.trailers);
        }
        if (!more) {
          this.pause();
          if (p < buf.length) this.buf = this.keep(buf.subarray(p));
          return;
        }
      }
      return;
    }
    // Close-delimited body.
    if (buf.length > 0) {
      const more = this.deliver(h, buf);
      if (this.handler !== h) return;
      if (!more) this.pause();
    }
  }

  /** Body bytes to the handler: lent when they are in this connection's own buffer, else copied if shared. */
  private deliver(h: Handler, b: Buffer): boolean {
    if (h.onBorrowedData === undefined || !this.shared) return h.onData(this.keep(b));
    // The shared buffer: lent for the call only (a small body written with its head needs no copy).
    if (!this.inOwn) return h.onBorrowedData(b, false) === BORROW_DONE;
    // BORROW_HELD: the bytes stay in use, so nothing more may be read into this buffer until
    // resume() (false pauses the socket, as for BORROW_PAUSE).
    return h.onBorrowedData(b, true) === BORROW_DONE;
  }

  reusable = true;

  private complete(trailers: string[] | null): void {
    const h = this.handler!;
    this.handler = null;
    // Its bytes may still be held by the last write; the next response starts on the shared buffer.
    this.own = null;
    // Answered before the whole request body was sent: the connection is mid-request, not reusable.
    const bodySent = this.reqBodyDone;
    this.dropBody();
    const hint = this.response!.keepAliveTimeoutS;
    // A server's own idle timeout, less a second so that we stop reusing before it closes.
    const limit = this.pool.options.keepAliveTimeoutMs;
    const idleMs = hint === -1 ? limit : Math.min(limit, hint * 1000 - KEEP_ALIVE_MARGIN_MS);
    const keep = bodySent && this.reusable && !this.response!.close && !this.untilClose && this.buf === null && idleMs > 0;
    this.response = null;
    if (keep) {
      this.reused = true;
      this.pool.release(this, idleMs);
    } else {
      this.destroy();
    }
    h.onComplete(trailers);
  }

  private fail(err: Error): void {
    const h = this.handler;
    this.handler = null;
    this.dropBody();
    this.destroy();
    if (h !== null) h.onError(err);
  }

  private onClose(err: Error | null): void {
    const was = this.state;
    this.state = CLOSED;
    this.pool.forget(this);
    this.dropBody();
    const h = this.handler;
    if (h === null) return;
    this.handler = null;
    if (this.untilClose && this.response !== null && err === null) {
      h.onComplete(null);
      return;
    }
    // A kept-alive connection the server closed just as we reused it: nothing of the request can
    // have been processed, so an idempotent request goes again on a fresh connection.
    if (was === BUSY && this.reused && !this.gotBytes && this.retriable) {
      this.pool.startOnNew(h, this.head, this.method);
      return;
    }
    h.onError(err ?? codedError('UND_ERR_SOCKET', 'upstream closed the connection'));
  }

  destroy(): void {
    if (this.state === CLOSED) return;
    this.state = CLOSED;
    this.pool.forget(this);
    this.socket.destroy();
  }

  /** Back to idle, reusable for `idleMs`. */
  markIdle(idleMs: number): void {
    this.state = IDLE;
    this.idleUntil = Date.now() + idleMs;
    this.buf = null;
    this.paused = false;
  }
}

const EMPTY = Buffer.alloc(0);
/** A server's `Keep-Alive: timeout` less this is how long we reuse its idle connection. */
const KEEP_ALIVE_MARGIN_MS = 1_000;

export class FastPool {
  readonly options: FastPoolOptions;
  readonly inner: Dispatcher;
  private readonly idle: UpstreamConnection[] = [];
  private readonly all = new Set<UpstreamConnection>();
  private readonly hostFallback: string;
  private sweeper: NodeJS.Timeout | null = null;
  private closing = false;
  private onEmpty: (() => void) | null = null;

  constructor(inner: Dispatcher, options: FastPoolOptions) {
    this.inner = inner;
    this.options = options;
    this.hostFallback = options.address.includes(':') ? `[${options.address}]:${options.port}` : `${options.address}:${options.port}`;
  }

  dispatch(o: DispatchOptions, handler: Handler): boolean {
    // Other bodies (whole buffers, mirrored streams), per-request timeouts (mirrors) and upgrades
    // stay with undici.
    const body = o.body == null ? null : streamableBody(o);
    if ((o.body != null && body === null) || o.upgrade != null || o.headersTimeout !== undefined || o.bodyTimeout !== undefined || this.closing) {
      return this.inner.dispatch(o as unknown as Dispatcher.DispatchOptions, handler as unknown as Dispatcher.DispatchHandler);
    }
    const head = requestHead(o, this.hostFallback, body !== null && body.length === -1);
    const conn = this.takeIdle();
    if (conn !== undefined) conn.start(handler, head, o.method, body);
    else this.startOnNew(handler, head, o.method, body);
    return true;
  }

  /** The most recently used idle connection still within its idle limit (the sweep runs coarsely). */
  private takeIdle(): UpstreamConnection | undefined {
    const now = Date.now();
    let conn = this.idle.pop();
    while (conn !== undefined && conn.idleUntil <= now) {
      conn.destroy();
      conn = this.idle.pop();
    }
    return conn;
  }

  startOnNew(handler: Handler, head: Buffer, method: string, body: RequestBody | null = null): void {
    const conn = new UpstreamConnection(this);
    this.all.add(conn);
    conn.start(handler, head, method, body);
  }

  /** A connection free for another request, for at most `idleMs` (a server's hint may shorten it). */
  release(conn: UpstreamConnection, idleMs = this.options.keepAliveTimeoutMs): void {
    if (this.closing) {
      conn.destroy();
      return;
    }
    if (this.idle.length >= (this.options.maxIdle ?? MAX_IDLE)) {
      conn.destroy();
      return;
    }
    conn.markIdle(idleMs);
    this.idle.push(conn);
    if (this.sweeper === null) {
      const every = Math.max(250, Math.min(1000, this.options.keepAliveTimeoutMs >> 1));
      this.sweeper = setInterval(() => this.sweep(), every);
      this.sweeper.unref();
    }
  }

  forget(conn: UpstreamConnection): void {
    this.all.delete(conn);
    const i = this.idle.indexOf(conn);
    if (i !== -1) this.idle.splice(i, 1);
    if (this.all.size === 0) {
      if (this.sweeper !== null) {
        clearInterval(this.sweeper);
        this.sweeper = null;
      }
      const done = this.onEmpty;
      this.onEmpty = null;
      done?.();
    }
  }

  /** Close connections idle past their limit (each has its own when servers send hints). */
  private sweep(): void {
    const now = Date.now();
    let expired: UpstreamConnection[] | null = null;
    for (const c of this.idle) if (c.idleUntil <= now) (expired ??= []).push(c);
    if (expired !== null) for (const c of expired) c.destroy();
  }

  /** Graceful: idle connections close now, busy ones when their response is done. */
  async close(): Promise<void> {
    this.closing = true;
    for (const c of [...this.idle]) c.destroy();
    const drained = this.all.size === 0 ? Promise.resolve() : new Promise<void>((r) => (this.onEmpty = r));
    await Promise.all([drained, this.inner.close()]);
  }

  async destroy(): Promise<void> {
    this.closing = true;
    for (const c of [...this.all]) c.destroy();
    // Handlers of requests in flight learn it from their socket's close event.
    await this.inner.destroy();
  }
}
