// The raw-socket HTTP/1.1 front end: one object per client connection reads request heads with the
// strict parser, builds the same RequestHead the router and filters use, and runs the same
// Exchange as the node:http front end, answering through a per-request FastResponse (a Downstream)
// that writes each response head as one string, in one write with the first body bytes.
// Requests are served one at a time in order (pipelined requests wait in the buffer). Plain
// sockets are read into one shared buffer (read-into.ts), request bodies lent from a buffer of the
// connection's own when the fast pool streams them. A request the fast path does not serve
// (Upgrade, an Expect other than 100-continue, HTTP/1.0, …) hands the connection, with the
// unread bytes put back, to the node:http server at that request boundary; it keeps it from then on.
// On a cleartext port the first bytes are also checked for the HTTP/2 preface (prior knowledge):
// such a connection goes, bytes put back, to the HTTP/2 engine. Checked here rather than by a
// separate reader before this object exists: that one put every connection through the socket's
// stream events, a timer and a put-back, and its first request through the slow path.
// Imported, not the globals: Node defines globalThis.Buffer, performance and process as getters,
// which optimized code calls on every use (a load-global IC miss each time on the hot path).
import { Buffer } from 'node:buffer';
import process from 'node:process';
import { STATUS_CODES } from '../../node-http.ts';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { Downstream, DownstreamEvents } from '../downstream.ts';
import { Exchange } from '../exchange.ts';
import type { PortSlot } from '../port-slot.ts';
import { makeHead, normaliseHost } from '../request-head.ts';
import { latin1, NEED_MORE, parseRequest, type ParsedRequest } from './parse-request.ts';
import { coarseNow, IdleSweep } from './idle-sweep.ts';
import { ChunkedDecoder, type ResponseHead } from './parse-response.ts';
import { H2_PREFACE, mayBePreface } from '../h2-preface.ts';
import { RequestBody } from './request-body.ts';
import { installReadInto, pushCopy, setNextBuffer, setReadCallback } from './read-into.ts';
import { BORROW_DONE, BORROW_HELD } from './upstream-pool.ts';
import { writeDirect } from './write-direct.ts';
import { writeBodyPiece } from './write-body-piece.ts';

/** An idle keep-alive connection is closed after this long (node:http's keepAliveTimeout here). */
export const KEEP_ALIVE_MS = 65_000;
/** A request head must arrive complete within this long of its first byte (slowloris bound). */
export const HEADERS_TIMEOUT_MS = 60_000;
/**
 * After answering a request whose body was not read to its end, the rest is read and dropped for
 * at most this long (so the client reads the answer before the close, not a reset), then the
 * connection is destroyed.
 */
export const LINGER_MS = 5_000;
/** Pipelined bytes buffered while a request is served before reading pauses. */
const MAX_BUFFERED = 64 * 1024;
/** Bodies up to this size are sent in one string with the response head. */
const SMALL_BODY = 4096;

