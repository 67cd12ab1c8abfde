// One data-plane worker process: fork, request/reply over IPC, and restart when it dies. A worker
// that exits unasked is logged and forked again (backing off if it keeps dying young); the new
// process is given the configuration in force (`restartIR`), and an apply that was waiting on the
// dead one is answered by that re-apply, since it carries the newest IR.
import { fork, type ChildProcess } from 'node:child_process';
import { ErrorCodes } from '../../errors.ts';
import type { IR } from '../../ir/types.ts';
import { logger } from '../../log.ts';
import type { ApplyResult } from '../api.ts';
import { IrEncoder } from './ir-delta.ts';
import type { BoundPort, FromWorker, ToWorker, WorkerSettings } from './protocol.ts';

export interface Applied {
  result: ApplyResult;
  bound: BoundPort[];
}

export interface WorkerProcessOptions {
  settings: WorkerSettings;
  /** The worker entry module (worker-main.ts from sources, worker-main.js from dist/). */
  entry: string;
  /** The IR a fresh process of this worker should serve (null before the first apply). */
  restartIR: () => IR | null;
  /** Called when a process of this worker exits unasked (before it is replaced). */
  onExit: (w: WorkerProcess) => void;
  onMetrics: (w: WorkerProcess, text: string) => void;
}

type Waiter = { resolve: (a: Applied) => void; reject: (e: Error) => void };

const FAST_DEATH_MS = 5_000;
const MAX_BACKOFF_MS = 5_000;

export class WorkerProcess {
  readonly index: number;
  pid: number | null = null;
  restarts = 0;
  private child: ChildProcess | null = null;
  private readyWaiters: (() => void)[] = [];
  private isReady = false;
  private nextId = 1;
  private readonly applies = new Map<number, Waiter>();
  private readonly drains = new Map<number, () => void>();
  private stopped = false;
  private draining: Promise<void> | undefined;
  private startedAt = 0;
  private fastDeaths = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private readonly o: WorkerProcessOptions;
  /** What the current process was sent, so an IR goes as a delta (ir-delta.ts). */
  private readonly encoder = new IrEncoder();

  constructor(o: WorkerProcessOptions) {
    this.o = o;
    this.index = o.settings.index;
    this.spawn();
  }

  /** Resolves once the current process (or its replacement) listens for requests. */
  ready(): Promise<void> {
    if (this.isReady) return Promise.resolve();
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  async apply(ir: IR): Promise<Applied> {
    await this.ready();
    try {
      return await this.applyOnce(ir);
    } catch (err) {
      // A message lost on the way left the process without objects the encoder thinks it holds.
      if ((err as { code?: string }).code !== ErrorCodes.IR_REFERENCE) throw err;
      this.encoder.reset();
      return this.applyOnce(ir);
    }
  }

  private applyOnce(ir: IR): Promise<Applied> {
    const id = this.nextId++;
    return new Promise<Applied>((resolve, reject) => {
      this.applies.set(id, { resolve, reject });
      this.send({ type: 'apply', id, ir: this.encoder.encode(ir) });
    });
  }

  /** Drains the process and lets it exit; no restart after this. Kills it if the deadline passes by far. */
  drain(deadlineMs: number): Promise<void> {
    this.draining ??= this.drainNow(deadlineMs);
    return this.draining;
  }

  private async drainNow(deadlineMs: number): Promise<void> {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    const child = this.child;
    if (child === null || !this.isReady) {
      child?.kill('SIGKILL');
      return;
    }
    const id = this.nextId++;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const drained = new Promise<void>((resolve) => {
      this.drains.set(id, resolve);
      exited.then(() => resolve());
    });
    this.send({ type: 'drain', id, deadlineMs });
    // The worker cuts connections at the deadline itself; this only guards against a hung process.
    const guard = setTimeout(() => child.kill('SIGKILL'), deadlineMs + 5_000);
    await drained;
    const lingering = setTimeout(() => child.kill('SIGKILL'), 2_000);
    await exited;
    clearTimeout(guard);
    clearTimeout(lingering);
  }

  /** Kills the process outright (tests use it to play a crash). */
  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    this.child?.kill(signal);
  }

