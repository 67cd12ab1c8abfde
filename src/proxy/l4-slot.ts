// A port served by the layer-4 servers (src/proxy/l4): TCP, UDP, and TLS ports that have TLS
// listeners (passthrough or terminated TLSRoutes). On such a TLS port the dispatcher reads the
// ClientHello and hands connections for HTTPS listeners to our HTTPS server, which never listens
// itself: it gets them through `emit('connection')` and serves them like any other.
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Cluster, IRPort } from '../ir/types.ts';
import { createL4Server, L4Metrics, type L4Server } from './l4/index.ts';
import { createFrontendServer } from './frontend/server.ts';
import type { PortSlot } from './port-slot.ts';

export class L4Slot {
  readonly name: string;
  readonly l4: L4Server;
  /** The HTTP engine for HTTPS listeners of a TLS port; null for TCP/UDP or TLS-only ports. */
  https: PortSlot | null;
  private httpsServer: Server | null = null;

  constructor(p: IRPort, clusters: Readonly<Record<string, Cluster>>, metrics: L4Metrics, https: PortSlot | null) {
    this.name = p.name;
    this.https = https;
    if (https !== null) this.httpsServer = createFrontendServer(https);
    this.l4 = createL4Server(p, clusters, {
      metrics,
      ...(p.kind === 'tls' ? { onTerminate: (sock: Socket) => this.terminate(sock) } : {}),
    });
  }

  private terminate(sock: Socket): void {
    const server = this.httpsServer;
    if (server === null) {
      sock.destroy();
      return;
    }
    server.emit('connection', sock);
  }

  /** Bind; null on success, else the system reason (EADDRINUSE, EADDRNOTAVAIL, …). */
  async listen(): Promise<string | null> {
    try {
      await this.l4.listen();
      return null;
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause;
      return cause?.code ?? (err as Error).message;
    }
  }

  update(p: IRPort, clusters: Readonly<Record<string, Cluster>>, https: PortSlot | null): void {
    this.l4.update(p, clusters);
    if (this.https !== null && https !== null) this.https.compiled = https.compiled;
  }

  close(deadlineMs: number): Promise<void> {
    if (this.https !== null) {
      this.https.closing = true;
      this.httpsServer?.closeIdleConnections();
    }
    return this.l4.close(deadlineMs);
  }

  destroy(): void {
    this.https?.destroy();
    this.httpsServer?.closeAllConnections();
  }

  address(): { address: string; port: number } | null {
    const a = (this.l4 as { address?: () => { address: string; port: number } | null }).address?.();
    return a ?? null;
  }
}
