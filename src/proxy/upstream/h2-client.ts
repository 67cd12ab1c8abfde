// HTTP/2 to one backend endpoint: cleartext with prior knowledge (appProtocol kubernetes.io/h2c,
// GRPCRoute backends) or over TLS with ALPN h2 (the same with a BackendTLSPolicy). One session is
// multiplexed by every request to the endpoint; it is opened on first use, replaced when it goes
// away (GOAWAY, error, idle close), and closed after an idle period without streams.
//
// It takes the same dispatch(options, handler) call and handler callbacks the Exchange gives
// undici, so an endpoint's pool may be either. Why not undici's own HTTP/2 client: when trailers
// arrive while the response body is paused for backpressure, undici completes the request at the
// `trailers` event and drops the body bytes still buffered (seen with undici 7.30: 60 KB of a 1 MB
// gRPC response lost). Here the response completes at `end`, after every byte was delivered, with
// the trailers kept for it — which is what gRPC needs.
import { connect as h2connect, constants, type ClientHttp2Session, type ClientHttp2Stream, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2';
import { connect as netConnect } from 'node:net';
import type { Readable } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import { flatToH2Request, h2HeadersToFlat } from '../frontend/h2-headers.ts';
import { isGrpcContentType } from '../grpc/status.ts';
import type { UpstreamConnectOptions } from './tls.ts';

/** The handler callbacks the Exchange (and the mirror) implement, undici's "legacy" shape. */
export interface H2Handler {
  onConnect(abort: (err?: Error) => void): void;
  onHeaders(statusCode: number, rawHeaders: string[], resume: () => void, statusText: string): boolean;
  onData(chunk: Buffer): boolean;
  onComplete(trailers: string[] | null): void;
  onError(err: Error): void;
}

export interface H2DispatchOptions {
  path: string;
  method: string;
  headers: string[];
  body: Readable | null;
}

export interface H2UpstreamOptions {
  address: string;
  port: number;
  /** TLS to the endpoint (ALPN h2), or undefined for cleartext with prior knowledge. */
  tls?: UpstreamConnectOptions;
  connectTimeoutMs?: number;
  /** Close the session after this long without streams. */
  keepAliveTimeoutMs?: number;
}

class H2Error extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

const ABORTED = new H2Error('UND_ERR_ABORTED', 'request aborted');
const CUT = new H2Error('UND_ERR_ABORTED', 'request cut while its body was streaming');

/** One request on one stream. Events after it settled are ignored. */
class H2Call {
  readonly handler: H2Handler;
  readonly upstream: H2Upstream;
  readonly headers: OutgoingHttpHeaders;
  readonly body: Readable | null;
  stream!: ClientHttp2Stream;
  settled = false;
  responded = false;
  retried = false;
  trailers: string[] | null = null;

  constructor(handler: H2Handler, upstream: H2Upstream, headers: OutgoingHttpHeaders, body: Readable | null) {
    this.handler = handler;
    this.upstream = upstream;
    this.headers = headers;
    this.body = body;
  }

  /**
   * A stream the backend refused (REFUSED_STREAM, or cut by a GOAWAY before it was processed)
   * never reached the application, so a body-less request is sent again once, on a new session.
   */
  retryRefused(err: Error | null): boolean {
    if (this.settled || this.responded || this.retried || this.body !== null) return false;
    const refused = this.stream.rstCode === constants.NGHTTP2_REFUSED_STREAM || (err as { code?: string } | null)?.code === 'ERR_HTTP2_GOAWAY_SESSION';
    if (!refused) return false;
    this.retried = true;
    this.upstream.start(this);
    return !this.settled;
  }

  abort = (err?: Error): void => {
    if (this.settled) return;
    this.fail(err ?? ABORTED);
    // RST_STREAM: the backend stops working on it, the session lives on. close() ends the
    // request body first (END_STREAM, then RST_STREAM), so it is used only once the body is all
    // sent; a body still streaming is cut with destroy() (RST_STREAM(INTERNAL_ERROR) at once), so
    // the backend can never take a truncated body for a whole one.
    const s = this.stream;
    if (s.destroyed) return;
    if (s.writableEnded) s.close(constants.NGHTTP2_CANCEL);
    else s.destroy(CUT);
  };

  resume = (): void => {
    if (!this.settled) this.stream.resume();
  };

  fail(err: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.body?.unpipe(this.stream);
    this.body?.destroy();
    this.handler.onError(err);
  }

  onResponse(headers: IncomingHttpHeaders): void {
    if (this.settled) return;
    this.responded = true;
    const status = Number(headers[':status']);
    if (this.handler.onHeaders(status, h2HeadersToFlat(headers), this.resume, '') === false) this.stream.pause();
  }

  onData(chunk: Buffer): void {
    if (this.settled) return;
    if (this.handler.onData(chunk) === false) this.stream.pause();
  }

  onEnd(): void {
    if (this.settled) return;
    if (!this.responded) return this.fail(new H2Error('UND_ERR_SOCKET', 'HTTP/2 stream ended without a response'));
    this.settled = true;
    this.handler.onComplete(this.trailers);
  }

  onClose(): void {
    if (this.settled || this.retryRefused(null)) return;
    const code = this.stream.rstCode;
    const detail = code === constants.NGHTTP2_REFUSED_STREAM ? 'refused stream' : `closed with code ${code ?? 'unknown'}`;
    this.fail(new H2Error('UND_ERR_SOCKET', `HTTP/2 stream ${detail} before the response was complete`));
  }
}

// Stream event handlers, shared by all streams (no closures per request). A stream replaced by a
// retry is no longer its call's stream, and its late events are ignored.
type CallStream = ClientHttp2Stream & { call: H2Call };

function onStreamResponse(this: CallStream, headers: IncomingHttpHeaders): void {
  if (this.call.stream === this) this.call.onResponse(headers);
}
function onStreamData(this: CallStream, chunk: Buffer): void {
  if (this.call.stream === this) this.call.onData(chunk);
}
function onStreamTrailers(this: CallStream, trailers: IncomingHttpHeaders): void {
  if (this.call.stream === this) this.call.trailers = h2HeadersToFlat(trailers);
}
function onStreamEnd(this: CallStream): void {
  if (this.call.stream === this) this.call.onEnd();
}
function onStreamError(this: CallStream, err: Error): void {
  if (this.call.stream === this && !this.call.retryRefused(err)) this.call.fail(err);
}
function onStreamClose(this: CallStream): void {
  if (this.call.stream === this) this.call.onClose();
}

export class H2Upstream {
  private readonly options: H2UpstreamOptions;
  private readonly authority: string;
  private session: ClientHttp2Session | null = null;
  private closed = false;
  private idleTimer: NodeJS.Timeout | null = null;
  private active = 0;

  constructor(options: H2UpstreamOptions) {
    this.options = options;
    this.authority = options.address.includes(':') ? `[${options.address}]:${options.port}` : `${options.address}:${options.port}`;
  }

  private connect(): ClientHttp2Session {
    const o = this.options;
    const tls = o.tls;
    const session = h2connect(`${tls ? 'https' : 'http'}://${this.authority}`, {
      // A backend's server push has nowhere to go through a gateway.
      settings: { enablePush: false },
      createConnection: () =>
        tls ? tlsConnect({ host: o.address, port: o.port, ...tls, ALPNProtocols: ['h2'] }) : netConnect({ host: o.address, port: o.port, noDelay: true }),
    });
    let connected = false;
    const timer = setTimeout(() => {
      if (!connected) session.destroy(new H2Error('UND_ERR_CONNECT_TIMEOUT', `connect to ${this.authority} timed out`));
    }, o.connectTimeoutMs ?? 10_000);
    session.once('connect', () => {
      connected = true;
      clearTimeout(timer);
    });
    // Errors reach each stream too; the session's own listener keeps them from being unhandled.
    session.on('error', () => {});
    const forget = (): void => {
      clearTimeout(timer);
      if (this.session === session) this.session = null;
    };
    session.once('close', forget);
    session.once('goaway', forget);
    this.session = session;
    return session;
  }

  dispatch(opts: H2DispatchOptions, handler: H2Handler): boolean {
    if (this.closed) {
      handler.onError(new H2Error('UND_ERR_DESTROYED', 'upstream pool closed'));
      return false;
    }
    let grpc = false;
    for (let i = 0; i < opts.headers.length; i += 2) {
      if (opts.headers[i]!.toLowerCase() === 'content-type') grpc = isGrpcContentType(opts.headers[i + 1]);
    }
    const headers = flatToH2Request(opts.headers, opts.method, opts.path, this.options.tls ? 'https' : 'http', this.authority, grpc);
    const call = new H2Call(handler, this, headers, opts.body);
    if (!this.start(call)) return false;
    handler.onConnect(call.abort);
    const body = opts.body;
    if (body !== null && !call.settled) {
      body.on('error', (err) => call.abort(err));
      body.pipe(call.stream);
    }
    return true;
  }

  /** Open the call's stream on the current session (a new one when there is none). */
  start(call: H2Call): boolean {
    let session = this.session;
    if (this.closed) {
      call.fail(new H2Error('UND_ERR_DESTROYED', 'upstream pool closed'));
      return false;
    }
    if (session === null || session.closed || session.destroyed) session = this.connect();
    const endStream = call.body === null;
    let stream: ClientHttp2Stream;
    try {
      stream = session.request(call.headers, { endStream });
    } catch (err) {
      // A session that ran out of stream IDs (2^31 per connection) is replaced once.
      if ((err as { code?: string }).code !== 'ERR_HTTP2_OUT_OF_STREAMS') {
        call.fail(err as Error);
        return false;
      }
      session.close();
      try {
        stream = this.connect().request(call.headers, { endStream });
      } catch (err2) {
        call.fail(err2 as Error);
        return false;
      }
    }
    call.stream = stream;
    (stream as CallStream).call = call;
    stream.on('response', onStreamResponse);
    stream.on('data', onStreamData);
    stream.on('trailers', onStreamTrailers);
    stream.on('end', onStreamEnd);
    stream.on('error', onStreamError);
    stream.on('close', onStreamClose);
    this.streamOpened(stream);
    return true;
  }

  private streamOpened(stream: ClientHttp2Stream): void {
    this.active++;
    if (this.idleTimer !== null) {
      clearTimeout(this.idleTimer);
      this.idleTimer = null;
    }
    stream.once('close', () => {
      if (--this.active === 0 && !this.closed) {
        this.idleTimer = setTimeout(() => {
          this.idleTimer = null;
          this.session?.close();
          this.session = null;
        }, this.options.keepAliveTimeoutMs ?? 4_000);
        this.idleTimer.unref();
      }
    });
  }

  /** Finish what is in flight, then close. */
  close(): Promise<void> {
    this.closed = true;
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    const s = this.session;
    this.session = null;
    if (s === null || s.destroyed) return Promise.resolve();
    return new Promise((resolve) => s.close(() => resolve()));
  }

  /** Cut everything now. */
  destroy(): Promise<void> {
    this.closed = true;
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.session?.destroy();
    this.session = null;
    return Promise.resolve();
  }
}
