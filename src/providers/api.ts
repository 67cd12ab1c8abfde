// The provider contract shared by the file and the kubernetes providers: something you start that
// emits snapshots and accepts status. The runtime (src/runtime) wires it to translate and proxy.
import type { Snapshot } from '../resources/snapshot.ts';
import type { Diagnostic } from '../resources/diagnostic.ts';
import type { ObjectStatus } from '../translate/api.ts';

export interface SnapshotUpdate {
  snapshot: Snapshot;
  /** Input problems found while building the snapshot (objects left out of it, with why). */
  diagnostics: Diagnostic[];
}

export interface Provider {
  /**
   * Start watching. `onUpdate` is called with every new consistent snapshot — never a partial one
   * (the kubernetes provider waits for its initial lists). A snapshot equal to the last one need not
   * be emitted.
   */
  start(onUpdate: (update: SnapshotUpdate) => void): Promise<void>;
  /**
   * Write computed statuses back. Called only after the data plane serves the configuration they
   * describe. The kubernetes provider writes the status subresource (only what changed, only when
   * leader); the file provider has nowhere to write and may ignore it.
   */
  publishStatus(statuses: ObjectStatus[]): Promise<void>;
  stop(): Promise<void>;
}