const INVALID_NAME = /[^!#$%&'*+\-.^_`|~0-9A-Za-z]/;
const INVALID_VALUE = /[^\t\x20-\x7e\x80-\xff]/;

let dateMs = 0;
let dateLine = '';
let dateBytes = Buffer.alloc(0);
/** `date: …\r\n`, recomputed at most once a second. */
function dateHeader(): string {
  const now = Date.now();
  if (now - dateMs >= 1000) {
    dateMs = now - (now % 1000);
    dateLine = `date: ${new Date(dateMs).toUTCString()}\r\n`;
    dateBytes = Buffer.from(dateLine, 'latin1');
  }
  return dateLine;
}

/**
 * src[from, to) into out at `at`; returns the offset after. Short runs in a loop: Buffer#copy costs
 * ~65 ns whatever the length, the loop ~1.5 ns a byte, so the loop wins only below ~40 bytes (Node
 * 24, one EPYC core: 120 bytes took 190 ns in the loop against 67 ns copied). A relayed head's kept
 * fields are mostly one run of 100–300 bytes.
 */
function copyBytes(src: Buffer, from: number, to: number, out: Buffer, at: number): number {
  if (to - from > 40) return at + src.copy(out, at, from, to);
  for (let i = from; i < to; i++) out[at++] = src[i]!;
  return at;
}

const HTTP11 = Buffer.from('HTTP/1.1 ', 'latin1');
const CHUNKED_LINE = Buffer.from('transfer-encoding: chunked\r\n', 'latin1');
const CLOSE_LINE = Buffer.from('connection: close\r\n', 'latin1');

export interface FastFrontEnd {
  timeouts: { keepAliveMs: number; headersMs: number; lingerMs: number };
  /** Hand a connection to node:http (bytes already put back). */
  fallback(socket: Socket): void;
  /** Hand a cleartext connection that opened with the HTTP/2 preface to HTTP/2 (bytes put back). */
  http2?: (socket: Socket) => void;
  /** The open connections, and their keep-alive and head timeouts. */
  sweep: IdleSweep<FastConnection>;
}

function onSocketData(this: Socket & { [kConn]: FastConnection }, chunk: Buffer): void {
  this[kConn].onData(chunk);
}

/**
 * Reads of every plain client connection land in this one buffer (read-into.ts): no allocation
 * and no stream machinery per read. Whatever must outlive the read is copied (own()).
 */
const CLIENT_READ = Buffer.allocUnsafe(64 * 1024);

function onSocketRead(this: Socket & { [kConn]: FastConnection }, nread: number, buf: Buffer): boolean {
  const c = this[kConn];
  if (buf !== CLIENT_READ || !c.serveRead(nread)) c.onData(buf.subarray(0, nread));
  return true;
}

/** `b` itself, or a copy when it lies in the shared read buffer (which the next read overwrites). */
function own(b: Buffer): Buffer {
  return b.buffer === CLIENT_READ.buffer ? Buffer.copyBytesFrom(b) : b;
}
function onSocketClose(this: Socket & { [kConn]: FastConnection }): void {
  this[kConn].onClose();
}
function onSocketEnd(this: Socket & { [kConn]: FastConnection }): void {
  const c = this[kConn];
  // Bytes read before the end are still to be delivered (see the constructor): the end comes after.
  if (c.firstPending) {
    c.endPending = true;
    return;
  }
  // The client half-closed: like node:http, we close too; a response in flight is abandoned.
  c.gone = true;
  // Not when our side is already closing (a `Connection: close` answer ended it): end() on an
  // ended stream makes an error object with its stack trace only to drop it (wrk with
  // `Connection: close`: Wicket's CPU per request 186 → 160 µs without it).
  if (!this.writableEnded) this.end();
}
function onSocketError(this: Socket): void {
  this.destroy();
}
function onSocketDrain(this: Socket & { [kConn]: FastConnection }): void {
  this[kConn].current?.events?.onDrain();
}

const kConn = Symbol('wicket.fast.conn');

/**
 * After every 'data' event a Readable schedules a nextTick (maybeReadMore) to call _read() in case
 * its buffer is below the high-water mark; a TCP socket in flowing mode reads on its own, so for
 * a plain socket that tick (and its allocation) is pure cost, once per request. Marking the state
 * as already "reading more" from the data handler (addChunk checks it right after emitting)
 * skips it; resume() and read() still restart a stopped handle. Not done for TLS sockets, nor
 * once the connection went to node:http.
 */
interface ReadState {
  readingMore: boolean;
}

function readStateOf(socket: Socket): ReadState | null {
  if ((socket as Partial<TLSSocket>).encrypted) return null;
  const state = (socket as Socket & { _readableState?: Partial<ReadState> })._readableState;
  return state !== undefined && typeof state.readingMore === 'boolean' ? (state as ReadState) : null;
}

export class FastConnection {
  readonly socket: Socket;
  readonly slot: PortSlot;
  readonly fe: FastFrontEnd;
  buf: Buffer | null = null;
  current: FastResponse | null = null;
  /** The request body still arriving, if any: every byte read goes to it until it is complete. */
  body: RequestBody | null = null;
  /** Body bytes still expected (Content-Length), or -1 when chunked. */
  bodyRemaining = -1;
  bodyDecoder: ChunkedDecoder | null = null;
  private readonly resumeBody: () => void;
  /** Callback of writes of borrowed bytes (FastResponse.writeBorrowed): see onBorrowedFlushed. */
  readonly borrowedFlushed: () => void;
  /** Coarse times for the sweep (idle-sweep.ts): idle since, and an incomplete head since (or 0). */
  idleSince = 0;
  headSince = 0;
  /**
   * The last request head parsed here: the next parse reuses its strings where the bytes repeat,
   * and is written into this same object (a head is used only while its request starts).
   */
  private lastParsed: ParsedRequest | null = null;
  /** Read once: every socket.remoteAddress is a getpeername() system call. */
  readonly remoteAddress: string;
  closing = false;
  gone = false;
  private scheduled = false;
  /** The socket's Readable state, to skip its read-more tick (plain sockets only; see readStateOf). */
  private readState: ReadState | null = null;
  /** The request asked `Expect: 100-continue` and its body was not wanted yet. */
  continuePending = false;
  /** Bytes read before this connection took the socket are still to be delivered; and an end after them. */
  firstPending = false;
  endPending = false;
  /** Reads land in CLIENT_READ through onSocketRead instead of 'data' events. */
  private readonly direct: boolean;
  /** No byte seen yet that rules out the HTTP/2 preface (cleartext ports that serve HTTP/2). */
  private sniffing: boolean;
  /**
   * A read buffer of this connection alone while a request body streams to an upstream sink: its
   * bytes are lent to the upstream write, and reading pauses while a write holds them.
   */
  ownRead: Buffer | null = null;
  /** While ownRead is in use, Node asks this after every read where the next read lands. */
  private nextRead: (() => Buffer) | null = null;

  constructor(socket: Socket, slot: PortSlot, fe: FastFrontEnd, cleartext = false) {
    this.socket = socket;
    this.slot = slot;
    this.fe = fe;
    this.sniffing = cleartext && fe.http2 !== undefined;
    this.remoteAddress = socket.remoteAddress ?? '';
    this.resumeBody = () => {
      if (this.continuePending) this.sendContinue();
      if (this.body !== null && this.socket.isPaused()) this.socket.resume();
    };
    this.borrowedFlushed = () => this.onBorrowedFlushed();
    (socket as Socket & { [kConn]: FastConnection })[kConn] = this;
    socket.setNoDelay(true);
    this.direct =
      (socket as Partial<TLSSocket>).encrypted !== true && installReadInto(socket as Socket & { [kConn]: FastConnection }, CLIENT_READ, onSocketRead);
    if (!this.direct) socket.on('data', onSocketData);
    socket.on('close', onSocketClose);
    socket.on('end', onSocketEnd);
    socket.on('error', onSocketError);
    socket.on('drain', onSocketDrain);
    if (!this.direct) this.readState = readStateOf(socket);
    fe.sweep.add(this);
    this.idleSince = coarseNow();
    if (this.direct && socket.readableLength > 0) {
      // Bytes read before (the HTTP/2 sniff puts them back): served on the next tick, as a
      // 'data' event would have delivered them.
      const first = socket.read() as Buffer | null;
      if (first !== null) {
        this.firstPending = true;
        process.nextTick(onFirstBytes, this, first);
      }
    }
  }

  onData(chunk: Buffer): void {
    if (this.readState !== null) this.readState.readingMore = true;
    if (this.gone) return;
    if (this.sniffing && this.sniff(chunk)) return;
    if (this.body !== null) this.feedBody(chunk);
    else if (this.buf !== null) {
      this.buf = Buffer.concat([this.buf, chunk]);
      if (this.current !== null) {
        if (this.buf.length > MAX_BUFFERED) this.socket.pause();
      } else this.next();
    } else if (this.current !== null) {
      this.buf = chunk;
      if (chunk.length > MAX_BUFFERED) this.socket.pause();
    } else {
      this.buf = chunk;
      this.next();
    }
    // Whatever stays buffered must not point into the shared read buffer.
    if (this.buf !== null && this.direct) this.buf = own(this.buf);
  }

  /**
   * The usual read on a kept-alive connection: exactly one whole request head without a body,
   * while nothing is buffered or in flight. Parsed and served straight from CLIENT_READ, with no
   * view made of the read (the parse copies what it keeps). False for any other read: the caller
   * takes the general path (onData), which parses it again.
   */
  serveRead(nread: number): boolean {
    if (this.gone || this.firstPending || this.body !== null || this.buf !== null || this.current !== null || this.closing) return false;
    if (this.sniffing) {
      if (mayBePreface(CLIENT_READ, nread)) return false;
      this.sniffing = false;
    }
    const r = parseRequest(CLIENT_READ, 0, this.lastParsed, nread, this.lastParsed);
    if (typeof r === 'number' || r.headEnd !== nread || r.fallback !== null) return false;
    this.headSince = 0;
    this.lastParsed = r;
    this.serve(r);
    return true;
  }

  /** Serve the next complete request in the buffer, if any and if none is in flight. */
  next(): void {
    this.scheduled = false;
    if (this.current !== null || this.gone) return;
    const buf = this.buf;
    if (buf === null) return;
    const r = parseRequest(buf, 0, this.lastParsed, buf.length, this.lastParsed);
    if (r === NEED_MORE) {
      if (this.headSince === 0) this.headSince = coarseNow();
      return;
    }
    this.headSince = 0;
    if (typeof r === 'number') return this.refuse(r);
    this.lastParsed = r;
    if (r.fallback !== null || this.closing) {
      if (r.fallback === null) return this.refuseClosing();
      return this.handOff();
    }
    this.buf = r.headEnd < buf.length ? buf.subarray(r.headEnd) : null;
    this.serve(r);
  }

  private serve(r: ParsedRequest): void {
    const slot = this.slot;
    const compiled = slot.compiled; // the router this request finishes on
    const sock = this.socket as Socket & Partial<TLSSocket>;
    const head = makeHead(
      r.method,
      compiled.scheme,
      r.target,
      r.rawHeaders,
      this.remoteAddress,
      slot.port,
      typeof sock.servername === 'string' ? sock.servername : null,
    );
    head.checked = true;
    let rule = compiled.router.match(head) ?? compiled.notFound;
    if (head.sni !== null && head.sni !== head.host && compiled.router.listenerOf(normaliseHost(head.sni)) !== compiled.router.listenerOf(head.host)) {
      rule = compiled.misdirected;
    }
    const hasBody = r.contentLength > 0 || r.chunked;
    // 100 Continue goes out when the exchange first wants the body (reads it or streams it), so an
    // answer that does not need it (404, redirect, error) is not preceded by an invitation to send it.
    this.continuePending = r.expectContinue && hasBody;
    const res = new FastResponse(this, r.method === 'HEAD', r.close || slot.closing, hasBody);
    this.current = res;
    if (hasBody) {
      this.body = new RequestBody(this.resumeBody, r.chunked ? -1 : r.contentLength);
      res.bodyStream = this.body;
      this.bodyRemaining = r.chunked ? -1 : r.contentLength;
      this.bodyDecoder = r.chunked ? new ChunkedDecoder() : null;
      const rest = this.buf;
      this.buf = null;
      if (rest !== null) this.feedBody(rest);
    }
    const x = new Exchange(head, res, rule, slot.env);
    res.events = x;
    slot.env.requestStarted();
    x.run();
  }

  /** `100 Continue`, once, unless the final response has started. */
  private sendContinue(): void {
    this.continuePending = false;
    const cur = this.current;
    if (this.gone || cur === null || cur.headersSent || cur.finished) return;
    this.socket.write('HTTP/1.1 100 Continue\r\n\r\n', 'latin1');
  }

  /**
   * From the next read on, read into a buffer of this connection's own (Node asks nextRead after
   * each read; once ownRead is dropped it answers the shared buffer and stops being asked).
   */
  private useOwnRead(): void {
    this.nextRead ??= () => {
      const own = this.ownRead;
      if (own !== null) return own;
      setNextBuffer(this.socket, null);
      return CLIENT_READ;
    };
    if (setNextBuffer(this.socket, this.nextRead)) this.ownRead = Buffer.allocUnsafe(CLIENT_READ.length);
  }

  /** Body bytes to the RequestBody: to its sink (lent when they are in `ownRead`), or pushed as a copy. */
  private deliver(body: RequestBody, chunk: Buffer): boolean {
    const sink = body.sink;
    if (sink === null) return body.push(own(chunk));
    // The rest of the body is read into a buffer of this connection's own (from the next read on),
    // lent to the upstream write without a copy.
    if (this.ownRead === null && this.direct) this.useOwnRead();
    const r = sink.onBodyData(own(chunk));
    // Held: nothing more may be read into the buffer until the sink releases it (body.release()).
    return r === BORROW_DONE;
  }

  /** Body bytes in; bytes past the end of the body stay buffered as the next request's. */
  private feedBody(chunk: Buffer): void {
    const body = this.body!;
    let used: number;
    let pushed = true;
    if (this.bodyDecoder === null) {
      used = Math.min(this.bodyRemaining, chunk.length);
      this.bodyRemaining -= used;
      if (!body.abandoned && used > 0) pushed = this.deliver(body, used === chunk.length ? chunk : chunk.subarray(0, used));
    } else {
      const dec = this.bodyDecoder;
      used = dec.feed(chunk, 0, (c) => {
        if (!body.abandoned) pushed = this.deliver(body, c) && pushed;
        return true;
      });
      if (used === -1) {
        // Broken chunked framing: the request cannot be delimited, so the connection ends.
        this.body = null;
        failBody(body, 'invalid chunked request body');
        this.socket.destroy();
        return;
      }
    }
    const complete = this.bodyDecoder === null ? this.bodyRemaining === 0 : this.bodyDecoder.done;
    if (complete) {
      this.body = null;
      this.bodyDecoder = null;
      // A write may still hold the last bytes lent from it: the next reads go to the shared buffer.
      this.ownRead = null;
      body.complete = true;
      if (!body.abandoned) {
        if (body.sink !== null) body.sink.onBodyEnd();
        else body.push(null);
      }
      if (used < chunk.length) this.buf = chunk.subarray(used);
      if (this.current === null) this.next();
      return;
    }
    if (!pushed) this.socket.pause();
  }

  /** The response in flight finished: go on with the next request, or close. */
  responseDone(res: FastResponse): void {
    if (this.current !== res) return;
    this.current = null;
    this.idleSince = coarseNow();
    if (res.close || this.closing || this.body !== null) {
      // (A request body not read to its end leaves no request boundary to go on from.)
      this.socket.end();
      this.gone = true;
      if (this.body !== null) this.linger();
      return;
    }
    if (this.socket.isPaused()) this.socket.resume();
    if (this.buf !== null && !this.scheduled) {
      // Not from inside the exchange's call stack: pipelined requests must not nest.
      this.scheduled = true;
      process.nextTick(nextTick, this);
    }
  }

  /**
   * The answer is out but the request body is not: read on (dropping the bytes: `gone`) until the
   * client closes, for at most lingerMs. A connection left paused here (by backpressure from an
   * upstream that is gone) would otherwise never see the client's close.
   */
  private linger(): void {
    // An upstream write may still hold the buffer lent from it; the next reads go to the shared one.
    this.ownRead = null;
    const s = this.socket;
    if (s.isPaused()) s.resume();
    setTimeout(destroySocket, this.fe.timeouts.lingerMs, s).unref();
  }

  private refuse(status: number): void {
    const reason = STATUS_CODES[status] ?? 'Bad Request';
    this.buf = null;
    this.gone = true;
    this.socket.end(`HTTP/1.1 ${status} ${reason}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
  }

  private refuseClosing(): void {
    // The port is closing: no new request starts on this connection.
    this.buf = null;
    this.gone = true;
    this.socket.end();
  }

  /**
   * The first bytes, with those buffered before: true when they were taken (the start of the
   * HTTP/2 preface, kept until it is complete; or the whole preface, handed to HTTP/2), false
   * when they rule the preface out and are to be served as HTTP/1.1 (nothing changed then).
   */
  private sniff(chunk: Buffer): boolean {
    const buf = this.buf === null ? chunk : Buffer.concat([this.buf, chunk]);
    if (!mayBePreface(buf, buf.length)) {
      this.sniffing = false;
      return false;
    }
    this.buf = this.direct ? own(buf) : buf;
    if (buf.length >= H2_PREFACE.length) this.handOff(this.fe.http2!);
    else if (this.headSince === 0) this.headSince = coarseNow();
    return true;
  }

  /** Give the connection, with the unread bytes, to node:http (a request boundary) or HTTP/2. */
  private handOff(to: (socket: Socket) => void = this.fe.fallback): void {
    const s = this.socket;
    const direct = this.direct;
    this.detach();
    s.pause();
    const buf = this.buf;
    this.buf = null;
    if (buf !== null) s.unshift(own(buf));
    // node:http reads a stream: from now on each read is copied into the socket's Readable.
    if (direct) setReadCallback(s, pushCopy);
    to(s);
    // node:http reads the stream once it flows again; HTTP/2 takes the handle itself.
    if (to === this.fe.fallback) s.resume();
  }

  private detach(): void {
    const s = this.socket;
    this.gone = true;
    this.fe.sweep.delete(this);
    this.headSince = 0;
    if (this.readState !== null) {
      this.readState.readingMore = false;
      this.readState = null;
    }
    s.off('data', onSocketData);
    s.off('close', onSocketClose);
    s.off('end', onSocketEnd);
    s.off('error', onSocketError);
    s.off('drain', onSocketDrain);
  }

  onClose(): void {
    this.detach();
    const cur = this.current;
    this.current = null;
    if (cur !== null && !cur.finished) {
      cur.finished = true;
      cur.events?.onClientAbort();
    }
    const body = this.body;
    this.body = null;
    if (body !== null && !body.destroyed) failBody(body, 'client closed the connection during the request body');
  }

  /**
   * A write of borrowed bytes completed. Only once nothing at all is waiting to be written are all
   * borrowed bytes free (a callback can also come late, for a write that completed at once, while
   * a later one is still pending); then the response in flight may read more ('drain' is emitted
   * only after a write that returned false).
   */
  private onBorrowedFlushed(): void {
    if (this.socket.writableLength === 0) this.current?.events?.onDrain();
  }

  /** No request in flight and nothing buffered (a request in flight has its own route timeouts). */
  isIdle(): boolean {
    return this.current === null && this.buf === null && this.body === null;
  }

  onIdleTimeout(): void {
    if (this.isIdle()) this.socket.destroy();
  }

  onHeadersTimeout(): void {
    this.headSince = 0;
    if (this.current !== null || this.gone) return;
    this.refuse(408);
  }

  /** Port closing: idle connections close now, busy ones after their response. */
  closeIdle(): void {
    this.closing = true;
    if (this.current === null) this.socket.destroy();
  }
}

function nextTick(c: FastConnection): void {
  c.next();
}

/**
 * End a request body that cannot complete. As an error only for a reader that listens for one (a
 * body streamed by the fast pool has none: its upstream request is aborted with the exchange).
 */
function failBody(body: RequestBody, message: string): void {
  body.destroy(body.listenerCount('error') > 0 ? new Error(message) : undefined);
}

function destroySocket(s: Socket): void {
  s.destroy();
}

function onFirstBytes(c: FastConnection, bytes: Buffer): void {
  c.firstPending = false;
  c.onData(bytes);
  if (c.endPending) onSocketEnd.call(c.socket as Socket & { [kConn]: FastConnection });
}

/** One response on a fast connection: the Downstream an Exchange answers through. */
export class FastResponse implements Downstream {
  readonly conn: FastConnection;
  readonly hasBody: boolean;
  readonly noBody: boolean;
  events: DownstreamEvents | null = null;
  close: boolean;
  finished = false;
  headersSent = false;
  /** The head, not written yet: it goes out with the first body bytes. */
  pending: string | Buffer | null = null;
  /** Bytes of a Buffer `pending` in use (room past them is kept for a small body). */
  pendingLen = 0;
  chunked = false;
  /** The response carries no body whatever its headers say (HEAD, 1xx, 204, 304). */
  empty = false;

  constructor(conn: FastConnection, head: boolean, close: boolean, hasBody: boolean) {
    this.conn = conn;
    this.hasBody = hasBody;
    this.noBody = head;
    this.close = close;
  }

  takeBody(): Readable {
    if (this.bodyStream === null) throw new Error('request without a body');
    return this.bodyStream;
  }

  /** The request body stream (it may have fully arrived already). */
  bodyStream: Readable | null = null;

  respond(status: number, headers: string[], reason?: string): void {
    if (this.finished || this.headersSent) return;
    if (this.conn.slot.closing || this.conn.closing || this.conn.body !== null) this.close = true;
    let s = `HTTP/1.1 ${status} ${reason || STATUS_CODES[status] || 'unknown'}\r\n`;
    let length = false;
    let date = false;
    for (let i = 0; i < headers.length; i += 2) {
      const n = headers[i]!;
      const v = headers[i + 1]!;
      if (INVALID_NAME.test(n) || INVALID_VALUE.test(v)) {
        const e = new TypeError(`Invalid character in header content [${JSON.stringify(n)}]`) as TypeError & { code: string };
        e.code = 'ERR_INVALID_CHAR';
        throw e;
      }
      if (n.length === 14 && n.toLowerCase() === 'content-length') length = true;
      else if (n.length === 4 && n.toLowerCase() === 'date') date = true;
      s += `${n}: ${v}\r\n`;
    }
    this.empty = this.noBody || status === 204 || status === 304 || status < 200;
    if (!date) s += dateHeader();
    if (!length && !this.empty) {
      this.chunked = true;
      s += 'transfer-encoding: chunked\r\n';
    }
    if (this.close) s += 'connection: close\r\n';
    this.pending = `${s}\r\n`;
    this.headersSent = true;
  }

  write(chunk: Buffer): boolean {
    if (this.finished) return true;
    const sock = this.conn.socket;
    if (this.empty || chunk.length === 0) {
      return this.flushHead();
    }
    const p = this.pending;
    if (p !== null && typeof p !== 'string' && !this.chunked && this.pendingLen + chunk.length <= p.length) {
      // A relayed head with room for this (small) body: one buffer, one write.
      p.set(chunk, this.pendingLen);
      const n = this.pendingLen + chunk.length;
      this.pending = null;
      return writeDirect(sock, n === p.length ? p : p.subarray(0, n));
    }
    if (typeof p === 'string' && !this.chunked && chunk.length <= SMALL_BODY) {
      // Head and a small body as one string: one write, no writev bookkeeping.
      const s = p + latin1(chunk, 0, chunk.length);
      this.pending = null;
      return writeDirect(sock, s);
    }
    if (this.chunked && chunk.length <= SMALL_BODY) {
      // A small chunk with its framing (and the head if still pending) as one buffer: one write.
      const hex = chunk.length.toString(16);
      const hl = p === null ? 0 : typeof p === 'string' ? p.length : this.pendingLen;
      const out = Buffer.allocUnsafe(hl + hex.length + 4 + chunk.length);
      let at = p === null ? 0 : typeof p === 'string' ? out.write(p, 0, 'latin1') : copyBytes(p, 0, hl, out, 0);
      at += out.write(hex, at, 'latin1');
      out[at++] = 13;
      out[at++] = 10;
      out.set(chunk, at);
      at += chunk.length;
      out[at++] = 13;
      out[at] = 10;
      this.pending = null;
      return writeDirect(sock, out);
    }
    sock.cork();
    this.writePending();
    const ok = writeBodyPiece(sock, chunk, this.chunked);
    sock.uncork();
    return ok;
  }

  /**
   * Body bytes the caller reuses after this call (the fast pool's read buffer): written, with the
   * head if still pending, as one corked write whose callback says when they are out. True when
   * everything went out at once (nothing references the bytes any more).
   */
  writeBorrowed(chunk: Buffer, holdable: boolean): boolean {
    if (this.finished) return true;
    const sock = this.conn.socket;
    if (this.empty || chunk.length === 0) {
      this.flushHead();
      return true;
    }
    if (!holdable) {
      // A small body going out with its head is copied into the head's buffer or string anyway.
      const p = this.pending;
      // (A small chunk of a chunked body is copied with its framing into one buffer.)
      const joins = this.chunked ? chunk.length <= SMALL_BODY : p !== null && (typeof p === 'string' ? chunk.length <= SMALL_BODY : this.pendingLen + chunk.length <= p.length);
      return this.write(joins ? chunk : Buffer.copyBytesFrom(chunk));
    }
    // Corked so that every piece goes in one writev: its callbacks run only when all of it is out.
    sock.cork();
    this.writePending();
    writeBodyPiece(sock, chunk, this.chunked, this.conn.borrowedFlushed);
    sock.uncork();
    return sock.writableLength === 0;
  }

  private flushHead(): boolean {
    if (this.pending === null) return true;
    return this.writePending();
  }

  /** Write the head not sent yet, if any. */
  private writePending(): boolean {
    const p = this.pending;
    if (p === null) return true;
    this.pending = null;
    return writeDirect(this.conn.socket, typeof p === 'string' || this.pendingLen === p.length ? p : p.subarray(0, this.pendingLen));
  }

  /**
   * An upstream head from the fast pool, as bytes: its status line and every header line but the
   * hop-by-hop ones copied as received (already checked by the strict parser), plus what
   * respond() adds (date, chunked framing, connection: close). No string per header.
   */
  relayHead(h: ResponseHead): void {
    if (this.finished || this.headersSent) return;
    if (this.conn.slot.closing || this.conn.closing || this.conn.body !== null) this.close = true;
    const status = h.status;
    this.empty = this.noBody || status === 204 || status === 304 || status < 200;
    this.chunked = !h.hasContentLength && !this.empty;
    const src = h.buf;
    // The status line from the code on ("200 OK\r\n"), or with the standard reason when none came.
    const reasonless = h.reasonEnd === h.reasonStart;
    const statusLine = reasonless ? `${status} ${STATUS_CODES[status] || 'unknown'}\r\n` : '';
    const statusLen = reasonless ? statusLine.length : h.reasonEnd + 2 - h.statusAt;
    const kept = h.kept;
    let size = HTTP11.length + statusLen + 2;
    const nKept = h.keptLength;
    for (let i = 0; i < nKept; i += 2) size += kept[i + 1]! - kept[i]!;
    if (!h.hasDate) {
      dateHeader();
      size += dateBytes.length;
    }
    if (this.chunked) size += CHUNKED_LINE.length;
    if (this.close) size += CLOSE_LINE.length;
    // Room for a small body known in advance, so head and body leave in one write.
    const room = !this.empty && !this.chunked && h.contentLength > 0 && h.contentLength <= SMALL_BODY ? h.contentLength : 0;
    const out = Buffer.allocUnsafe(size + room);
    out.set(HTTP11, 0);
    let at = HTTP11.length;
    if (reasonless) at += out.write(statusLine, at, 'latin1');
    else at = copyBytes(src, h.statusAt, h.reasonEnd + 2, out, at);
    for (let i = 0; i < nKept; i += 2) at = copyBytes(src, kept[i]!, kept[i + 1]!, out, at);
    if (!h.hasDate) {
      out.set(dateBytes, at);
      at += dateBytes.length;
    }
    if (this.chunked) {
      out.set(CHUNKED_LINE, at);
      at += CHUNKED_LINE.length;
    }
    if (this.close) {
      out.set(CLOSE_LINE, at);
      at += CLOSE_LINE.length;
    }
    out[at++] = 13;
    out[at++] = 10;
    this.pending = room > 0 ? out : out.subarray(0, at);
    this.pendingLen = at;
    this.headersSent = true;
  }

  waitDrain(): void {
    // The connection's drain listener calls events.onDrain() for the response in flight.
  }

  end(body?: string, trailers?: readonly (string | Buffer)[] | null): void {
    if (this.finished) return;
    if (trailers && trailers.length > 0 && this.chunked && !body) return this.endWithTrailers(trailers);
    const sock = this.conn.socket;
    if (body && !this.empty) {
      sock.cork();
      this.writePending();
      if (this.chunked) {
        sock.write(`${Buffer.byteLength(body).toString(16)}\r\n`, 'latin1');
        sock.write(body);
        sock.write('\r\n0\r\n\r\n', 'latin1');
      } else {
        sock.write(body);
      }
      sock.uncork();
    } else if (this.chunked) {
      const p = this.pending;
      if (typeof p === 'string' || p === null) {
        this.pending = null;
        writeDirect(sock, p === null ? '0\r\n\r\n' : `${p}0\r\n\r\n`);
      } else {
        sock.cork();
        this.writePending();
        sock.write('0\r\n\r\n', 'latin1');
        sock.uncork();
      }
    } else {
      this.flushHead();
    }
    this.finished = true;
    this.conn.responseDone(this);
  }

  /** The last chunk with trailer fields (invalid ones are dropped: the response is already out). */
  private endWithTrailers(trailers: readonly (string | Buffer)[]): void {
    let t = '0\r\n';
    for (let i = 0; i + 1 < trailers.length; i += 2) {
      const n = String(trailers[i]);
      const v = String(trailers[i + 1]);
      if (n.length === 0 || INVALID_NAME.test(n) || INVALID_VALUE.test(v)) continue;
      t += `${n}: ${v}\r\n`;
    }
    t += '\r\n';
    const p = this.pending;
    if (typeof p === 'string' || p === null) {
      this.pending = null;
      writeDirect(this.conn.socket, p === null ? t : p + t);
    } else {
      const sock = this.conn.socket;
      sock.cork();
      this.writePending();
      sock.write(t, 'latin1');
      sock.uncork();
    }
    this.finished = true;
    this.conn.responseDone(this);
  }

  reset(): void {
    if (this.finished) return;
    this.finished = true;
    this.conn.socket.destroy();
  }

  closeAfter(): void {
    if (!this.headersSent) this.close = true;
  }
}
