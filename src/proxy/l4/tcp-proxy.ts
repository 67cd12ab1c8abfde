// A 'tcp' port: every connection goes to an endpoint of the weighted backend of the listener's
// TCPRoute. The routing table is one immutable value swapped by update(): a connection picks its
// backend from the table in force when it arrives and keeps its upstream for its whole life.

import type net from 'node:net';
import type { Cluster, IRPort } from '../../ir/types.ts';
import { ConnectionSet } from './connection-set.ts';
import { forward, rejectConnection } from './forward.ts';
import { L4Metrics } from './metrics.ts';
import { singleRouteTable, type SingleRouteTable } from './single-route.ts';
import { TcpPortListener } from './tcp-listener.ts';

export interface L4ServerOptions {
  /** Where counters go; a private in-memory registry when absent. */
  metrics?: L4Metrics;
  /** Upstream connect timeout (default 10 s). */
  connectTimeoutMs?: number;
}

export class TcpProxy {
  readonly metrics: L4Metrics;
  private readonly opts: L4ServerOptions;
  private readonly connections = new ConnectionSet();
  private readonly listener = new TcpPortListener();
  private table: SingleRouteTable;
  private portSpec: IRPort;
  private closing = false;

  constructor(port: IRPort, clusters: Readonly<Record<string, Cluster>>, opts: L4ServerOptions = {}) {
    this.opts = opts;
    this.metrics = opts.metrics ?? new L4Metrics();
    this.portSpec = port;
    this.table = singleRouteTable(port, clusters);
  }

  /** Binds the port's address and port (port 0 = any free port) and accepts connections. */
  listen(): Promise<net.AddressInfo> {
    return this.listener.listen(this.portSpec, (sock) => this.handleConnection(sock));
  }

  /** The bound address while listening (null before listen() and after close()). */
  address(): net.AddressInfo | null {
    return this.listener.address();
  }

  /** Swaps in a new routing table; open connections keep their upstream. */
  update(port: IRPort, clusters: Readonly<Record<string, Cluster>>): void {
    this.portSpec = port;
    this.table = singleRouteTable(port, clusters);
  }

  /** Serves one accepted connection (for callers that own the listening socket). */
  handleConnection(sock: net.Socket): void {
    sock.allowHalfOpen = true; // half-closes are forwarded, not turned into full closes
    const t = this.table;
    const labels = { port: t.port, listener: t.listener, route: t.route, backend: '' };
    if (this.closing) return rejectConnection(sock, labels, 'closing', this.metrics);
    if (t.balancer === null) return rejectConnection(sock, labels, 'no-route', this.metrics);
    const pick = t.balancer.pick();
    if (!pick.ok) return rejectConnection(sock, { ...labels, backend: pick.backend }, pick.reason, this.metrics);
    labels.backend = pick.cluster.name;
    sock.setNoDelay(true);
    this.connections.add(sock);
    forward(sock, { cluster: pick.cluster, endpoint: pick.endpoint, reencrypt: false }, labels, {
      metrics: this.metrics,
      connectTimeoutMs: this.opts.connectTimeoutMs,
    });
  }

  /** Connections open now. */
  get openConnections(): number {
    return this.connections.size;
  }

  /** Stops accepting; open connections may finish until `deadlineMs` from now, then are cut. */
  async close(deadlineMs = 30_000): Promise<void> {
    this.closing = true;
    const stopped = this.listener.close();
    await this.connections.drain(deadlineMs);
    await stopped;
  }
}
