// The proxy's contract: something you give an IR to. apply() compiles the IR off the hot path,
// binds and unbinds sockets, and swaps the router in atomically; requests in flight finish on the
// router they started with.
import type { IR } from '../ir/types.ts';

export interface ApplyResult {
  /** Sockets that could not be bound, by IRPort name, with the reason (e.g. `EADDRINUSE`). */
  failedSockets: Record<string, string>;
}

export interface DataPlane {
  apply(ir: IR): Promise<ApplyResult>;
  /** Stop accepting, let in-flight requests finish (up to the deadline), then close everything. */
  drain(deadlineMs: number): Promise<void>;
}
