// The data plane: createDataPlane() returns something you give IRs to. apply() compiles the IR
// (off the hot path), binds new sockets, swaps each port's compiled configuration in one
// assignment, closes sockets that are no longer wanted gracefully, and reports sockets that could
// not be bound. drain() is the SIGTERM path.
import type { IR, IRPort } from '../ir/types.ts';
import { logger } from '../log.ts';
import { defaultRegistry, type Registry } from '../metrics/registry.ts';
import type { ApplyResult, DataPlane } from './api.ts';
import { CompileCache, compileIR, type CompiledIR, type RouterKind } from './compile.ts';
import { createFrontendServer } from './frontend/server.ts';
import { proxyMetrics, type ProxyMetrics } from './metrics.ts';
import { L4Metrics } from './l4/index.ts';
import { L4Slot } from './l4-slot.ts';
import { PortSlot, type CompiledPort, type SlotEnv } from './port-slot.ts';
import { SecureContextCache } from './tls/sni.ts';
import { PoolRegistry } from './upstream/cluster.ts';
import { SerialQueue } from './serial-queue.ts';

export interface DataPlaneOptions {
  /** Where metrics go; the process-wide registry by default. */
  registry?: Registry;
  /** One `access` log line per request (default true). */
  accessLog?: boolean;
  /** Which matcher serves requests: the indexed one (default) or the linear reference. */
  router?: RouterKind;
  /** Idle time of upstream keep-alive connections. */
  upstreamKeepAliveMs?: number;
  upstreamConnectTimeoutMs?: number;
  /** Deadline for connections of a port removed by apply() (default 30 s). */
  closeDeadlineMs?: number;
}

/**
 * How a port is served: by the HTTP engine directly (HTTP, and TLS ports whose listeners are all
 * HTTPS), or by the layer-4 servers (TCP, UDP, TLS ports with TLS listeners; their HTTPS
 * listeners still reach the HTTP engine through the TLS dispatcher).
 */
type Mode = 'http' | 'l4';

function modeOf(p: IRPort): Mode {
  if (p.kind === 'http') return 'http';
  if (p.kind === 'tls' && p.listeners.every((l) => l.protocol === 'HTTPS')) return 'http';
  return 'l4';
}

type Served = { mode: 'http'; slot: PortSlot } | { mode: 'l4'; slot: L4Slot };

function closeServed(s: Served, deadlineMs: number): Promise<void> {
  return s.mode === 'l4' ? s.slot.close(deadlineMs) : s.slot.close();
}

export interface WicketDataPlane extends DataPlane {
  /** Ports currently bound, by IRPort name, with the port actually bound. */
  boundPorts(): Map<string, { address: string; port: number }>;
}

export function createDataPlane(options: DataPlaneOptions = {}): WicketDataPlane {
  return new DataPlaneImpl(options);
}

class DataPlaneImpl implements WicketDataPlane {
  private readonly slots = new Map<string, Served>();
  /** UDP ports removed but still draining: their socket holds the address until they close. */
  private readonly drainingUdp = new Map<string, L4Slot>();
  private readonly l4Metrics: L4Metrics;
  /** How long a removed port's connections may take to finish before they are cut. */
  private readonly closeDeadlineMs: number;
  private readonly pools: PoolRegistry;
  private readonly tlsCache = new SecureContextCache();
  /** Rules and clusters of the last compile, reused when unchanged (see CompileContext.cache). */
  private readonly compileCache = new CompileCache();
  private readonly metrics: ProxyMetrics;
  private readonly env: SlotEnv;
  private readonly routerKind: RouterKind;
  private current: CompiledIR | null = null;
  private draining = false;
  /** apply() calls run one at a time, in order. */
  private readonly queue = new SerialQueue();

  constructor(options: DataPlaneOptions) {
    this.metrics = proxyMetrics(options.registry ?? defaultRegistry);
    this.pools = new PoolRegistry({ keepAliveTimeoutMs: options.upstreamKeepAliveMs, connectTimeoutMs: options.upstreamConnectTimeoutMs });
    this.routerKind = options.router ?? 'compiled';
    this.l4Metrics = new L4Metrics(options.registry ?? defaultRegistry);
    this.closeDeadlineMs = options.closeDeadlineMs ?? 30_000;
    const active = this.metrics.activeRequests.labels();
    const errors = this.metrics.upstreamErrors;
    this.env = {
      accessLog: options.accessLog ?? true,
      onUpstreamError: (backend, code) => errors.labels(backend, code).inc(),
      requestStarted: () => active.inc(),
      requestDone: () => active.dec(),
    };
  }

  apply(ir: IR): Promise<ApplyResult> {
    return this.queue.run(() => this.applyNow(ir));
  }

