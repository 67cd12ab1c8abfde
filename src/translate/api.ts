// The translator's contract: translate(snapshot, options) → { ir, statuses }. Pure: no I/O, no
// clock, no randomness, inputs never mutated; the same input always gives the same output.
import type { IR } from '../ir/types.ts';
import type { Condition } from '../resources/types.ts';

export interface TranslateOptions {
  /** GatewayClass spec.controllerName that Wicket owns (default `wicket.dev/gateway-controller`). */
  controllerName: string;
  /** Address listeners bind when a Gateway has no spec.addresses and no pool address. */
  defaultAddress: string;
  /**
   * Addresses assigned to Gateways from `--address-pool`, by `namespace/name`. The allocator lives
   * outside the translator (it keeps state); the translator only reads its decisions.
   */
  assignedAddresses?: Record<string, string>;
  /**
   * `address:port/tcp|udp` sockets the proxy failed to bind on the last apply (port in use,
   * address not available). Listeners on them get Accepted=False PortUnavailable.
   */
  unavailableSockets?: Record<string, string>;
  /** When true (kubernetes mode with an address pool), a Gateway spec.addresses value must be in the pool. */
  addressPool?: { cidr: string };
}

/** One object's computed status, shaped like the Kubernetes object (the /status contract). */
export interface ObjectStatus {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; generation: number };
  status: Record<string, unknown>;
}

export interface TranslateResult {
  ir: IR;
  /** Status for every Gateway API object read that Wicket is responsible for, sorted by kind, namespace, name. */
  statuses: ObjectStatus[];
}

export type { Condition };