  private send(m: ToWorker): void {
    const child = this.child;
    if (child === null || !child.connected) return; // it died: the restart re-applies
    child.send(m, (err) => {
      if (err) logger.warn('message to worker lost', { worker: this.index, type: m.type, error: err });
    });
  }

  private spawn(): void {
    this.isReady = false;
    this.encoder.reset(); // a new process holds nothing yet
    this.startedAt = performance.now();
    const child = fork(this.o.entry, [JSON.stringify(this.o.settings)], {
      execArgv: workerExecArgv(process.execArgv),
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child = child;
    this.pid = child.pid ?? null;
    child.on('message', (m: FromWorker) => this.onMessage(m));
    child.on('error', (err) => logger.warn('worker process error', { worker: this.index, error: err }));
    child.once('exit', (code, signal) => this.onChildExit(child, code, signal));
  }

  private onMessage(m: FromWorker): void {
    switch (m.type) {
      case 'ready':
        this.pid = m.pid;
        return this.becameReady();
      case 'applied': {
        const w = this.applies.get(m.id);
        this.applies.delete(m.id);
        return w?.resolve({ result: m.result, bound: m.bound });
      }
      case 'apply-failed': {
        const w = this.applies.get(m.id);
        this.applies.delete(m.id);
        const err = Object.assign(new Error(m.message), m.code === undefined ? {} : { code: m.code });
        return w?.reject(err);
      }
      case 'drained':
        this.drains.get(m.id)?.();
        this.drains.delete(m.id);
        return;
      case 'metrics':
        return this.o.onMetrics(this, m.text);
    }
  }

  private becameReady(): void {
    const waiting = [...this.applies.values()];
    this.applies.clear();
    const ir = this.o.restartIR();
    this.isReady = true;
    for (const r of this.readyWaiters.splice(0)) r();
    // A replacement: serve the configuration in force, and answer applies the old process left.
    if (ir !== null && (this.restarts > 0 || waiting.length > 0)) {
      this.apply(ir).then(
        (a) => {
          logger.info('worker restarted and serving', { worker: this.index, pid: this.pid });
          for (const w of waiting) w.resolve(a);
        },
        (err: Error) => {
          logger.error('restarted worker could not apply the configuration in force', { worker: this.index, err });
          for (const w of waiting) w.reject(err);
        },
      );
    }
  }

  private onChildExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (child !== this.child) return;
    this.isReady = false;
    this.child = null;
    if (this.stopped) return;
    const lived = performance.now() - this.startedAt;
    this.fastDeaths = lived < FAST_DEATH_MS ? this.fastDeaths + 1 : 0;
    const delay = this.fastDeaths === 0 ? 0 : Math.min(MAX_BACKOFF_MS, 100 * 2 ** (this.fastDeaths - 1));
    logger.error('data-plane worker exited; starting a new one', { worker: this.index, pid: this.pid, code, signal, restartInMs: delay });
    this.o.onExit(this);
    this.restarts += 1;
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (!this.stopped) this.spawn();
    }, delay);
  }
}

/**
 * The primary's Node flags minus those that would clash or misfire in N copies: an inspector port
 * can be bound once, and test-runner flags belong to the process running the tests.
 */
export function workerExecArgv(execArgv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const a = execArgv[i]!;
    if (/^--(inspect|debug|test)/.test(a)) {
      // `--test-name-pattern x` style: execArgv holds only Node's options, so a next element
      // that is not an option is this one's value.
      if (!a.includes('=') && i + 1 < execArgv.length && !execArgv[i + 1]!.startsWith('-')) i++;
      continue;
    }
    out.push(a);
  }
  return out;
}
