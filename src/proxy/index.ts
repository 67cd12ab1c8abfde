// The data plane: createDataPlane() returns something you give IRs to. apply() compiles the IR
// (off the hot path), binds new sockets, swaps each port's compiled configuration in one
// assignment, closes sockets that are no longer wanted gracefully, and reports sockets that could
// not be bound. drain() is the SIGTERM path.
import type { IR } from '../ir/types.ts';
import { logger } from '../log.ts';
import { defaultRegistry, type Registry } from '../metrics/registry.ts';
import type { ApplyResult, DataPlane } from './api.ts';
import { compileIR, type CompiledIR, type RouterKind } from './compile.ts';
import { createHttp1Server } from './frontend/http1.ts';
import { proxyMetrics, type ProxyMetrics } from './metrics.ts';
import { PortSlot, type SlotEnv } from './port-slot.ts';
import { SecureContextCache } from './tls/sni.ts';
import { PoolRegistry } from './upstream/cluster.ts';

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
}

export interface WicketDataPlane extends DataPlane {
  /** Ports currently bound, by IRPort name, with the port actually bound. */
  boundPorts(): Map<string, { address: string; port: number }>;
}

export function createDataPlane(options: DataPlaneOptions = {}): WicketDataPlane {
  return new DataPlaneImpl(options);
}

class DataPlaneImpl implements WicketDataPlane {
  private readonly slots = new Map<string, PortSlot>();
  private readonly pools: PoolRegistry;
  private readonly tlsCache = new SecureContextCache();
  private readonly metrics: ProxyMetrics;
  private readonly env: SlotEnv;
  private readonly routerKind: RouterKind;
  private current: CompiledIR | null = null;
  private draining = false;
  /** apply() calls run one at a time, in order. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(options: DataPlaneOptions) {
    this.metrics = proxyMetrics(options.registry ?? defaultRegistry);
    this.pools = new PoolRegistry({ keepAliveTimeoutMs: options.upstreamKeepAliveMs, connectTimeoutMs: options.upstreamConnectTimeoutMs });
    this.routerKind = options.router ?? 'compiled';
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
    const run = this.queue.then(() => this.applyNow(ir));
    this.queue = run.catch(() => {});
    return run;
  }

  private async applyNow(ir: IR): Promise<ApplyResult> {
    if (this.draining) throw new Error('data plane is draining; apply() refused');
    this.pools.beginGeneration();
    let compiled: CompiledIR;
    try {
      compiled = compileIR(ir, { pools: this.pools, tlsCache: this.tlsCache, metrics: this.metrics, routerKind: this.routerKind });
    } catch (err) {
      this.metrics.applies.labels('error').inc();
      throw err;
    }
    const failedSockets: Record<string, string> = {};

    // Bind what is new, swap what exists.
    const binds: Promise<void>[] = [];
    for (const p of ir.ports) {
      const cp = compiled.ports.get(p.name);
      if (cp === undefined) continue;
      const existing = this.slots.get(p.name);
      if (existing !== undefined && existing.kind === p.kind) {
        existing.compiled = cp;
        if (p.kind === 'tls') this.refreshDefaultCert(existing);
        continue;
      }
      const slot = new PortSlot(p.name, p.address, p.port, p.kind, cp, this.env, this.metrics.activeConnections.labels(p.name));
      binds.push(
        slot.listen(createHttp1Server(slot)).then((error) => {
          if (error === null) {
            this.slots.set(p.name, slot);
          } else {
            failedSockets[p.name] = error;
            logger.warn('socket bind failed', { port: p.name, error });
          }
        }),
      );
    }
    await Promise.all(binds);

    // Close what is gone (gracefully, without waiting here).
    for (const [name, slot] of this.slots) {
      if (!compiled.ports.has(name)) {
        this.slots.delete(name);
        slot.close().catch(() => {});
      }
    }
    this.current = compiled;
    this.pools.sweep();
    this.tlsCache.sweep();
    this.metrics.applies.labels('ok').inc();
    return { failedSockets };
  }

  private refreshDefaultCert(slot: PortSlot): void {
    const def = slot.compiled.tls?.defaultCert;
    const server = slot.server as unknown as { setSecureContext?: (o: object) => void } | null;
    if (def && server?.setSecureContext) server.setSecureContext({ key: def.keyPem, cert: def.certPem });
  }

  boundPorts(): Map<string, { address: string; port: number }> {
    const out = new Map<string, { address: string; port: number }>();
    for (const [name, slot] of this.slots) {
      const a = slot.server?.address();
      if (a && typeof a === 'object') out.set(name, { address: a.address, port: a.port });
    }
    return out;
  }

  async drain(deadlineMs: number): Promise<void> {
    this.draining = true;
    await this.queue;
    const slots = [...this.slots.values()];
    this.slots.clear();
    const closed = Promise.all(slots.map((s) => s.close()));
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'deadline'>((resolve) => {
      timer = setTimeout(resolve, Math.max(0, deadlineMs), 'deadline');
    });
    const outcome = await Promise.race([closed.then(() => 'closed' as const), deadline]);
    clearTimeout(timer);
    if (outcome === 'deadline') {
      for (const s of slots) s.destroy();
      await closed;
    }
    await this.pools.closeAll(outcome === 'deadline');
    this.current = null;
  }
}
