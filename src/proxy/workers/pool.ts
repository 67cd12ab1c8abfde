// The data plane as N worker processes (`wicket run --workers N`). Each worker runs the ordinary
// data plane (createDataPlane) and binds every listening socket with SO_REUSEPORT, so the kernel
// spreads connections over them. apply() sends the IR to every worker and resolves once all of
// them serve it, with their failed sockets merged: status says Programmed only when every worker
// serves the configuration.
//
// Port 0 (tests, and anyone who wants "any free port") must end up as one port for all workers:
// the first worker binds it and reports the port it got; every other worker is given that port.
// The first worker keeps being given 0 for it (its socket is already bound; a different number
// would make it rebind), and a replacement process of any worker is given the resolved port.
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { IR, IRPort } from '../../ir/types.ts';
import type { Level } from '../../log.ts';
import { logger } from '../../log.ts';
import type { ApplyResult } from '../api.ts';
import type { WicketDataPlane } from '../index.ts';
import { WorkerProcess, type Applied } from './worker-process.ts';
import { workerInfoText } from './worker-info.ts';
import { SerialQueue } from '../serial-queue.ts';

export interface WorkerPoolOptions {
  /** How many worker processes (≥ 1). */
  workers: number;
  logLevel?: Level;
  /** One `access` log line per request in each worker (default true). */
  accessLog?: boolean;
  /** How often a worker pushes its metrics when they changed (default 250 ms; longer when rendering them is slow). */
  metricsPushMs?: number;
}

export interface WorkerDataPlane extends WicketDataPlane {
  /** Worker index → current process id (null while a worker is being restarted). */
  workerPids(): (number | null)[];
  /** The latest metrics text of every worker, plus per-worker series (for MergedRegistry). */
  workerMetrics(): string[];
  /** Test hook: kill one worker's process as a crash would. */
  killWorker(index: number, signal?: NodeJS.Signals): void;
}

/** `auto` = the cores this process may use. */
export function resolveWorkerCount(spec: number | 'auto'): number {
  return spec === 'auto' ? Math.max(1, availableParallelism()) : spec;
}

/** The worker entry next to this module: .ts when running from sources, .js from dist/. */
function workerEntry(): string {
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return fileURLToPath(new URL(`./worker-main${ext}`, import.meta.url));
}

const portKey = (p: IRPort): string => `${p.name}\u0000${p.address}`;

export function createWorkerDataPlane(o: WorkerPoolOptions): WorkerDataPlane {
  return new WorkerPool(o);
}

class WorkerPool implements WorkerDataPlane {
  private readonly workers: WorkerProcess[];
  /** Port-0 ports (by name and address) → the port the first worker got. */
  private readonly resolved = new Map<string, number>();
  /** Per worker: port-0 keys → the number that worker was given (0 for the one that resolved it). */
  private readonly given: Map<string, number>[];
  private readonly metricsText: string[];
  private ir: IR | null = null;
  private bound = new Map<string, { address: string; port: number }>();
  private draining = false;
  private readonly queue = new SerialQueue();

  constructor(o: WorkerPoolOptions) {
    const n = Math.max(1, Math.floor(o.workers));
    this.given = Array.from({ length: n }, () => new Map());
    this.metricsText = Array.from({ length: n }, () => '');
    const entry = workerEntry();
    this.workers = Array.from(
      { length: n },
      (_, index) =>
        new WorkerProcess({
          settings: { index, logLevel: o.logLevel ?? 'info', accessLog: o.accessLog ?? true, metricsPushMs: o.metricsPushMs ?? 250 },
          entry,
          restartIR: () => (this.ir === null ? null : this.irFor(index, this.ir)),
          onExit: (w) => {
            // Its sockets are gone: a new process binds the resolved ports, never 0 again.
            this.given[w.index]!.clear();
            this.metricsText[w.index] = '';
          },
          onMetrics: (w, text) => {
            this.metricsText[w.index] = text;
          },
        }),
    );
    logger.info('data-plane workers starting', { workers: n, pids: this.workerPids() });
  }

  apply(ir: IR): Promise<ApplyResult> {
    return this.queue.run(() => this.applyNow(ir));
  }

