// One bound socket (an IRPort) at run time: its server, the compiled configuration it currently
// serves, the client connections it has open, and graceful closing. apply() swaps `compiled`; a
// request reads it once when it arrives, so in-flight requests finish on the configuration they
// started with.
import type { Server } from 'node:http';
import type { Server as NetServer, Socket } from 'node:net';
import type { PortKind } from '../ir/types.ts';
import { logger } from '../log.ts';
import { bindAcceptGroup, closeGroup } from './accept-sockets.ts';
import type { GaugeChild } from '../metrics/registry.ts';
import type { ExchangeEnv } from './exchange.ts';
import type { RuleRuntime } from './rule.ts';
import type { Router } from './router/types.ts';
import type { SniSelector } from './tls/sni.ts';

export interface CompiledPort {
  scheme: 'http' | 'https';
  router: Router<RuleRuntime>;
  /** Answers requests no rule matches (404). */
  notFound: RuleRuntime;
  /** Answers HTTPS requests whose Host picks another listener than their SNI did (421). */
  misdirected: RuleRuntime;
  tls: SniSelector | null;
}

export interface SlotEnv extends ExchangeEnv {
  requestStarted(): void;
}

const kSlot = Symbol('wicket.slot');
type TrackedSocket = Socket & { [kSlot]?: PortSlot };

function onSocketClose(this: TrackedSocket): void {
  const slot = this[kSlot];
  if (slot === undefined) return;
  slot.sockets.delete(this);
  slot.connections.dec();
}

export class PortSlot {
  readonly name: string;
  readonly address: string;
  readonly port: number;
  readonly kind: PortKind;
  readonly env: SlotEnv;
  readonly connections: GaugeChild;
  compiled: CompiledPort;
  server: Server | null = null;
  /** The port's other listening sockets: they accept for `server` (accept-sockets.ts). */
  private acceptors: NetServer[] = [];
  readonly sockets = new Set<Socket>();
  closing = false;
  private closed: Promise<void> | null = null;

  constructor(name: string, address: string, port: number, kind: PortKind, compiled: CompiledPort, env: SlotEnv, connections: GaugeChild) {
    this.name = name;
    this.address = address;
    this.port = port;
    this.kind = kind;
    this.compiled = compiled;
    this.env = env;
    this.connections = connections;
  }

  track(socket: Socket): void {
    // Idempotent: a connection the fast front end hands to node:http is tracked once.
    if ((socket as TrackedSocket)[kSlot] === this) return;
    (socket as TrackedSocket)[kSlot] = this;
    this.sockets.add(socket);
    this.connections.inc();
    socket.once('close', onSocketClose);
  }

  /**
   * Bind (with the extra accept sockets of accept-sockets.ts); resolves to null on success or the
   * error code (EADDRINUSE, EADDRNOTAVAIL, …).
   */
  async listen(server: Server): Promise<string | null> {
    this.server = server;
    const bound = await bindAcceptGroup(server, this.address, this.port, this.name);
    if (typeof bound === 'string') return bound;
    this.acceptors = bound;
    // Errors after binding (EMFILE on accept and the like) are logged, never fatal.
    server.on('error', (err: NodeJS.ErrnoException) => logger.warn('listener socket error', { port: this.name, error: err }));
    return null;
  }

  /**
   * Stop accepting; close idle keep-alive connections now; connections with a request in flight
   * get `Connection: close` on their response (or are ended right after it). Resolves when every
   * connection is gone.
   */
  close(): Promise<void> {
    if (this.closed !== null) return this.closed;
    this.closing = true;
    const server = this.server;
    if (server === null || !server.listening) {
      this.closed = Promise.resolve();
      return this.closed;
    }
    this.closed = closeGroup(server, this.acceptors);
    server.closeIdleConnections();
    return this.closed;
  }

  /** Cut every remaining connection (drain deadline reached). */
  destroy(): void {
    for (const s of this.sockets) s.destroy();
    this.server?.closeAllConnections();
  }
}
