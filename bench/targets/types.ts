// What every measured target offers the scenarios: a port to load, the PIDs whose memory counts,
// and the ways a route change reaches it. Peers regenerate their whole config and reload (that is
// how they take a change); Wicket in file mode gets manifest files written and removed.
import type { HTTPRoute } from '../../src/resources/types.ts';
import type { RouteSet } from '../peers/routes.ts';

export type TargetKind = 'direct' | 'nginx' | 'haproxy' | 'wicket';
export const TARGETS: TargetKind[] = ['direct', 'nginx', 'haproxy', 'wicket'];

export interface Target {
  kind: TargetKind;
  /** The port clients connect to. */
  port: number;
  /** Root PIDs of the serving process(es); memory is their process trees' RSS. */
  pids: number[];
  /** Milliseconds from process start to the first 200 on the probe route. */
  startToServingMs: number;
  /** Milliseconds spent turning the manifests into the target's config (peers: our generator). */
  generateMs: number;
  /** Adds or replaces one route; resolves once the change is handed to the target. */
  addRoute(route: HTTPRoute): Promise<void>;
  removeRoute(name: string): Promise<void>;
  /** Replaces the whole route table at once. */
  replaceAll(set: RouteSet): Promise<void>;
  /** Wicket: its own figure for the last configuration, snapshot → serving (translate + apply). */
  lastApplyMs?: () => Promise<number | null>;
  /** Exit reason if the process died, else null. */
  died(): string | null;
  stop(): Promise<void>;
}

export interface TargetOptions {
  workRoot: string;
  set: RouteSet;
  /** taskset CPU list for the target; undefined = not pinned. */
  cpus?: string;
  /** Workers/threads for the peers: 1 when pinned to one core, 'auto' otherwise. */
  workers: number | 'auto';
  /** A request that must answer 200 once the target serves the set. */
  probe: { host: string; path: string };
  /** Upper bound on start-up (large route sets take longer). */
  startTimeoutMs: number;
}

/** A target that could not run, with the reason; reported as "unavailable", never as a number. */
export class Unavailable extends Error {
  readonly kind: TargetKind;
  readonly reason: string;
  constructor(kind: TargetKind, reason: string) {
    super(`${kind} unavailable: ${reason}`);
    this.kind = kind;
    this.reason = reason;
  }
}
