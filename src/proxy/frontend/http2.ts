// The HTTP/2 front end: each stream of a client session becomes a RequestHead and a Downstream,
// routed with the router current when the stream arrives and handed to the same Exchange as an
// HTTP/1.1 request — same filters, upstream selection, metrics and access log. `:authority` plays
// Host; pseudo-headers never become fields. Responses are sent the HTTP/2 way: trailers relayed
// (gRPC's grpc-status), a response that carries grpc-status in its headers sent trailers-only,
// RST_STREAM for a response cut short, and a client's RST_STREAM aborting the upstream request.
import {
  constants,
  createServer as createH2Server,
  type Http2Server,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
  type ServerHttp2Session,
  type ServerHttp2Stream,
} from 'node:http2';
import type { Socket } from 'node:net';
import { PassThrough, type Readable } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { Downstream, DownstreamEvents } from '../downstream.ts';
import { Exchange } from '../exchange.ts';
import { isGrpcContentType } from '../grpc/status.ts';
import type { PortSlot } from '../port-slot.ts';
import { makeHead, normaliseHost } from '../request-head.ts';
import { flatToH2Response, flatToH2Trailers, h2RequestToFlat, teWantsTrailers } from './h2-headers.ts';

const kSlot = Symbol('wicket.slot');
const kDown = Symbol('wicket.h2downstream');
const kActive = Symbol('wicket.h2active');

type SlotH2Server = Http2Server & { [kSlot]: PortSlot };
type Stream = ServerHttp2Stream & { [kDown]?: Http2Downstream };
type Session = ServerHttp2Session & { [kActive]?: number };

const CUT_SHORT = new Error('upstream response cut short');

/** How long a client may go on sending a request body after its response is complete. */
const UNREAD_BODY_GRACE_MS = 30_000;

/** Close a client session after this long without streams (like HTTP/1.1 keep-alive). */
const SESSION_IDLE_MS = 65_000;

function onStreamDrain(this: Stream): void {
  this[kDown]?.events?.onDrain();
}

function onStreamClose(this: Stream): void {
  const down = this[kDown];
  if (down === undefined) return;
  // Closed before our side finished: the client reset the stream (or the session died).
  if (!this.writableFinished || !down.ended) down.events?.onClientAbort();
}

function onWantTrailers(this: Stream): void {
  const down = this[kDown];
  this.sendTrailers(down?.trailers ?? {});
}

function closeIfStillOpen(stream: ServerHttp2Stream): void {
  if (!stream.closed && !stream.destroyed) stream.close(constants.NGHTTP2_NO_ERROR);
}

function onUnreadClose(this: Stream & { unreadTimer?: NodeJS.Timeout }): void {
  if (this.unreadTimer !== undefined) clearTimeout(this.unreadTimer);
}

/**
 * Our response is complete but the client is still sending a body nobody will read (a local
 * answer, or a backend that answered early, as gRPC servers may). Discard it rather than reset
 * the stream: RST_STREAM(NO_ERROR), which RFC 9113 §8.1 allows, is sent by nghttp2 ahead of
 * response frames still queued behind flow control, and the client would lose the end of the
 * response and its trailers (gRPC's status). A client that keeps sending long after the answer is
 * reset then.
 */
function discardUnreadBody(stream: ServerHttp2Stream): void {
  if (stream.readableEnded || stream.destroyed) return;
  stream.unpipe();
  stream.resume();
  const s = stream as Stream & { unreadTimer?: NodeJS.Timeout };
  s.unreadTimer = setTimeout(closeIfStillOpen, UNREAD_BODY_GRACE_MS, stream);
  s.unreadTimer.unref();
  stream.once('close', onUnreadClose);
}

function onStreamError(): void {
  // Reported through 'close'; the listener keeps it from being an unhandled error.
}

export class Http2Downstream implements Downstream {
  readonly stream: ServerHttp2Stream;
  readonly hasBody: boolean;
  readonly head: boolean;
  /** The client asked for trailers (`te: trailers`), as gRPC clients do. */
  readonly teTrailers: boolean;
  events: DownstreamEvents | null = null;
  ended = false;
  trailers: OutgoingHttpHeaders | null = null;
  private waitingTrailers = false;

  constructor(stream: ServerHttp2Stream, method: string, teTrailers: boolean) {
    this.stream = stream;
    this.hasBody = !stream.endAfterHeaders;
    this.head = method === 'HEAD';
    this.teTrailers = teTrailers;
    (stream as Stream)[kDown] = this;
    stream.on('close', onStreamClose);
    stream.on('error', onStreamError);
  }

  takeBody(): Readable {
    // Through a PassThrough, as on HTTP/1.1: undici destroys the body stream when an attempt
    // fails, and destroying the HTTP/2 stream itself would reset it before we answer.
    const pt = new PassThrough();
    this.stream.pipe(pt);
    return pt;
  }

  respond(status: number, headers: string[]): void {
    if (this.stream.destroyed || this.stream.closed) return;
    const h = flatToH2Response(status, headers);
    const ct = h['content-type'];
    const grpc = isGrpcContentType(typeof ct === 'string' ? ct : undefined);
    // A gRPC response with grpc-status in its headers is trailers-only: the HEADERS frame ends the stream.
    const endNow = this.head || status === 204 || status === 304 || (grpc && h['grpc-status'] !== undefined);
    this.waitingTrailers = !endNow && (this.teTrailers || grpc);
    this.stream.respond(h, { endStream: endNow, waitForTrailers: this.waitingTrailers });
    if (this.waitingTrailers) this.stream.once('wantTrailers', onWantTrailers);
    if (endNow) this.finishLocal();
  }

