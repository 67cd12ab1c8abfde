// The HTTP/1.1 front end over node:http / node:https. It turns each request into a RequestHead
// and a Downstream, picks the rule with the router that is current when the request arrives
// (that router serves the whole request, even if a new configuration is applied meanwhile), and
// hands both to an Exchange. Everything after that is transport-independent.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpServer } from '../../node-http.ts';
import { randomBytes } from 'node:crypto';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { PassThrough, type Duplex, type Readable } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { Downstream, DownstreamEvents } from '../downstream.ts';
import { Exchange } from '../exchange.ts';
import { makeHead, normaliseHost } from '../request-head.ts';
import type { PortSlot } from '../port-slot.ts';
import { proxyUpgrade } from './upgrade.ts';

const kSlot = Symbol('wicket.slot');
const kDown = Symbol('wicket.downstream');

type SlotServer = Server & { [kSlot]: PortSlot };
type Res = ServerResponse & { [kDown]: Http1Downstream };

function onResDrain(this: Res): void {
  this[kDown].events?.onDrain();
}

function onResClose(this: Res): void {
  const down = this[kDown];
  if (!this.writableFinished) down.events?.onClientAbort();
  if (down.slot.closing) this.socket?.end();
}

function hasBody(raw: string[]): boolean {
  for (let i = 0; i < raw.length; i += 2) {
    const n = raw[i]!;
    if (n.length === 14 && n.toLowerCase() === 'content-length') {
      if (raw[i + 1] !== '0') return true;
    } else if (n.length === 17 && n.toLowerCase() === 'transfer-encoding') {
      return true;
    }
  }
  return false;
}

export class Http1Downstream implements Downstream {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly slot: PortSlot;
  readonly hasBody: boolean;
  events: DownstreamEvents | null = null;

  constructor(req: IncomingMessage, res: ServerResponse, slot: PortSlot) {
    this.req = req;
    this.res = res;
    this.slot = slot;
    this.hasBody = hasBody(req.rawHeaders);
    (res as Res)[kDown] = this;
    res.on('close', onResClose);
  }

  takeBody(): Readable {
    // Through a PassThrough: undici destroys the body stream when an attempt fails, and
    // destroying the IncomingMessage itself would kill the client connection before we answer.
    const pt = new PassThrough();
    this.req.pipe(pt);
    return pt;
  }

  respond(status: number, headers: string[], reason?: string): void {
    if (this.slot.closing) this.res.shouldKeepAlive = false;
    if (reason) this.res.writeHead(status, reason, headers);
    else this.res.writeHead(status, headers);
  }

  write(chunk: Buffer): boolean {
    return this.res.write(chunk);
  }

  waitDrain(): void {
    this.res.once('drain', onResDrain);
  }

  end(body?: string, trailers?: readonly (string | Buffer)[] | null): void {
    // Trailers can only follow a chunked body over HTTP/1.1 (a Content-Length response has no
    // place for them); clients that do not want them ignore them.
    if (trailers && trailers.length > 0 && (this.res as ServerResponse & { chunkedEncoding?: boolean }).chunkedEncoding) {
      const pairs: [string, string][] = [];
      for (let i = 0; i + 1 < trailers.length; i += 2) pairs.push([String(trailers[i]), String(trailers[i + 1])]);
      try {
        this.res.addTrailers(pairs);
      } catch {
        // An invalid trailer is dropped rather than failing a response that is already out.
      }
    }
    if (body) this.res.end(body);
    else this.res.end();
  }

  reset(): void {
    this.res.destroy();
  }

  get headersSent(): boolean {
    return this.res.headersSent;
  }

  closeAfter(): void {
    if (!this.res.headersSent) this.res.shouldKeepAlive = false;
  }
}

function onRequest(this: SlotServer, req: IncomingMessage, res: ServerResponse): void {
  const slot = this[kSlot];
  const compiled = slot.compiled; // the router this request will finish on
  const { head, rule } = routeRequest(slot, compiled, req);
  const down = new Http1Downstream(req, res, slot);
  const x = new Exchange(head, down, rule, slot.env);
  down.events = x;
  slot.env.requestStarted();
  x.run();
}

