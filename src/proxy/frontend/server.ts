// The server a port listens with: HTTP/1.1 and HTTP/2 on the same socket.
//  - Cleartext ports read the first bytes of each connection: the HTTP/2 connection preface
//    (`PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n`, prior knowledge, as gRPC clients send) goes to the HTTP/2
//    engine, anything else to the HTTP/1.1 server, with the bytes put back. With the fast path
//    the fast connection checks them itself (fast/http1-connection.ts); sniff() below is for
//    node:http alone (WICKET_FAST_PATH=0).
//  - TLS ports offer ALPN `h2` and `http/1.1`; after the handshake a connection that chose h2 goes
//    to the HTTP/2 engine. SNI certificate selection stays the HTTP/1.1 server's, shared by both.
// The HTTP/1.1 server (frontend/http1.ts) is built as before and stays the object the port binds
// and closes; this file only takes over its connection event and extends its two closing methods
// (closeIdleConnections, closeAllConnections — what PortSlot and L4Slot call) to HTTP/2 sessions.
import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { PortSlot } from '../port-slot.ts';
import { admitSecureConnection, createHttp1Server } from './http1.ts';
import { Http2Engine } from './http2.ts';
import { createFastHttp1, fastPathEnabled } from '../fast/index.ts';
import { H2_PREFACE, mayBePreface } from '../h2-preface.ts';

/** ALPN protocol list in wire format (length-prefixed names): h2 preferred, then http/1.1. */
const ALPN = Buffer.from('\x02h2\x08http/1.1', 'latin1');

/** A connection that has sent nothing for this long is closed (the HTTP/1.1 headers timeout). */
const SNIFF_TIMEOUT_MS = 60_000;

type Listener = (this: Server, socket: Socket) => void;

export function createFrontendServer(slot: PortSlot): Server {
  const server = createHttp1Server(slot);
  const h2 = new Http2Engine(slot);
  const tls = slot.kind === 'tls';
  const event = tls ? 'secureConnection' : 'connection';
  const http1 = server.listeners(event) as Listener[];
  server.removeAllListeners(event);
  const nodeHttp1 = (socket: Socket): void => {
    for (const l of http1) l.call(server, socket);
  };
  // The raw-socket front end serves HTTP/1.1 first and hands a connection to node:http for what
  // it does not serve itself (fast/http1-connection.ts).
  const fast = fastPathEnabled() ? createFastHttp1(slot, nodeHttp1, (socket) => h2.accept(socket)) : null;
  const toHttp1 = (socket: Socket): void => {
    if (fast === null) return nodeHttp1(socket);
    if (tls) {
      if (admitSecureConnection(slot, socket as TLSSocket)) fast.accept(socket);
    } else {
      slot.track(socket);
      fast.accept(socket);
    }
  };
  const cleartextHttp2 = (socket: Socket): void => {
    slot.track(socket);
    h2.accept(socket);
  };
  /** Cleartext connections still being sniffed (idle by definition). */
  const sniffing = new Set<Socket>();

  if (tls) {
    // node:https sets its own `ALPNProtocols` (http/1.1 only); every handshake reads this field.
    (server as unknown as { ALPNProtocols: Buffer }).ALPNProtocols = ALPN;
    server.on('secureConnection', (socket: TLSSocket) => {
      if (socket.alpnProtocol !== 'h2') return toHttp1(socket);
      // Tracked and checked for a required client certificate exactly as HTTP/1.1 connections are.
      if (admitSecureConnection(slot, socket)) h2.accept(socket);
    });
  } else if (fast !== null) {
    server.on('connection', (socket: Socket) => {
      slot.track(socket);
      fast.accept(socket, true);
    });
  } else {
    server.on('connection', (socket: Socket) => sniff(socket, sniffing, cleartextHttp2, toHttp1));
  }

  // `Upgrade: h2c` (RFC 7540 §3.2, dropped by RFC 9113) is declined: the request is served as
  // HTTP/1.1, like any other, instead of being spliced to a backend as a protocol switch.
  (server as Server & { shouldUpgradeCallback: (req: IncomingMessage) => boolean }).shouldUpgradeCallback = (req) =>
    server.listenerCount('upgrade') > 0 && !onlyH2c(req.headers.upgrade);

  const closeIdle = server.closeIdleConnections.bind(server);
  server.closeIdleConnections = () => {
    closeIdle();
    fast?.closeIdle();
    h2.closeGracefully();
    for (const s of sniffing) s.destroy();
  };
  const closeAll = server.closeAllConnections.bind(server);
  server.closeAllConnections = () => {
    closeAll();
    fast?.destroyAll();
    h2.destroy();
    for (const s of sniffing) s.destroy();
  };
  return server;
}

function onlyH2c(upgrade: string | undefined): boolean {
  if (upgrade === undefined) return false;
  return upgrade.split(',').every((t) => t.trim().toLowerCase() === 'h2c');
}

/**
 * Read until the bytes are known not to be the HTTP/2 preface (usually the first byte), or are the
 * whole preface; put them back and hand the socket on.
 */
function sniff(socket: Socket, pending: Set<Socket>, h2: (s: Socket) => void, h1: (s: Socket) => void): void {
  let buf: Buffer | null = null;
  pending.add(socket);
  const done = (): void => {
    pending.delete(socket);
    socket.off('data', onData);
    socket.off('error', onGone);
    socket.off('close', onGone);
    socket.setTimeout(0);
  };
  const onGone = (): void => {
    done();
    socket.destroy();
  };
  const onData = (chunk: Buffer): void => {
    buf = buf === null ? chunk : Buffer.concat([buf, chunk]);
    const prefix = mayBePreface(buf, buf.length);
    if (prefix && buf.length < H2_PREFACE.length) return;
    done();
    socket.pause();
    socket.unshift(buf);
    if (prefix) {
      h2(socket);
    } else {
      h1(socket);
      // node:http reads the put-back bytes as 'data' once the socket flows again.
      socket.resume();
    }
  };
  socket.on('data', onData);
  socket.on('error', onGone);
  socket.on('close', onGone);
  socket.setTimeout(SNIFF_TIMEOUT_MS, onGone);
}
