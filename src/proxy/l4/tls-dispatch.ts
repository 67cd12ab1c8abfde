// A 'tls' port: reads each connection's ClientHello (without terminating TLS) and lets its SNI
// pick a listener — most specific listener hostname first — then:
//   - HTTPS listener: the socket, with the peeked bytes put back, goes to the HTTP engine
//     (`onTerminate`), which terminates TLS and routes requests;
//   - TLS listener, mode Passthrough: the most specific TLSRoute hostname picks a route, the
//     route's weights pick a backend, and the encrypted bytes are spliced to an endpoint as they
//     are (the backend's certificate is what the client sees);
//   - TLS listener, mode Terminate: as Passthrough, but TLS ends here (the listener's
//     certificates) and the plaintext goes to the endpoint, re-encrypted when the backend's
//     cluster has a BackendTLSPolicy.
// A connection whose SNI matches no listener goes to the HTTP engine when the port has an HTTPS
// listener (as on an HTTPS-only port), else it is rejected.
// Everything that cannot be served — not TLS, no listener or route for the SNI, an invalid
// backend's share of connections, no endpoints, an unreachable endpoint — is reset, as the spec's
// "reject the connection" asks.

import type net from 'node:net';
import type tls from 'node:tls';
import type { Cluster, IRListener, IRPort } from '../../ir/types.ts';
import { RouteBalancer } from './balancer.ts';
import { ClientHelloReader, type ClientHello } from './client-hello.ts';
import { ConnectionSet } from './connection-set.ts';
import { forward, rejectConnection, type ForwardTarget } from './forward.ts';
import { HostnameTable } from './hostname-table.ts';
import { TcpPortListener } from './tcp-listener.ts';
import { L4Metrics, type ConnLabels } from './metrics.ts';
import { enabled, logger } from '../../log.ts';
import type { L4ServerOptions } from './tcp-proxy.ts';
import { TerminatorCache, type Terminator } from './tls-terminate.ts';

export const DEFAULT_HELLO_TIMEOUT_MS = 10_000;

export interface TlsDispatchOptions extends L4ServerOptions {
  /**
   * Receives connections for HTTPS listeners: a raw TCP socket whose ClientHello bytes have been
   * unshifted back into it (so `httpsServer.emit('connection', socket)` works as if it had been
   * accepted directly), the chosen listener, and the parsed hello. Without it HTTPS connections
   * are rejected.
   */
  onTerminate?: (socket: net.Socket, listener: IRListener, hello: ClientHello) => void;
  /** Time allowed for the ClientHello, and then for a terminated handshake (default 10 s). */
  helloTimeoutMs?: number;
}

type ListenerPlan =
  | { kind: 'https'; listener: IRListener }
  | { kind: 'passthrough'; listener: IRListener; routes: HostnameTable<RouteBalancer> }
  | { kind: 'terminate'; listener: IRListener; routes: HostnameTable<RouteBalancer>; terminator: Terminator | null };

interface TlsTable {
  port: string;
  listeners: HostnameTable<ListenerPlan>;
  /**
   * The port's first HTTPS listener, if any: a connection whose SNI (or lack of it) matches no
   * listener goes to the HTTP engine through it, as it would on an HTTPS-only port (the engine
   * picks a default certificate and routes by Host). Ports with only TLS listeners reject it.
   */
  httpsFallback: IRListener | undefined;
}

/** What a terminated connection does once its handshake completes, keyed on the raw socket. */
const kPending = Symbol('wicket.l4.pending');
interface Pending {
  target: ForwardTarget;
  labels: ConnLabels;
}
type WithPending = net.Socket & { [kPending]?: Pending };

export class TlsDispatcher {
  readonly metrics: L4Metrics;
  private readonly opts: TlsDispatchOptions;
  private readonly helloTimeoutMs: number;
  private readonly connections = new ConnectionSet();
  private readonly terminators: TerminatorCache;
  private table: TlsTable;
  private portSpec: IRPort;
  private readonly listener = new TcpPortListener();
  private closing = false;

  constructor(port: IRPort, clusters: Readonly<Record<string, Cluster>>, opts: TlsDispatchOptions = {}) {
    this.opts = opts;
    this.metrics = opts.metrics ?? new L4Metrics();
    this.helloTimeoutMs = opts.helloTimeoutMs ?? DEFAULT_HELLO_TIMEOUT_MS;
    this.terminators = new TerminatorCache(this.helloTimeoutMs, {
      secure: (s) => this.onSecure(s),
      fail: (err, s) => this.onHandshakeFailed(err, s),
    });
    this.portSpec = port;
    this.table = this.compile(port, clusters);
  }

  listen(): Promise<net.AddressInfo> {
    return this.listener.listen(this.portSpec, (sock) => this.handleConnection(sock));
  }

  /** The bound address while listening (null before listen() and after close()). */
  address(): net.AddressInfo | null {
    return this.listener.address();
  }

  /** Swaps in a new table; open connections keep their listener, route and upstream. */
  update(port: IRPort, clusters: Readonly<Record<string, Cluster>>): void {
    this.portSpec = port;
    this.table = this.compile(port, clusters);
  }

