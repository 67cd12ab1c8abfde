// The messages between the primary and its data-plane worker processes (IPC, structured clone).
// Requests carry an id; each gets exactly one reply with the same id. Workers also push their
// metrics on their own (`metrics`), so the primary's /metrics never waits on a worker.
import type { IR } from '../../ir/types.ts';
import type { ApplyResult } from '../api.ts';
import type { EncodedIR } from './ir-delta.ts';

export type ToWorker =
  /** `ir` refers to objects of earlier applies to the same process (see ir-delta.ts). */
  | { type: 'apply'; id: number; ir: EncodedIR }
  | { type: 'drain'; id: number; deadlineMs: number };

export type FromWorker =
  /** Sent once, when the worker's data plane exists and it listens for requests. */
  | { type: 'ready'; pid: number }
  | { type: 'applied'; id: number; result: ApplyResult; bound: BoundPort[] }
  | { type: 'apply-failed'; id: number; message: string; code?: string }
  | { type: 'drained'; id: number }
  /** The worker's Prometheus text, pushed when it changed (at most once per push interval). */
  | { type: 'metrics'; text: string };

/** One bound port of a worker: IRPort name, address and the port actually bound. */
export interface BoundPort {
  name: string;
  address: string;
  port: number;
}

/** Settings the primary hands a worker at fork, as one JSON argument. */
export interface WorkerSettings {
  index: number;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  accessLog: boolean;
  metricsPushMs: number;
}
