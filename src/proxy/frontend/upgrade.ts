// Protocol upgrades (WebSocket) on the HTTP/1.1 front end. The request is routed and filtered
// like any other (redirects and errors are answered; header modifiers and rewrites apply), then
// the gateway opens a connection to an endpoint, sends the request head with its Upgrade header,
// and splices the two sockets: the backend's 101 answer and everything after it pass through.
import type { IncomingMessage } from 'node:http';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { Duplex } from 'node:stream';
import type { LocalResponse, Outgoing } from '../filters/types.ts';
import { upstreamRequestHeaders } from '../headers.ts';
import type { RequestHead } from '../request-head.ts';
import type { RuleRuntime } from '../rule.ts';
import { CONNECT, INVALID_BACKEND, NO_ENDPOINTS, type Failure } from '../upstream/failure.ts';
import { STATUS_CODES } from '../../node-http.ts';

function writeLocal(socket: Duplex, r: LocalResponse): void {
  let head = `HTTP/1.1 ${r.status} ${STATUS_CODES[r.status] ?? ''}\r\n`;
  for (let i = 0; i < r.headers.length; i += 2) head += `${r.headers[i]}: ${r.headers[i + 1]}\r\n`;
  head += `content-length: ${Buffer.byteLength(r.body)}\r\nconnection: close\r\n\r\n${r.body}`;
  socket.end(head);
}

function fail(socket: Duplex, f: Failure): void {
  writeLocal(socket, { status: f.status, headers: [], body: '' });
}

export function proxyUpgrade(head: RequestHead, req: IncomingMessage, socket: Duplex, early: Buffer, rule: RuleRuntime): void {
  let plan = rule.plan;
  const backend = rule.backends.size > 0 ? rule.backends.pick()! : null;
  if (backend !== null) {
    plan = backend.plan;
    if (backend.cluster === null) return fail(socket, INVALID_BACKEND);
  }
  for (const r of plan.responders) {
    const answer = r.respond(head, rule.listener);
    if (answer !== null) return writeLocal(socket, answer);
  }
  if (backend === null || backend.cluster === null) return fail(socket, INVALID_BACKEND);
  const cluster = backend.cluster;
  const ep = cluster.pick();
  if (ep === undefined) return fail(socket, NO_ENDPOINTS);

  const out: Outgoing = {
    headers: upstreamRequestHeaders(head.rawHeaders, { remoteAddress: head.remoteAddress, scheme: head.scheme, authority: head.authority, upgrade: true }),
    target: head.target,
    matchedPath: head.path,
    hasBody: false,
    taps: null,
  };
  for (const step of plan.requestSteps) step.onRequest(head, out);

  let text = `${head.method} ${out.target} HTTP/${req.httpVersion}\r\n`;
  for (let i = 0; i < out.headers.length; i += 2) text += `${out.headers[i]}: ${out.headers[i + 1]}\r\n`;
  text += '\r\n';

  const upstream: Socket =
    cluster.tls !== null ? tlsConnect({ host: ep.address, port: ep.port, ...cluster.tls }) : netConnect({ host: ep.address, port: ep.port });
  let connected = false;
  upstream.once(cluster.tls !== null ? 'secureConnect' : 'connect', () => {
    connected = true;
    upstream.write(text);
    if (early.length > 0) upstream.write(early);
    upstream.pipe(socket);
    socket.pipe(upstream);
  });
  upstream.on('error', () => {
    if (!connected) fail(socket, CONNECT);
    else socket.destroy();
  });
  upstream.on('close', () => socket.destroy());
  socket.on('error', () => upstream.destroy());
  socket.on('close', () => upstream.destroy());
}