  private compile(port: IRPort, clusters: Readonly<Record<string, Cluster>>): TlsTable {
    const plans = port.listeners.map((listener) => {
      const routes = () =>
        new HostnameTable((listener.tlsRoutes ?? []).map((r) => ({ hostnames: r.hostnames, value: new RouteBalancer(r, clusters) })));
      let plan: ListenerPlan;
      if (listener.protocol === 'HTTPS') plan = { kind: 'https', listener };
      else if (listener.tls?.mode === 'Terminate') {
        const terminator = listener.tls.certificates.length > 0 ? this.terminators.get(listener.tls) : null;
        plan = { kind: 'terminate', listener, routes: routes(), terminator };
      } else plan = { kind: 'passthrough', listener, routes: routes() };
      return { hostnames: listener.hostname === undefined ? undefined : [listener.hostname], value: plan };
    });
    this.terminators.sweep();
    const httpsFallback = port.listeners.find((l) => l.protocol === 'HTTPS');
    return { port: port.name, listeners: new HostnameTable(plans), httpsFallback };
  }

  /** Serves one accepted connection (for callers that own the listening socket). */
  handleConnection(sock: net.Socket): void {
    sock.allowHalfOpen = true;
    if (this.closing) return rejectConnection(sock, this.labels(), 'closing', this.metrics);
    this.connections.add(sock);
    const reader = new ClientHelloReader();
    const done = () => {
      sock.setTimeout(0);
      sock.removeListener('data', onData);
      sock.removeListener('end', onEnd);
      sock.removeListener('error', onEnd);
      sock.removeListener('timeout', onTimeout);
    };
    const onData = (chunk: Buffer) => {
      const r = reader.push(chunk);
      if (r.kind === 'more') return;
      sock.pause();
      done();
      if (r.kind === 'error') return rejectConnection(sock, this.labels(), 'bad-client-hello', this.metrics, r.reason);
      sock.unshift(reader.bytes());
      this.dispatch(sock, r.hello);
    };
    const onEnd = () => {
      done();
      sock.destroy(); // gone (or broken) before sending a whole ClientHello
    };
    const onTimeout = () => {
      done();
      rejectConnection(sock, this.labels(), 'hello-timeout', this.metrics);
    };
    sock.setTimeout(this.helloTimeoutMs);
    sock.on('timeout', onTimeout);
    sock.on('data', onData);
    sock.on('end', onEnd);
    sock.on('error', onEnd);
  }

  private labels(listener = '', route = '', backend = ''): ConnLabels {
    return { port: this.table.port, listener, route, backend };
  }

  private dispatch(sock: net.Socket, hello: ClientHello): void {
    const t = this.table;
    const plan: ListenerPlan | undefined = t.listeners.match(hello.sni) ?? (t.httpsFallback && { kind: 'https', listener: t.httpsFallback });
    if (plan === undefined) return rejectConnection(sock, this.labels(), 'no-listener', this.metrics, hello.sni);
    const listener = plan.listener.name;
    if (plan.kind === 'https') {
      if (this.opts.onTerminate === undefined) return rejectConnection(sock, this.labels(listener), 'no-terminator', this.metrics);
      this.connections.release(sock); // the HTTP engine owns it from here
      this.opts.onTerminate(sock, plan.listener, hello);
      return;
    }
    const balancer = plan.routes.match(hello.sni);
    if (balancer === undefined) return rejectConnection(sock, this.labels(listener), 'no-route', this.metrics, hello.sni);
    const pick = balancer.pick();
    if (!pick.ok) return rejectConnection(sock, this.labels(listener, balancer.route, pick.backend), pick.reason, this.metrics);
    const labels = this.labels(listener, balancer.route, pick.cluster.name);
    const ctx = { metrics: this.metrics, connectTimeoutMs: this.opts.connectTimeoutMs };
    if (plan.kind === 'passthrough') {
      forward(sock, { cluster: pick.cluster, endpoint: pick.endpoint, reencrypt: false }, labels, ctx);
      return;
    }
    if (plan.terminator === null) return rejectConnection(sock, labels, 'no-certificate', this.metrics);
    const target = { cluster: pick.cluster, endpoint: pick.endpoint, reencrypt: pick.cluster.tls !== undefined };
    (sock as WithPending)[kPending] = { target, labels };
    plan.terminator.accept(sock);
  }

  private onSecure(tlsSock: tls.TLSSocket): void {
    // node:tls keeps the wrapped socket as `_parent`; that is where the pending target waits.
    const raw = (tlsSock as unknown as { _parent?: WithPending })._parent;
    const pending = raw?.[kPending];
    if (raw === undefined || pending === undefined) {
      tlsSock.destroy();
      return;
    }
    delete raw[kPending];
    forward(tlsSock, pending.target, pending.labels, { metrics: this.metrics, connectTimeoutMs: this.opts.connectTimeoutMs }, raw);
  }

  private onHandshakeFailed(err: Error, tlsSock: tls.TLSSocket): void {
    // node:tls has sent its alert and destroys the socket itself; only count and log here.
    const raw = (tlsSock as unknown as { _parent?: WithPending })._parent;
    const labels = raw?.[kPending]?.labels ?? this.labels();
    if (raw !== undefined) delete raw[kPending];
    this.metrics.reject(labels, 'tls-handshake');
    if (enabled('debug')) logger.debug('l4 TLS handshake failed', { ...labels, error: err });
    tlsSock.destroy();
  }

  get openConnections(): number {
    return this.connections.size;
  }

  /** Stops accepting; open connections may finish until `deadlineMs` from now, then are cut. */
  async close(deadlineMs = 30_000): Promise<void> {
    this.closing = true;
    // Not waiting for the server's own close: it also counts the HTTPS connections handed to the
    // HTTP engine, which drains them itself.
    void this.listener.close();
    await this.connections.drain(deadlineMs);
  }
}