/** The request head of a node:http request, and the rule that serves it on this port's router. */
function routeRequest(slot: PortSlot, compiled: PortSlot['compiled'], req: IncomingMessage) {
  const sock = req.socket as Socket & Partial<TLSSocket>;
  const head = makeHead(
    req.method ?? 'GET',
    compiled.scheme,
    req.url ?? '/',
    req.rawHeaders,
    sock.remoteAddress ?? '',
    slot.port,
    typeof sock.servername === 'string' ? sock.servername : null,
  );
  let rule = compiled.router.match(head) ?? compiled.notFound;
  if (head.sni !== null && head.sni !== head.host && misdirected(compiled, head.sni, head.host)) rule = compiled.misdirected;
  return { head, rule };
}

/** SNI and Host must pick the same listener on an HTTPS port, else the request is misdirected. */
function misdirected(compiled: PortSlot['compiled'], sni: string, host: string): boolean {
  const router = compiled.router;
  return router.listenerOf(normaliseHost(sni)) !== router.listenerOf(host);
}

function onUpgrade(this: SlotServer, req: IncomingMessage, socket: Duplex, early: Buffer): void {
  const slot = this[kSlot];
  const compiled = slot.compiled;
  const { head, rule } = routeRequest(slot, compiled, req);
  proxyUpgrade(head, req, socket, early, rule);
}

function onConnection(this: SlotServer, socket: Socket): void {
  this[kSlot].track(socket);
}

function onSecureConnection(this: SlotServer, socket: TLSSocket): void {
  admitSecureConnection(this[kSlot], socket);
}

/**
 * A client certificate that failed verification (with rejectUnauthorized off) can leave OpenSSL
 * errors on the thread's error queue (seen with CERT_SIGNATURE_FAILURE: a certificate from another
 * CA with the same subject). The socket's next read then finds them and fails ("invalid padding"),
 * cutting a connection AllowInsecureFallback admitted, or another one. Node offers no direct way to
 * clear the queue; its CSPRNG call clears it on return (cheap: ~10 µs), so call that right after the
 * handshake, before any further TLS read. test/proxy/tls-insecure-fallback.test.ts guards it.
 */
function clearStaleOpenSslErrors(): void {
  randomBytes(1);
}

/**
 * HTTPS (HTTP/1.1 or HTTP/2): track the connection, and refuse it (false) when its listener
 * requires a valid client cert.
 */
export function admitSecureConnection(slot: PortSlot, socket: TLSSocket): boolean {
  slot.track(socket);
  const tls = slot.compiled.tls;
  if (!socket.authorized && socket.authorizationError) clearStaleOpenSslErrors();
  if (tls !== null && tls.requestClientCert && !socket.authorized) {
    const servername = typeof socket.servername === 'string' ? socket.servername : null;
    if (tls.validationFor(servername) === 'AllowValidOnly') {
      socket.destroy();
      return false;
    }
  }
  return true;
}

function onClientError(err: Error & { code?: string }, socket: Socket): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
  socket.end(`HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : 'Bad Request'}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
}

export function createHttp1Server(slot: PortSlot): Server {
  const opts = {
    // Keep-alive from clients: longer than typical client idle timeouts so they close first.
    keepAliveTimeout: 65_000,
    requestTimeout: 0,
    headersTimeout: 60_000,
    // Node answers `Expect: 100-continue` itself (no checkContinue listener): the body then
    // streams upstream like any other.
  };
  let server: Server;
  if (slot.kind === 'tls') {
    const tls = slot.compiled.tls;
    const def = tls?.defaultCert ?? null;
    server = createHttpsServer({
      ...opts,
      ...(def ? { key: def.keyPem, cert: def.certPem, ...(tls?.defaultClientCaPem ? { ca: tls.defaultClientCaPem } : {}) } : {}),
      // Asked only when a listener validates client certificates; verified per listener in
      // onSecureConnection (AllowInsecureFallback lets unverified clients through).
      requestCert: tls?.requestClientCert === true,
      rejectUnauthorized: false,
      SNICallback: (servername, cb) => {
        // Reads the selector current at handshake time, so certificate changes apply to new
        // connections without rebinding.
        const ctx = slot.compiled.tls?.select(servername);
        cb(null, ctx);
      },
    }) as unknown as Server;
  } else {
    server = createHttpServer(opts);
  }
  (server as SlotServer)[kSlot] = slot;
  server.on('request', onRequest);
  server.on('upgrade', onUpgrade);
  if (slot.kind === 'tls') server.on('secureConnection', onSecureConnection);
  else server.on('connection', onConnection);
  server.on('clientError', onClientError);
  return server;
}
