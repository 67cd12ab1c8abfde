// A 'udp' port: datagrams from each client (address:port) form a session bound to one endpoint of
// the listener's UDPRoute, chosen by weight when the session starts. Each session has its own
// upstream socket, connected to the endpoint, so replies come back on it and are relayed to that
// client only — two clients never see each other's replies. A session ends after `idleTimeoutMs`
// without traffic either way; the table holds at most `maxSessions`, and datagrams that would
// start a session beyond that are dropped (and counted).

import dgram from 'node:dgram';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Cluster, Endpoint, IRPort } from '../../ir/types.ts';
import { ErrorCodes, WicketError } from '../../errors.ts';
import { enabled, logger } from '../../log.ts';
import { singleRouteTable, type SingleRouteTable } from './single-route.ts';
import { L4Metrics, type ConnLabels, type ConnMetrics, type L4RejectReason } from './metrics.ts';

export const DEFAULT_UDP_IDLE_TIMEOUT_MS = 60_000;
export const DEFAULT_MAX_UDP_SESSIONS = 16_384;
/** Datagrams held per session while its upstream socket is still connecting. */
const MAX_QUEUED = 64;

export interface UdpProxyOptions {
  metrics?: L4Metrics;
  idleTimeoutMs?: number;
  maxSessions?: number;
}

interface Session {
  key: string;
  clientAddress: string;
  clientPort: number;
  upstream: dgram.Socket;
  /** Datagrams waiting for the upstream socket to connect; null once connected. */
  queue: Buffer[] | null;
  lastActive: number;
  metrics: ConnMetrics;
}

export class UdpProxy {
  readonly metrics: L4Metrics;
  private readonly idleTimeoutMs: number;
  private readonly maxSessions: number;
  private readonly sessions = new Map<string, Session>();
  private table: SingleRouteTable;
  private portSpec: IRPort;
  private socket: dgram.Socket | null = null;
  private sweeper: NodeJS.Timeout | null = null;
  private closing = false;
  private drained: (() => void) | null = null;
  private closed: Promise<void> | null = null;

  constructor(port: IRPort, clusters: Readonly<Record<string, Cluster>>, opts: UdpProxyOptions = {}) {
    this.metrics = opts.metrics ?? new L4Metrics();
    this.idleTimeoutMs = opts.idleTimeoutMs ?? DEFAULT_UDP_IDLE_TIMEOUT_MS;
    this.maxSessions = opts.maxSessions ?? DEFAULT_MAX_UDP_SESSIONS;
    this.portSpec = port;
    this.table = singleRouteTable(port, clusters);
  }