  private async applyNow(ir: IR): Promise<ApplyResult> {
    if (this.draining) throw new Error('data plane is draining; apply() refused');
    this.pools.beginGeneration();
    let compiled: CompiledIR;
    try {
      compiled = compileIR(ir, { pools: this.pools, tlsCache: this.tlsCache, metrics: this.metrics, routerKind: this.routerKind, cache: this.compileCache });
    } catch (err) {
      this.metrics.applies.labels('error').inc();
      throw err;
    }
    const failedSockets: Record<string, string> = {};
    const wanted = new Set(ir.ports.map((p) => p.name));

    // Close what is gone first (gracefully, without waiting): that also frees a socket whose
    // port changes how it is served (e.g. a TLS port gaining a passthrough listener).
    for (const [name, served] of this.slots) {
      const p = ir.ports.find((x) => x.name === name);
      const cp = compiled.ports.get(name);
      // Whether the server asks for client certificates is fixed when it is created.
      const certAsk = served.mode === 'http' && cp !== undefined && (cp.tls?.requestClientCert ?? false) !== (served.slot.compiled.tls?.requestClientCert ?? false);
      // A port whose kind (plain HTTP ↔ TLS), address or number changes under the same name needs
      // a new server, as does one changing mode.
      const kindChanged =
        p !== undefined &&
        served.mode === 'http' &&
        (served.slot.kind !== p.kind || served.slot.address !== p.address || served.slot.port !== p.port);
      if (!wanted.has(name) || p === undefined || modeOf(p) !== served.mode || certAsk || kindChanged) {
        this.slots.delete(name);
        const closed = closeServed(served, this.closeDeadlineMs).catch(() => {});
        if (served.mode === 'l4' && name.endsWith('/udp')) {
          this.drainingUdp.set(name, served.slot);
          void closed.then(() => {
            if (this.drainingUdp.get(name) === served.slot) this.drainingUdp.delete(name);
          });
        }
      }
    }

    // Bind what is new, swap what exists.
    const binds: Promise<void>[] = [];
    for (const p of ir.ports) {
      const mode = modeOf(p);
      const cp = compiled.ports.get(p.name) ?? null;
      const existing = this.slots.get(p.name);
      if (existing !== undefined) {
        if (existing.mode === 'l4') existing.slot.update(p, ir.clusters, cp === null ? null : this.httpSlot(p, cp));
        else if (cp !== null) {
          existing.slot.compiled = cp;
          if (p.kind === 'tls') this.refreshDefaultCert(existing.slot);
        }
        continue;
      }
      const served: Served =
        mode === 'l4'
          ? { mode, slot: new L4Slot(p, ir.clusters, this.l4Metrics, cp === null ? null : this.httpSlot(p, cp)) }
          : { mode, slot: this.httpSlot(p, cp!) };
      // A UDP port added back while its old socket drains: end that drain so the address is free.
      const draining = this.drainingUdp.get(p.name);
      const freed = draining === undefined ? Promise.resolve() : draining.close(0).catch(() => {});
      const bound = freed.then(() => (served.mode === 'l4' ? served.slot.listen() : served.slot.listen(createFrontendServer(served.slot))));
      binds.push(
        bound.then((error) => {
          if (error === null) {
            this.slots.set(p.name, served);
          } else {
            failedSockets[p.name] = error;
            logger.warn('socket bind failed', { port: p.name, error });
          }
        }),
      );
    }
    await Promise.all(binds);

    this.current = compiled;
    this.pools.sweep();
    this.tlsCache.sweep();
    this.metrics.applies.labels('ok').inc();
    return { failedSockets };
  }

  private httpSlot(p: IRPort, cp: CompiledPort): PortSlot {
    return new PortSlot(p.name, p.address, p.port, p.kind, cp, this.env, this.metrics.activeConnections.labels(p.name));
  }

  private refreshDefaultCert(slot: PortSlot): void {
    const tls = slot.compiled.tls;
    const def = tls?.defaultCert;
    const server = slot.server as unknown as { setSecureContext?: (o: object) => void } | null;
    if (def && server?.setSecureContext) {
      server.setSecureContext({ key: def.keyPem, cert: def.certPem, ...(tls?.defaultClientCaPem ? { ca: tls.defaultClientCaPem } : {}) });
    }
  }

  boundPorts(): Map<string, { address: string; port: number }> {
    const out = new Map<string, { address: string; port: number }>();
    for (const [name, served] of this.slots) {
      if (served.mode === 'l4') {
        const a = served.slot.address();
        if (a) out.set(name, a);
      } else {
        const a = served.slot.server?.address();
        if (a && typeof a === 'object') out.set(name, { address: a.address, port: a.port });
      }
    }
    return out;
  }

  async drain(deadlineMs: number): Promise<void> {
    this.draining = true;
    await this.queue.idle();
    const slots = [...this.slots.values()];
    this.slots.clear();
    const closed = Promise.all(slots.map((s) => closeServed(s, deadlineMs)));
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'deadline'>((resolve) => {
      timer = setTimeout(resolve, Math.max(0, deadlineMs), 'deadline');
    });
    const outcome = await Promise.race([closed.then(() => 'closed' as const), deadline]);
    clearTimeout(timer);
    if (outcome === 'deadline') {
      for (const s of slots) s.slot.destroy();
      await closed;
    }
    await this.pools.closeAll(outcome === 'deadline');
    this.current = null;
  }
}