  private async applyNow(ir: IR): Promise<ApplyResult> {
    if (this.draining) throw new Error('data plane is draining; apply() refused');
    this.ir = ir;
    this.forgetGonePorts(ir);
    const unresolved = ir.ports.some((p) => p.port === 0 && !this.resolved.has(portKey(p)));
    const results: Applied[] = [];
    let rest = this.workers;
    if (unresolved) {
      // One worker first, so the others are given the ports it got.
      const first = this.workers[0]!;
      const a = await first.apply(this.irFor(first.index, ir));
      results[first.index] = a;
      for (const p of ir.ports) {
        const key = portKey(p);
        if (p.port !== 0 || this.resolved.has(key)) continue;
        const b = a.bound.find((x) => x.name === p.name);
        if (b === undefined) continue; // failed to bind: reported in failedSockets
        this.resolved.set(key, b.port);
        this.given[first.index]!.set(key, 0);
      }
      rest = this.workers.slice(1);
    }
    const applied = await Promise.all(rest.map((w) => w.apply(this.irFor(w.index, ir))));
    rest.forEach((w, i) => (results[w.index] = applied[i]!));
    // The worker that bound a port-0 port keeps being given 0; if the data plane had to rebind it
    // (a TLS port changing how it is served, say), it got a new number: move the others there too.
    const { stale, names } = this.followMovedPorts(ir, results);
    if (stale.length > 0) {
      // Without the port first: a port's socket is not bound again when only its number changes.
      const without = { ...ir, ports: ir.ports.filter((p) => !names.has(p.name)) };
      const again = await Promise.all(stale.map((w) => w.apply(this.irFor(w.index, without)).then(() => w.apply(this.irFor(w.index, ir)))));
      stale.forEach((w, i) => (results[w.index] = again[i]!));
    }
    const failedSockets: Record<string, string> = {};
    for (const r of results) {
      for (const [name, why] of Object.entries(r.result.failedSockets)) failedSockets[name] ??= why;
    }
    this.bound = new Map(results[0]!.bound.filter((b) => !(b.name in failedSockets)).map((b) => [b.name, { address: b.address, port: b.port }]));
    return { failedSockets };
  }

  /**
   * Updates `resolved` from the worker given 0 for a port; returns the workers now holding a stale
   * number, and the names of the ports that moved.
   */
  private followMovedPorts(ir: IR, results: readonly Applied[]): { stale: WorkerProcess[]; names: Set<string> } {
    const stale = new Set<WorkerProcess>();
    const names = new Set<string>();
    for (const p of ir.ports) {
      if (p.port !== 0) continue;
      const key = portKey(p);
      const owner = this.workers.find((w) => this.given[w.index]!.get(key) === 0);
      const now = owner === undefined ? undefined : results[owner.index]?.bound.find((b) => b.name === p.name)?.port;
      if (now === undefined || now === this.resolved.get(key)) continue;
      logger.info('a port-0 listener was bound again on a new port; moving every worker to it', { port: p.name, from: this.resolved.get(key), to: now });
      this.resolved.set(key, now);
      names.add(p.name);
      for (const w of this.workers) {
        if (w === owner) continue;
        this.given[w.index]!.delete(key);
        stale.add(w);
      }
    }
    return { stale: [...stale], names };
  }

  /** The IR worker `index` is given: port-0 ports replaced by the number it should bind. */
  private irFor(index: number, ir: IR): IR {
    if (!ir.ports.some((p) => p.port === 0)) return ir;
    const given = this.given[index]!;
    const ports = ir.ports.map((p) => {
      if (p.port !== 0) return p;
      const key = portKey(p);
      const g = given.get(key) ?? this.resolved.get(key);
      if (g === undefined) return p;
      given.set(key, g);
      return g === 0 ? p : { ...p, port: g };
    });
    return { ...ir, ports };
  }

  private forgetGonePorts(ir: IR): void {
    const live = new Set(ir.ports.filter((p) => p.port === 0).map(portKey));
    for (const key of this.resolved.keys()) if (!live.has(key)) this.resolved.delete(key);
    for (const g of this.given) for (const key of g.keys()) if (!live.has(key)) g.delete(key);
  }

  boundPorts(): Map<string, { address: string; port: number }> {
    return new Map(this.bound);
  }

  async drain(deadlineMs: number): Promise<void> {
    this.draining = true;
    // An apply can wait on a worker being restarted; the shutdown does not wait past its deadline.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.queue.idle(), new Promise((r) => (timer = setTimeout(r, Math.max(0, deadlineMs))))]);
    clearTimeout(timer);
    await Promise.all(this.workers.map((w) => w.drain(deadlineMs)));
    this.bound.clear();
  }

  workerPids(): (number | null)[] {
    return this.workers.map((w) => w.pid);
  }

  workerMetrics(): string[] {
    return [...this.metricsText, workerInfoText(this.workers, this.metricsText)];
  }

  killWorker(index: number, signal: NodeJS.Signals = 'SIGKILL'): void {
    this.workers[index]?.kill(signal);
  }
}