  /** Binds the port's address and port (0 = any free port). */
  listen(): Promise<AddressInfo> {
    const p = this.portSpec;
    const socket = dgram.createSocket({ type: net.isIPv6(p.address) ? 'udp6' : 'udp4' });
    return new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => {
        socket.close();
        reject(new WicketError(ErrorCodes.BIND, `${p.name}: cannot bind UDP ${p.address}:${p.port}: ${err.code ?? err.message}`, { cause: err }));
      };
      socket.once('error', onError);
      socket.bind({ address: p.address, port: p.port }, () => {
        socket.removeListener('error', onError);
        socket.on('error', (err) => logger.warn('udp socket error', { port: p.name, error: err }));
        socket.on('message', (msg, rinfo) => this.onClientDatagram(msg, rinfo));
        this.socket = socket;
        const every = Math.max(50, Math.min(this.idleTimeoutMs / 4, 5_000));
        this.sweeper = setInterval(() => this.sweep(), every);
        this.sweeper.unref();
        resolve(socket.address());
      });
    });
  }

  /** The bound address while listening (null before listen() and after close()). */
  address(): AddressInfo | null {
    return this.socket === null ? null : this.socket.address();
  }

  /** Swaps in a new table: new sessions use it, open sessions keep their endpoint. */
  update(port: IRPort, clusters: Readonly<Record<string, Cluster>>): void {
    this.portSpec = port;
    this.table = singleRouteTable(port, clusters);
  }

  get openSessions(): number {
    return this.sessions.size;
  }

  private onClientDatagram(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    const key = `${rinfo.address}|${rinfo.port}`;
    let s = this.sessions.get(key);
    if (s === undefined) {
      const created = this.startSession(key, rinfo);
      if (created === undefined) return;
      s = created;
    }
    s.lastActive = performance.now();
    s.metrics.datagramIn(msg.length);
    if (s.queue === null) s.upstream.send(msg);
    else if (s.queue.length < MAX_QUEUED) s.queue.push(msg);
  }

  private startSession(key: string, rinfo: dgram.RemoteInfo): Session | undefined {
    const t = this.table;
    const labels: ConnLabels = { port: t.port, listener: t.listener, route: t.route, backend: '' };
    if (this.closing) return this.drop(labels, 'closing');
    if (this.sessions.size >= this.maxSessions) return this.drop(labels, 'session-limit');
    if (t.balancer === null) return this.drop(labels, 'no-route');
    const pick = t.balancer.pick();
    if (!pick.ok) return this.drop({ ...labels, backend: pick.backend }, pick.reason);
    labels.backend = pick.cluster.name;
    const ep: Endpoint = pick.endpoint;
    const upstream = dgram.createSocket({ type: net.isIPv6(ep.address) ? 'udp6' : 'udp4' });
    const s: Session = {
      key,
      clientAddress: rinfo.address,
      clientPort: rinfo.port,
      upstream,
      queue: [],
      lastActive: performance.now(),
      metrics: this.metrics.conn(labels),
    };
    s.metrics.opened();
    this.sessions.set(key, s);
    upstream.on('message', (reply) => {
      if (this.socket === null) return;
      s.lastActive = performance.now();
      s.metrics.datagramOut(reply.length);
      this.socket.send(reply, s.clientPort, s.clientAddress);
    });
    // ICMP port unreachable and the like: the session is dead; the next datagram starts afresh.
    upstream.on('error', (err) => {
      if (enabled('debug')) logger.debug('udp upstream error', { ...labels, error: err });
      this.endSession(s);
    });
    upstream.connect(ep.port, ep.address, () => {
      const queued = s.queue ?? [];
      s.queue = null;
      for (const m of queued) upstream.send(m);
    });
    return s;
  }

  private drop(labels: ConnLabels, reason: L4RejectReason): undefined {
    this.metrics.reject(labels, reason);
    return undefined;
  }

  private endSession(s: Session): void {
    if (this.sessions.get(s.key) !== s) return;
    this.sessions.delete(s.key);
    s.metrics.closed(0, 0); // bytes were counted per datagram
    try {
      s.upstream.close();
    } catch {
      // already closed
    }
    if (this.sessions.size === 0) this.drained?.();
  }

  private sweep(): void {
    const cutoff = performance.now() - this.idleTimeoutMs;
    for (const s of this.sessions.values()) if (s.lastActive <= cutoff) this.endSession(s);
  }

  /**
   * Stops starting sessions; open ones go on until idle or until `deadlineMs` from now, then the
   * socket closes. A later call with deadline 0 cuts a drain in progress short: the draining socket
   * still holds the address, so the data plane does that before binding the same port again.
   */
  close(deadlineMs = 30_000): Promise<void> {
    if (this.closed !== null) {
      if (deadlineMs <= 0) this.drained?.();
      return this.closed;
    }
    this.closed = this.closeAfterDrain(deadlineMs);
    return this.closed;
  }

  private async closeAfterDrain(deadlineMs: number): Promise<void> {
    this.closing = true;
    if (this.sessions.size > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => this.drained?.(), Math.max(0, deadlineMs));
        this.drained = () => {
          clearTimeout(timer);
          this.drained = null;
          resolve();
        };
      });
    }
    for (const s of [...this.sessions.values()]) this.endSession(s);
    if (this.sweeper !== null) clearInterval(this.sweeper);
    this.sweeper = null;
    const socket = this.socket;
    this.socket = null;
    if (socket !== null) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }
}
