// HTTP/2 pieces of the data-plane tests: a client request that collects headers, body and
// trailers; gRPC framing (5-byte length prefix); a gRPC backend built on node:http2.
import { connect, constants, createServer, type ClientHttp2Session, type Http2Server, type IncomingHttpHeaders, type OutgoingHttpHeaders, type ServerHttp2Session, type ServerHttp2Stream } from 'node:http2';
import type { AddressInfo } from 'node:net';

export interface H2Reply {
  headers: IncomingHttpHeaders;
  body: Buffer;
  trailers: IncomingHttpHeaders | null;
}

/** One request on a session; resolves when the stream ends. */
export function h2request(session: ClientHttp2Session, headers: OutgoingHttpHeaders, body?: Buffer | string): Promise<H2Reply> {
  return new Promise((resolve, reject) => {
    const s = session.request(headers, { endStream: body === undefined });
    let head: IncomingHttpHeaders = {};
    let trailers: IncomingHttpHeaders | null = null;
    const chunks: Buffer[] = [];
    s.on('response', (h) => (head = h));
    s.on('trailers', (t) => (trailers = t));
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('end', () => {
      if (head[':status'] === undefined) reject(new Error('stream ended without a response'));
      else resolve({ headers: head, body: Buffer.concat(chunks), trailers });
    });
    s.on('error', reject);
    if (body !== undefined) s.end(body);
  });
}

export function h2c(port: number): ClientHttp2Session {
  const s = connect(`http://127.0.0.1:${port}`);
  s.on('error', () => {});
  return s;
}

export function closeSession(s: ClientHttp2Session): Promise<void> {
  return new Promise((resolve) => (s.closed ? resolve() : s.close(() => resolve())));
}

/** gRPC length-prefixed message: flag byte 0 (uncompressed), 4-byte big-endian length, bytes. */
export function grpcFrame(payload: Buffer | string): Buffer {
  const p = Buffer.from(payload);
  const out = Buffer.alloc(5 + p.length);
  out.writeUInt32BE(p.length, 1);
  p.copy(out, 5);
  return out;
}

/** Split a body into gRPC messages. */
export function grpcMessages(body: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let i = 0;
  while (i + 5 <= body.length) {
    const n = body.readUInt32BE(i + 1);
    out.push(body.subarray(i + 5, i + 5 + n));
    i += 5 + n;
  }
  return out;
}

export interface GrpcSeen {
  path: string;
  headers: IncomingHttpHeaders;
}

export interface GrpcBackend {
  port: number;
  server: Http2Server;
  seen: GrpcSeen[];
  /** Streams reset by the peer (the proxy) before the backend answered, by path. */
  cancelled: string[];
  close(): Promise<void>;
}

/**
 * A gRPC server on node:http2 with three methods:
 *  - /test.Echo/Say: unary; answers the request message upper-cased, echoes `x-meta` as
 *    response metadata `x-meta-echo`, and ends with grpc-status 0;
 *  - /test.Echo/Fail: trailers-only answer with grpc-status 5 NOT_FOUND;
 *  - /test.Echo/Stream: server streaming; `count` messages of `size` bytes (from the request
 *    message, "count:size"), then grpc-status 0 in trailers;
 *  - /test.Echo/Hang: never answers (for timeouts and cancellation);
 *  - /test.Echo/Early: answers in full (message and grpc-status 0) before the request ends.
 */
export async function startGrpcBackend(): Promise<GrpcBackend> {
  const seen: GrpcSeen[] = [];
  const cancelled: string[] = [];
  const server = createServer();
  server.on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => {
    const path = String(headers[':path']);
    seen.push({ path, headers });
    stream.on('error', () => {});
    stream.on('close', () => {
      if (stream.rstCode === constants.NGHTTP2_CANCEL) cancelled.push(path);
    });
    if (path === '/test.Echo/Early') {
      // Answers in full without waiting for the request to end (as a streaming server may).
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.once('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0', 'grpc-message': 'early' }));
      stream.end(grpcFrame('done'));
      return;
    }
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      const msg = grpcMessages(Buffer.concat(chunks))[0] ?? Buffer.alloc(0);
      if (path === '/test.Echo/Say') {
        const meta = headers['x-meta'];
        stream.respond({ ':status': 200, 'content-type': 'application/grpc', ...(meta ? { 'x-meta-echo': meta } : {}) }, { waitForTrailers: true });
        stream.once('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0', 'grpc-message': 'fine' }));
        stream.end(grpcFrame(msg.toString().toUpperCase()));
      } else if (path === '/test.Echo/Fail') {
        stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '5', 'grpc-message': 'no such thing' }, { endStream: true });
      } else if (path === '/test.Echo/Stream') {
        const [count, size] = msg.toString().split(':').map(Number) as [number, number];
        stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
        stream.once('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
        let sent = 0;
        const pump = (): void => {
          while (sent < count) {
            sent++;
            if (!stream.write(grpcFrame(Buffer.alloc(size, 97 + (sent % 26))))) return void stream.once('drain', pump);
          }
          stream.end();
        };
        pump();
      }
      // /test.Echo/Hang: nothing.
    });
  });
  const sessions = new Set<ServerHttp2Session>();
  server.on('session', (s: ServerHttp2Session) => {
    sessions.add(s);
    s.once('close', () => sessions.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    server,
    seen,
    cancelled,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sessions) s.destroy();
        server.close(() => r());
      }),
  };
}

/** A gRPC request's headers as a gRPC client sends them. */
export function grpcHeaders(path: string, authority = 'grpc.example.com', extra: OutgoingHttpHeaders = {}): OutgoingHttpHeaders {
  return { ':method': 'POST', ':path': path, ':authority': authority, ':scheme': 'http', 'content-type': 'application/grpc', te: 'trailers', ...extra };
}