  write(chunk: Buffer): boolean {
    if (this.ended || this.stream.destroyed) return true;
    return this.stream.write(chunk);
  }

  waitDrain(): void {
    this.stream.once('drain', onStreamDrain);
  }

  end(body?: string, trailers?: readonly (string | Buffer)[] | null): void {
    if (this.ended) return;
    if (this.stream.destroyed || this.stream.closed) {
      this.ended = true;
      return;
    }
    if (trailers && trailers.length > 0 && this.waitingTrailers) this.trailers = flatToH2Trailers(trailers);
    if (body && !this.head) this.stream.end(body);
    else this.stream.end();
    this.finishLocal();
  }

  /** Our response is complete (or will be once its queued frames are out). */
  private finishLocal(): void {
    this.ended = true;
    discardUnreadBody(this.stream);
  }

  reset(): void {
    this.ended = true;
    // destroy(), not close(): close() would first end the response (END_STREAM), and the client
    // would take the truncated response for a whole one; destroy() sends RST_STREAM at once.
    if (!this.stream.destroyed) this.stream.destroy(CUT_SHORT);
  }

  get headersSent(): boolean {
    return this.stream.headersSent;
  }

  closeAfter(): void {
    // Nothing to do for one stream: finishLocal() discards an unread request body.
  }
}

/** SNI and :authority must pick the same listener on an HTTPS port, else the request is misdirected. */
function misdirected(compiled: PortSlot['compiled'], sni: string, host: string): boolean {
  const router = compiled.router;
  return router.listenerOf(normaliseHost(sni)) !== router.listenerOf(host);
}

function onStream(this: SlotH2Server, stream: ServerHttp2Stream, headers: IncomingHttpHeaders, _flags: number, rawHeaders: string[]): void {
  const slot = this[kSlot];
  const compiled = slot.compiled; // the router this stream will finish on
  const method = headers[':method'] ?? 'GET';
  const path = headers[':path'];
  trackStream(stream);
  if (method === 'CONNECT' || path === undefined) {
    // No CONNECT tunnels (nor extended CONNECT) through the gateway.
    stream.on('error', onStreamError);
    stream.respond({ ':status': 405 }, { endStream: true });
    return;
  }
  const sock = stream.session?.socket as (Socket & Partial<TLSSocket>) | undefined;
  const head = makeHead(
    method,
    compiled.scheme,
    path,
    h2RequestToFlat(rawHeaders, headers[':authority']),
    sock?.remoteAddress ?? '',
    slot.port,
    typeof sock?.servername === 'string' ? sock.servername : null,
  );
  let rule = compiled.router.match(head) ?? compiled.notFound;
  if (head.sni !== null && head.sni !== head.host && misdirected(compiled, head.sni, head.host)) rule = compiled.misdirected;
  // The core streams bodies as they come, so a client waiting for 100-continue may send now.
  if (headers['expect'] === '100-continue' && !stream.endAfterHeaders) stream.additionalHeaders({ ':status': 100 });
  const te = headers['te'];
  const down = new Http2Downstream(stream, method, teWantsTrailers(typeof te === 'string' ? te : undefined));
  const x = new Exchange(head, down, rule, slot.env);
  down.events = x;
  slot.env.requestStarted();
  x.run();
}

/** Count a session's open streams, so an idle timeout closes only sessions with none. */
function trackStream(stream: ServerHttp2Stream): void {
  const session = stream.session as Session | undefined;
  if (session === undefined) return;
  session[kActive] = (session[kActive] ?? 0) + 1;
  stream.once('close', () => {
    session[kActive]! -= 1;
  });
}

function onSessionTimeout(this: Session): void {
  if ((this[kActive] ?? 0) === 0) this.close();
}

/**
 * The HTTP/2 engine of a port: a node:http2 server that never listens. The port's listening server
 * hands it the connections that speak HTTP/2 (see server.ts); it keeps their sessions so closing
 * the port can send GOAWAY and let streams in flight finish.
 */
export class Http2Engine {
  readonly server: Http2Server;
  readonly sessions = new Set<ServerHttp2Session>();

  constructor(slot: PortSlot) {
    this.server = createH2Server({
      // gRPC and browsers open many streams; a bound keeps one client from exhausting us.
      settings: { maxConcurrentStreams: 1000 },
    });
    (this.server as SlotH2Server)[kSlot] = slot;
    this.server.on('stream', onStream);
    this.server.on('session', (session: ServerHttp2Session) => {
      this.sessions.add(session);
      session.setTimeout(SESSION_IDLE_MS, onSessionTimeout);
      session.once('close', () => this.sessions.delete(session));
      if (slot.closing) session.close();
    });
    // Protocol errors of one client end its session; nothing to report to anyone else.
    this.server.on('sessionError', () => {});
  }

  /** Serve this connection (after the preface sniff, or after ALPN chose h2). */
  accept(socket: Socket): void {
    this.server.emit('connection', socket);
  }

  /** GOAWAY to every session: no new streams, those in flight finish. */
  closeGracefully(): void {
    for (const s of this.sessions) s.close();
  }

  destroy(): void {
    for (const s of this.sessions) s.destroy();
  }
}
